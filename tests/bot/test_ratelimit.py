"""The attempt limiter's rule, held by both implementations (in process and Redis)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest

from relevo.bot.protocols import RateLimiter
from relevo.bot.ratelimit import InProcessRateLimiter, Limit
from relevo.bot.ratelimit_redis import PREFIX, RedisRateLimiter
from tests.conftest import REDIS_URL, require

IP = Limit("test.ip", attempts=5, window_seconds=300, max_lockout_seconds=1200,
           forget_after_seconds=3600)
ACCOUNT = Limit("test.account", attempts=10, window_seconds=900, max_lockout_seconds=3600,
                forget_after_seconds=3600)
T0 = 1_800_000_000.0


@pytest.fixture(params=["in_process", "redis"])
async def limiter(request: pytest.FixtureRequest) -> AsyncIterator[RateLimiter]:
    if request.param == "in_process":
        yield InProcessRateLimiter()
        return
    require(bool(REDIS_URL), "RELEVO_TEST_REDIS_URL is not set: Redis variant skipped")
    from redis.asyncio import Redis

    redis = Redis.from_url(REDIS_URL)
    prefix = f"{PREFIX}test-{uuid.uuid4().hex}:"
    limiter = RedisRateLimiter(redis, prefix=prefix)
    try:
        yield limiter
    finally:
        keys = [key async for key in redis.scan_iter(match=prefix + "*")]
        if keys:
            await redis.delete(*keys)
        await limiter.close()


async def attempts(limiter: RateLimiter, key: str, count: int, now: float) -> list[bool]:
    return [await limiter.acquire([IP.key(key)], now) is None for _ in range(count)]


async def test_the_attempt_after_the_limit_locks_for_one_window(limiter: RateLimiter) -> None:
    assert await attempts(limiter, "1.2.3.4", 5, T0) == [True] * 5
    refused = await limiter.acquire([IP.key("1.2.3.4")], T0 + 10)
    assert refused is not None
    assert refused.retry_after == 300
    assert refused.newly_locked == (IP.key("1.2.3.4"),)
    again = await limiter.acquire([IP.key("1.2.3.4")], T0 + 20)
    assert again is not None and again.retry_after == 290
    assert again.newly_locked == ()  # a lockout is reported once
    assert await limiter.acquire([IP.key("5.6.7.8")], T0 + 20) is None  # others unaffected
    assert await limiter.acquire([IP.key("1.2.3.4")], T0 + 310) is None  # lockout over


async def test_attempts_age_out_with_their_window(limiter: RateLimiter) -> None:
    assert await attempts(limiter, "ip", 4, T0) == [True] * 4
    assert await attempts(limiter, "ip", 5, T0 + 301) == [True] * 5
    assert await limiter.acquire([IP.key("ip")], T0 + 302) is not None


async def test_lockouts_in_a_row_double_up_to_the_cap_and_are_forgotten(
    limiter: RateLimiter,
) -> None:
    now, lockouts = T0, []
    for _ in range(4):
        await attempts(limiter, "ip", 5, now)
        refused = await limiter.acquire([IP.key("ip")], now)
        assert refused is not None
        lockouts.append(refused.retry_after)
        now += refused.retry_after
    assert lockouts == [300, 600, 1200, 1200]
    now += 3600  # an hour out of trouble after the last lockout ended
    await attempts(limiter, "ip", 5, now)
    refused = await limiter.acquire([IP.key("ip")], now)
    assert refused is not None and refused.retry_after == 300


async def test_refunded_attempts_do_not_count(limiter: RateLimiter) -> None:
    for _ in range(8):
        assert await limiter.acquire([IP.key("ip")], T0) is None
        await limiter.refund([IP.key("ip")], T0)
    assert await attempts(limiter, "ip", 5, T0) == [True] * 5
    assert await limiter.acquire([IP.key("ip")], T0) is not None


async def test_a_refused_attempt_counts_against_no_key(limiter: RateLimiter) -> None:
    # The account is locked out from other addresses…
    for number in range(10):
        assert await limiter.acquire([ACCOUNT.key("ana")], T0) is None, number
    assert await limiter.acquire([IP.key("mine"), ACCOUNT.key("ana")], T0) is not None
    assert await limiter.acquire([IP.key("mine"), ACCOUNT.key("ana")], T0) is not None
    # …which spent none of this address's attempts.
    assert await attempts(limiter, "mine", 5, T0) == [True] * 5
