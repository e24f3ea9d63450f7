"""Inbound attempt limits with a growing lockout (log-ins), kept in this process.

Not to be confused with `channels/ratelimit.py`, which paces what relevo *sends*.

The rule, shared with the Redis implementation (`bot/ratelimit_redis.py`) and checked
by the same tests: each key counts attempts in a fixed window that opens at its first
attempt. An attempt made when the window already holds `attempts` is refused and locks
the key: for one window the first time, twice as long the next time (and so on, capped
at `max_lockout_seconds`); a key that stays out of trouble for `forget_after_seconds`
after a lockout starts again from one window. While locked, every attempt is refused,
the right password included. `acquire` counts an attempt *before* the expensive check,
so a hundred concurrent attempts cannot all slip in before the first one is counted;
`refund` gives back one that turned out well (a successful log-in) or never happened.

Times are seconds on the caller's clock (`now`), so tests move time without sleeping.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

# The in-process table sweeps out forgotten keys once it holds this many.
SWEEP_AT = 10_000


class LimiterUnavailable(Exception):
    """The limiter's store (Redis) did not answer: nothing can be let through safely."""


@dataclass(frozen=True, slots=True)
class Limit:
    """`attempts` per `window_seconds` for every key of this name (e.g. `login.ip`)."""

    name: str
    attempts: int
    window_seconds: float
    max_lockout_seconds: float
    forget_after_seconds: float

    def key(self, subject: str) -> LimitKey:
        return LimitKey(self, subject)

    def lockout(self, strike: int) -> float:
        """How long the `strike`-th lockout in a row lasts (1: one window)."""
        return min(self.window_seconds * 2.0 ** min(strike - 1, 60), self.max_lockout_seconds)


@dataclass(frozen=True, slots=True)
class LimitKey:
    limit: Limit
    subject: str  # an IP address, a hashed e-mail…

    @property
    def name(self) -> str:
        return f"{self.limit.name}:{self.subject}"


@dataclass(frozen=True, slots=True)
class Throttled:
    """A refused attempt: try again in `retry_after` seconds. `newly_locked` names the
    keys this very attempt locked (each lockout is reported once, e.g. to the audit)."""

    retry_after: float
    newly_locked: tuple[LimitKey, ...] = ()

    @property
    def retry_after_header(self) -> str:
        return str(max(1, math.ceil(self.retry_after)))


@dataclass(slots=True)
class _Count:
    count: int = 0
    window_end: float = 0.0
    locked_until: float = 0.0
    strikes: int = 0
    strikes_until: float = 0.0

    def forgotten(self, now: float) -> bool:
        return max(self.window_end, self.locked_until, self.strikes_until) <= now


class InProcessRateLimiter:
    """`RateLimiter` in one process's memory (the embedded default: no Redis)."""

    def __init__(self) -> None:
        self._counts: dict[str, _Count] = {}

    async def acquire(self, keys: Sequence[LimitKey], now: float) -> Throttled | None:
        # No await in here: one attempt's check-and-count is atomic on the event loop.
        counts = [self._counts.setdefault(key.name, _Count()) for key in keys]
        retry_after, newly_locked = 0.0, []
        for key, state in zip(keys, counts, strict=True):
            if state.locked_until > now:
                retry_after = max(retry_after, state.locked_until - now)
            elif state.window_end > now and state.count >= key.limit.attempts:
                state.strikes = (state.strikes if state.strikes_until > now else 0) + 1
                lockout = key.limit.lockout(state.strikes)
                state.locked_until = now + lockout
                state.strikes_until = state.locked_until + key.limit.forget_after_seconds
                state.count, state.window_end = 0, 0.0
                retry_after = max(retry_after, lockout)
                newly_locked.append(key)
        if retry_after > 0:
            return Throttled(retry_after, tuple(newly_locked))
        for key, state in zip(keys, counts, strict=True):
            if state.window_end <= now:
                state.count, state.window_end = 0, now + key.limit.window_seconds
            state.count += 1
        if len(self._counts) >= SWEEP_AT:
            self._sweep(now)
        return None

    async def refund(self, keys: Sequence[LimitKey], now: float) -> None:
        for key in keys:
            state = self._counts.get(key.name)
            if state is not None and state.window_end > now and state.count > 0:
                state.count -= 1

    async def close(self) -> None:
        self._counts.clear()

    def _sweep(self, now: float) -> None:
        for name in [name for name, state in self._counts.items() if state.forgotten(now)]:
            del self._counts[name]
