"""Retention as a lifecycle: a round at start-up, then one every interval, erasing the
conversations each channel keeps no longer (`Privacy.retention`). Tests call
`tick()` with the privacy service's clock moved instead of waiting."""

from __future__ import annotations

from collections.abc import Mapping

from relevo.bot.audit import Actor
from relevo.bot.privacy import Privacy, RetentionRun
from relevo.bot.worker import RoundWorker

ACTOR = Actor.system("retention")


class RetentionTimer(RoundWorker):
    name = "relevo-retention"

    def __init__(self, privacy: Privacy, days: Mapping[str, int], interval_seconds: float) -> None:
        super().__init__()
        self._privacy = privacy
        self._days = dict(days)
        self._interval = interval_seconds
        self.last_round: RetentionRun | None = None  # what the latest round did

    @property
    def poll_seconds(self) -> float:
        return self._interval

    async def tick(self) -> RetentionRun:
        self.last_round = await self._privacy.retention(self._days, ACTOR)
        return self.last_round

    async def work_round(self) -> int:
        await self.tick()
        return 0  # one round per interval: a round already works through every batch
