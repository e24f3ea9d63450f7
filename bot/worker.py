"""A background loop that works in rounds: at once when woken, otherwise every poll.

Shared by the outbox and the channels' own delivery queues (e.g. Slack posts).
"""

from __future__ import annotations

import asyncio
import logging

log = logging.getLogger("relevo.worker")


class RoundWorker:
    """Subclasses implement `work_round()` (returns how much it did) and `poll_seconds`."""

    name = "relevo-worker"

    def __init__(self) -> None:
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._stopping = False

    @property
    def poll_seconds(self) -> float:
        raise NotImplementedError

    async def work_round(self) -> int:
        raise NotImplementedError

    def wake(self) -> None:
        """Something was written: work now rather than at the next poll."""
        self._wake.set()

    async def start(self) -> None:
        self._stopping = False
        self._task = asyncio.create_task(self._run(), name=self.name)

    async def stop(self) -> None:
        self._stopping = True
        self._wake.set()
        if self._task is not None:
            await self._task
            self._task = None

    async def _run(self) -> None:
        while not self._stopping:
            # Clear before the round: a wake() during the round (a row committed after
            # the round's claim query) leaves the event set and starts the next round.
            self._wake.clear()
            try:
                done = await self.work_round()
            except Exception:  # a bad round must not kill the worker; the rows stay
                log.exception("%s: round failed", self.name)
                done = 0
            if done:
                continue
            try:
                await asyncio.wait_for(self._wake.wait(), timeout=self.poll_seconds)
            except TimeoutError:
                pass
