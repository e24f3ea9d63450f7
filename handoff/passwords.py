"""Password hashing for the server, on a few threads of its own.

Argon2id costs ~0.2 s of CPU and 64 MiB per hash by design. Run on the event loop's
default executor (`asyncio.to_thread`), a log-in storm filled all of its threads, so
whatever else needs them (DNS look-ups of outbound HTTP calls, file writes, model
training) queued behind the hashes, and dozens of hashes at once starved the event
loop of CPU. Here at most `workers` hashes run at once, on their own threads; a caller
who cannot get a slot within `wait_seconds` is refused (`HashingBusy`) instead of
queueing without end. The hashing threads also run at a lower CPU priority (Linux
lets each thread have its own nice value), so on a busy machine the event loop's
thread, which serves shoppers, gets the CPU first and a log-in waits instead.
"""

from __future__ import annotations

import asyncio
import functools
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from relevo.handoff.auth import HASHER, check_password, check_password_strength

T = TypeVar("T")
# How much lower than the event loop the hashing threads run (nice values, 0–19).
NICENESS = 10


class HashingBusy(Exception):
    """Every hashing slot stayed taken: try again in `retry_after` seconds."""

    def __init__(self, retry_after: float) -> None:
        super().__init__("password hashing is busy")
        self.retry_after = retry_after


class PasswordHashing:
    def __init__(self, *, workers: int, wait_seconds: float) -> None:
        self._workers = workers
        # Made on first use and again after `close`: an app served again (its lifespan
        # run a second time, as test clients do) hashes again instead of failing.
        self._executor: ThreadPoolExecutor | None = None
        self._slots = asyncio.Semaphore(workers)
        self._wait_seconds = wait_seconds

    async def hash(self, password: str) -> str:
        check_password_strength(password)
        return await self._run(HASHER.hash, password)

    async def verify(self, password_hash: str, password: str) -> bool:
        return await self._run(check_password, password_hash, password)

    async def dummy_verify(self) -> None:
        """Spend the time of a real check, so an unknown e-mail is not told apart by timing."""
        await self._run(_dummy_check)

    async def close(self) -> None:
        executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=False, cancel_futures=True)

    def _pool(self) -> ThreadPoolExecutor:
        if self._executor is None:
            self._executor = ThreadPoolExecutor(max_workers=self._workers,
                                                thread_name_prefix="relevo-password",
                                                initializer=_give_way)
        return self._executor

    async def _run(self, work: Callable[..., T], *args: object) -> T:
        try:
            async with asyncio.timeout(self._wait_seconds):
                await self._slots.acquire()
        except TimeoutError:
            raise HashingBusy(self._wait_seconds) from None
        loop = asyncio.get_running_loop()
        try:
            job = self._pool().submit(work, *args)
        except RuntimeError:  # shut down
            self._slots.release()
            raise
        # The slot is free when the thread is, not when the caller stops waiting: a client
        # that hangs up must not let more hashes run at once than there are workers.
        job.add_done_callback(lambda _: loop.call_soon_threadsafe(self._slots.release))
        return await asyncio.wrap_future(job)


def _give_way() -> None:
    """Lower this (hashing) thread's CPU priority by `NICENESS`."""
    try:
        thread = threading.get_native_id()
        current = os.getpriority(os.PRIO_PROCESS, thread)
        os.setpriority(os.PRIO_PROCESS, thread, min(19, current + NICENESS))
    except (AttributeError, OSError):
        pass  # no per-thread priority here: the bound on workers still holds


def _dummy_check() -> None:
    check_password(_dummy_hash(), "not the password")


@functools.cache
def _dummy_hash() -> str:
    return HASHER.hash("relevo-dummy-password")
