"""Run jobs one at a time per key (a conversation), different keys in parallel.

The embedded default for the per-conversation lock: one FIFO queue and one task
per busy key, dropped when the key's queue is empty.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Hashable

log = logging.getLogger("relevo.serial")

Job = Callable[[], Awaitable[None]]


class KeyedSerializer:
    def __init__(self) -> None:
        self._queues: dict[Hashable, deque[Job]] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._idle = asyncio.Event()
        self._idle.set()
        # Jobs finished so far, and the count when each key's last one did (bounded:
        # past 10,000 keys all are forgotten, and every older reading distrusted).
        self._finished = 0
        self._finished_at: dict[Hashable, int] = {}
        self._forgot_at = 0

    def busy(self, key: Hashable) -> bool:
        """Whether a job for `key` is queued or running."""
        return key in self._queues

    def finished(self) -> int:
        """How many jobs have finished: a reading to give `changed_since` later."""
        return self._finished

    def changed_since(self, key: Hashable, reading: int) -> bool:
        """Whether a job for `key` is queued or running, or ended after `reading`."""
        return self.busy(key) or max(self._finished_at.get(key, 0), self._forgot_at) > reading

    def _note_finished(self, key: Hashable) -> None:
        self._finished += 1
        if len(self._finished_at) >= 10_000:
            self._finished_at.clear()
            self._forgot_at = self._finished
        self._finished_at[key] = self._finished

    def submit(self, key: Hashable, job: Job) -> None:
        queue = self._queues.get(key)
        if queue is not None:
            queue.append(job)
            return
        self._queues[key] = deque([job])
        self._idle.clear()
        task = asyncio.create_task(self._drain(key))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _drain(self, key: Hashable) -> None:
        queue = self._queues[key]
        try:
            while queue:
                job = queue[0]
                try:
                    await job()
                except Exception:
                    log.exception("job for %r failed", key)
                queue.popleft()
                self._note_finished(key)
        finally:
            del self._queues[key]
            if not self._queues:
                self._idle.set()

    async def join(self) -> None:
        """Wait until every submitted job has run."""
        await self._idle.wait()

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

