"""The seams of relevo. Implementations are wired in `bot/app.py`; nothing else picks them."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from relevo.bot.nlu_types import LanguageGuess, ParseResult, TrainingExample
from relevo.bot.personal import Erased, Subject
from relevo.bot.ratelimit import LimitKey, Throttled
from relevo.bot.types import (
    Assignment,
    Event,
    HandoffSnapshot,
    MessageRef,
    NoteRef,
    OperatorRef,
    Origin,
    OutboundMessage,
    OutboundPost,
    PoolRef,
    Presence,
    QueueLine,
    Refused,
    SendResult,
    Surface,
)

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncConnection


@runtime_checkable
class Channel(Protocol):
    """One shopper- or operator-facing surface. `send` delivers one stored message.

    It raises `TransientDeliveryError` (retry later, optionally after `retry_after`
    seconds) or `PermanentDeliveryError`; the outbox owns retries and bookkeeping.
    """

    name: str

    async def send(self, message: OutboundMessage) -> SendResult: ...


class PostDestination(Protocol):
    """Where the outbox delivers rows that are not shopper messages (Slack posts).
    `deliver` raises `TransientDeliveryError` / `PermanentDeliveryError` like
    `Channel.send`; the outbox owns retries, `Retry-After` and bookkeeping."""

    name: str

    async def deliver(self, post: OutboundPost) -> SendResult: ...


@runtime_checkable
class NLU(Protocol):
    """Rasa-compatible intent classification.

    `parse` never raises on odd input (empty, huge, binary, emoji): it returns a
    low-confidence result whose intent is the fallback intent (`nlu_fallback`).
    """

    async def parse(self, text: str, locale: str | None = None) -> ParseResult: ...

    async def train(self, examples: Sequence[TrainingExample]) -> None: ...


class LanguageDetector(Protocol):
    """Reads the shop's languages from a message's own words; built by the app from the
    knowledge base's tagged questions (`nlu/langid.py`), whatever NLU backend answers.
    `guess` returns only one of `languages`, or None when no word says anything."""

    @property
    def languages(self) -> tuple[str, ...]: ...

    def guess(self, text: str) -> LanguageGuess | None: ...


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


class OperatorDesk(Protocol):
    """The one door for operators (console API, Slack, CLI): who they are, what they
    do, what they see. Actions return a result or a `Refused` value (nothing changed);
    they never raise for a refusal."""

    async def find_operator(self, surface: Surface, key: str) -> OperatorRef | Refused:
        """The operator behind an API token, a console session, a Slack user id or an id."""
        ...

    async def seen(self, operator_id: int) -> None:
        """Activity on any surface: keeps the operator from going away."""
        ...

    async def operators(self) -> tuple[OperatorRef, ...]: ...

    def label(self, operator_id: int | None) -> str | None:
        """"Lucía · expert", or None for nobody (or an operator since removed)."""
        ...

    async def claim(self, operator_id: int, conversation_id: int) -> Assignment | Refused: ...

    async def reply(
        self, operator_id: int, conversation_id: int, text: str, origin: Origin
    ) -> MessageRef | Refused:
        """Send `text` to the shopper. The same `origin` again stores nothing new and
        returns the first message."""
        ...

    async def note(
        self, operator_id: int, conversation_id: int, text: str, origin: Origin | None = None
    ) -> NoteRef | Refused: ...

    async def transfer(
        self,
        operator_id: int,
        conversation_id: int,
        *,
        to_operator_id: int | None = None,
        pool: PoolRef | None = None,
        note: str | None = None,
    ) -> Assignment | Refused: ...

    async def return_to_bot(self, operator_id: int, conversation_id: int) -> Assignment | Refused:
        ...

    async def resolve(self, operator_id: int, conversation_id: int) -> Assignment | Refused: ...

    async def set_presence(self, operator_id: int, presence: Presence) -> OperatorRef | Refused:
        ...

    async def snapshot(self, conversation_id: int) -> HandoffSnapshot | Refused: ...

    async def queue(self) -> tuple[QueueLine, ...]: ...


class ContactData(Protocol):
    """A package's share of what relevo stores about a shopper (its own tables, its
    files). Both calls run inside the transaction of the export or erasure.

    `export` returns named lists of JSON-able records (`{"slack_threads": [...]}`);
    `erase` removes or blanks the personal part and says what it did. An erasure runs
    the contributions before the core's own tables, so they still see the messages
    and identities as they were."""

    async def export(self, conn: AsyncConnection, subject: Subject) -> Mapping[str, list[Any]]:
        ...

    async def erase(self, conn: AsyncConnection, subject: Subject, now: datetime) -> Erased:
        ...


class MediaFiles(Protocol):
    """Where the shoppers' files the channels keep (`Attachment.url` `media/<name>`,
    named by content) are on disk: one place to read them (operators) or find them
    (exports and erasures), whichever channel's directory holds them."""

    async def locate(self, url: str) -> Path | None:
        """The stored file an attachment's `url` names, or None: not a `media/<name>`
        url (folders, `..` and absolute paths never are), or no such file (erased)."""
        ...


class RateLimiter(Protocol):
    """Attempt limits with a growing lockout, shared by every process that shares its
    store (`bot/ratelimit.py` says the rule). In process by default, Redis when
    `redis_url` is set."""

    async def acquire(self, keys: Sequence[LimitKey], now: float) -> Throttled | None:
        """Count one attempt against every key, or none of them: None = go ahead,
        `Throttled` = refused (a key is locked, or this attempt locked it). Raises
        `LimiterUnavailable` when its store does not answer."""
        ...

    async def refund(self, keys: Sequence[LimitKey], now: float) -> None:
        """Give back an attempt that did not count against its keys (it succeeded)."""
        ...

    async def close(self) -> None: ...
