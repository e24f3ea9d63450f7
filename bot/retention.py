"""Retention as a lifecycle: a round at start-up, then one every interval, erasing the
conversations each channel keeps no longer (`Privacy.retention`). Tests call
`tick()` with the privacy service's clock moved instead of waiting."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping

from relevo.bot.audit import Actor
from relevo.bot.privacy import Privacy, RetentionRun

log = logging.getLogger("relevo.privacy")

ACTOR = Actor.system("retention")


class RetentionTimer:
    def __init__(self, privacy: Privacy, days: Mapping[str, int], interval_seconds: float) -> None:
        self._privacy = privacy
        self._days = dict(days)
        self._interval = interval_seconds
        self._task: asyncio.Task[None] | None = None
        self.last_round: RetentionRun | None = None  # what the latest round did

    async def tick(self) -> RetentionRun:
        self.last_round = await self._privacy.retention(self._days, ACTOR)
        return self.last_round

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="relevo-retention")

    async def stop(self) -> None:
        if self._task is None:
            return
        self._task.cancel()
        try:
            await self._task
        except asyncio.CancelledError:
            pass
        self._task = None

    async def _run(self) -> None:
        while True:
            try:
                await self.tick()
            except Exception:  # a failed round must not end retention: the next retries
                log.exception("retention round failed")
            await asyncio.sleep(self._interval)
