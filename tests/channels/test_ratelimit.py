"""The outbound rate limiter: per-destination and total token buckets."""

from __future__ import annotations

import pytest

from relevo.bot.types import TransientDeliveryError
from relevo.channels.ratelimit import RateLimiter


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


async def test_one_message_a_second_per_chat_and_other_chats_are_not_held_up() -> None:
    clock = Clock()
    limiter = RateLimiter(per_destination=1.0, total=30.0, clock=clock, sleep=clock.sleep)
    await limiter.acquire("chat-1")
    await limiter.acquire("chat-2")
    assert clock.slept == []
    await limiter.acquire("chat-1")
    assert clock.slept == [pytest.approx(1.0)]


async def test_the_total_rate_spaces_a_burst_across_chats() -> None:
    clock = Clock()
    limiter = RateLimiter(per_destination=1.0, total=30.0, clock=clock, sleep=clock.sleep)
    for chat in range(30):
        await limiter.acquire(f"chat-{chat}")
    assert clock.slept == []
    await limiter.acquire("chat-30")
    assert clock.slept == [pytest.approx(1 / 30)]


async def test_a_long_wait_goes_back_to_the_outbox_with_retry_after() -> None:
    clock = Clock()
    limiter = RateLimiter(per_destination=0.1, total=None, clock=clock, sleep=clock.sleep,
                          max_wait=1.5)
    await limiter.acquire("chat-1")
    with pytest.raises(TransientDeliveryError) as caught:
        await limiter.acquire("chat-1")
    assert caught.value.retry_after == pytest.approx(10.0)
    assert clock.slept == []


async def test_a_sender_limit_of_ten_a_second() -> None:
    clock = Clock()
    limiter = RateLimiter(per_destination=None, total=10.0, clock=clock, sleep=clock.sleep)
    for _ in range(11):
        await limiter.acquire("whatsapp:+14155238886")
    assert clock.slept == [pytest.approx(0.1)]
