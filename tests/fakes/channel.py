"""A channel whose provider misbehaves on cue, for outbox tests."""

from __future__ import annotations

from collections import deque

from relevo.bot.types import (
    DeliveryError,
    OutboundMessage,
    PermanentDeliveryError,
    SendResult,
    TransientDeliveryError,
)


class ScriptedChannel:
    """Fails with the scripted errors in order, then delivers; records every try."""

    def __init__(self, name: str = "fake", failures: list[DeliveryError] | None = None) -> None:
        self.name = name
        self.failures: deque[DeliveryError] = deque(failures or [])
        self.attempts: list[int] = []
        self.delivered: list[OutboundMessage] = []

    async def send(self, message: OutboundMessage) -> SendResult:
        self.attempts.append(message.message_id)
        if self.failures:
            raise self.failures.popleft()
        self.delivered.append(message)
        return SendResult(external_id=f"fake-{message.message_id}")


def server_error() -> TransientDeliveryError:
    return TransientDeliveryError("HTTP 503 from provider")


def rate_limited(seconds: float) -> TransientDeliveryError:
    return TransientDeliveryError("HTTP 429 from provider", retry_after=seconds)


def refused() -> PermanentDeliveryError:
    return PermanentDeliveryError("HTTP 403: bot was blocked by the user")
