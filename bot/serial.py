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

    def busy(self, key: Hashable) -> bool:
        """Whether a job for `key` is queued or running."""
        return key in self._queues

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
