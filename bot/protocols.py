"""The seams of relevo. Implementations are wired in `bot/app.py`; nothing else picks them."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Protocol, runtime_checkable

from relevo.bot.types import Event, OutboundMessage, ParseResult, SendResult, TrainingExample


@runtime_checkable
class Channel(Protocol):
    """One shopper- or operator-facing surface. `send` delivers one stored message.

    It raises `TransientDeliveryError` (retry later, optionally after `retry_after`
    seconds) or `PermanentDeliveryError`; the outbox owns retries and bookkeeping.
    """

    name: str

    async def send(self, message: OutboundMessage) -> SendResult: ...


@runtime_checkable
class NLU(Protocol):
    """Rasa-compatible intent classification.

    `parse` never raises on odd input (empty, huge, binary, emoji): it returns a
    low-confidence result whose intent is the fallback intent (`nlu_fallback`).
    """

    async def parse(self, text: str, locale: str | None = None) -> ParseResult: ...

    async def train(self, examples: Sequence[TrainingExample]) -> None: ...


class KnowledgeBase(Protocol):
    """Answers for intents: one published article per intent, one answer per locale."""

    def answer(self, intent: str, locale: str) -> str | None: ...

    def title(self, intent: str, locale: str) -> str | None: ...

    def topic(self, intent: str) -> str | None: ...


EventHandler = Callable[[Event], Awaitable[None]]


class Subscription(Protocol):
    async def close(self) -> None: ...


class Bus(Protocol):
    """Publish/subscribe of domain events. Handlers run outside the publisher's task;
    a failing handler is logged and never breaks the publisher or other handlers."""

    async def publish(self, event: Event) -> None: ...

    def subscribe(self, handler: EventHandler, *, name: str) -> Subscription: ...


class Router(Protocol):
    """Chooses who takes a queued conversation (built by the handoff package)."""

    async def route(self, conversation_id: int) -> None: ...
