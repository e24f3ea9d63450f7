"""Outbound rate limits of a provider: token buckets per destination and in total.

A send waits for its turn when the wait is short; when it is longer than
`max_wait`, it raises `TransientDeliveryError(retry_after=…)` so the outbox
reschedules the message instead of holding up a whole delivery round.

In-process buckets: with several relevo processes each keeps its own, so set the
rates per process (rate / processes) when scaling out.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable

from relevo.bot.types import TransientDeliveryError

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]


class TokenBucket:
    """`rate` tokens a second, holding at most `burst`. `reserve` books a token
    (possibly in the future) and returns how long to wait for it."""

    __slots__ = ("_clock", "_level", "_stamp", "burst", "rate")

    def __init__(self, rate: float, burst: float, clock: Clock) -> None:
        if rate <= 0 or burst < 1:
            raise ValueError("rate must be > 0 and burst >= 1")
        self.rate = rate
        self.burst = burst
        self._clock = clock
        self._level = burst
        self._stamp = clock()

    def wait_time(self) -> float:
        self._refill()
        # The epsilon absorbs float rounding: a wait of 1e-15 s would never end.
        return 0.0 if self._level >= 1 - 1e-9 else (1 - self._level) / self.rate

    def take(self) -> None:
        self._refill()
        self._level -= 1

    def _refill(self) -> None:
        now = self._clock()
        self._level = min(self.burst, self._level + (now - self._stamp) * self.rate)
        self._stamp = now


class RateLimiter:
    """A per-destination bucket and a shared one; both must allow a send."""

    def __init__(
        self,
        *,
        per_destination: float | None,
        total: float | None,
        max_wait: float = 1.5,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
        max_destinations: int = 100_000,
    ) -> None:
        self._per_destination = per_destination
        self._clock = clock
        self._sleep = sleep
        self._max_wait = max_wait
        self._max_destinations = max_destinations
        self._total = TokenBucket(total, max(1.0, total), clock) if total else None
        self._buckets: OrderedDict[str, TokenBucket] = OrderedDict()
        self._lock = asyncio.Lock()

    async def acquire(self, destination: str) -> None:
        """Wait for a slot for `destination`, or raise `TransientDeliveryError`."""
        while True:
            async with self._lock:
                buckets = self._buckets_for(destination)
                wait = max(b.wait_time() for b in buckets) if buckets else 0.0
                if wait <= 0:
                    for bucket in buckets:
                        bucket.take()
                    return
            if wait > self._max_wait:
                raise TransientDeliveryError(
                    f"rate limit: next slot for this destination in {wait:.2f}s",
                    retry_after=wait,
                )
            await self._sleep(wait)

    def _buckets_for(self, destination: str) -> list[TokenBucket]:
        buckets: list[TokenBucket] = []
        if self._per_destination:
            bucket = self._buckets.get(destination)
            if bucket is None:
                bucket = TokenBucket(self._per_destination, 1.0, self._clock)
                self._buckets[destination] = bucket
                if len(self._buckets) > self._max_destinations:
                    self._buckets.popitem(last=False)
            else:
                self._buckets.move_to_end(destination)
            buckets.append(bucket)
        if self._total is not None:
            buckets.append(self._total)
        return buckets
