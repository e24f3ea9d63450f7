"""The vocabulary of relevo: plain, frozen values shared by every package.

Standard library only. Channels normalise provider payloads into these; the core,
the NLU tier and the handoff tier speak nothing else.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

# Raised, not passed around: they live in `bot/errors.py`; every package imports them here.
from relevo.bot.errors import DeliveryError as DeliveryError
from relevo.bot.errors import IllegalTransition as IllegalTransition
from relevo.bot.errors import PermanentDeliveryError as PermanentDeliveryError
from relevo.bot.errors import TransientDeliveryError as TransientDeliveryError
from relevo.bot.text import sanitize


class ConversationState(enum.StrEnum):
    BOT = "bot"
    QUEUED = "queued"
    ASSIGNED = "assigned"
    RESOLVED = "resolved"


class AuthorKind(enum.StrEnum):
    SHOPPER = "shopper"
    BOT = "bot"
    OPERATOR = "operator"
    SYSTEM = "system"


class Direction(enum.StrEnum):
    INBOUND = "inbound"
    OUTBOUND = "outbound"


class DeliveryStatus(enum.StrEnum):
    PENDING = "pending"
    SENT = "sent"
    DELIVERED = "delivered"
    READ = "read"
    FAILED = "failed"


class Role(enum.StrEnum):
    """What a person may do besides handling the conversations routed to them (the
    scopes of each role are in `relevo.bot.roles`)."""

    ADMIN = "admin"
    MANAGER = "manager"
    EDITOR = "editor"
    REVIEWER = "reviewer"
    OPERATOR = "operator"


class OperatorKind(enum.StrEnum):
    INTERNAL = "internal"
    OUTSOURCED = "outsourced"
    EXPERT = "expert"
    AMBASSADOR = "ambassador"


@dataclass(frozen=True, slots=True)
class Attachment:
    url: str
    content_type: str = "application/octet-stream"
    name: str | None = None
    size: int | None = None


@dataclass(frozen=True, slots=True)
class InboundMessage:
    """One message from a shopper, as a channel normalised it.

    `external_id` is the provider's id of this message (Telegram update id, Twilio
    MessageSid, the web client's `client_message_id`…): the inbox dedupes on
    `(channel, external_id)`. `raw` carries the provider payload for debugging and
    analytics; the core never reads it.
    """

    channel: str
    external_id: str
    external_user_id: str
    text: str
    locale: str | None = None
    display_name: str | None = None
    attachments: tuple[Attachment, ...] = ()
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        # Every channel's one rule for what a provider sent (`bot.text`): stored
        # sanitised, never refused, since a provider retries a refusal forever.
        for name in ("channel", "external_id", "external_user_id", "text", "locale",
                     "display_name"):
            value = getattr(self, name)
            if value is not None and sanitize(value) is not value:
                object.__setattr__(self, name, sanitize(value))
        clean = tuple(_storable(a) for a in self.attachments)
        if any(c is not a for c, a in zip(clean, self.attachments, strict=True)):
            object.__setattr__(self, "attachments", clean)


def _storable(attachment: Attachment) -> Attachment:
    """`attachment` with its url, type and file name sanitised (itself when clean)."""
    url, content_type = sanitize(attachment.url), sanitize(attachment.content_type)
    name = sanitize(attachment.name) if attachment.name is not None else None
    if (url, content_type, name) == (attachment.url, attachment.content_type, attachment.name):
        return attachment
    return Attachment(url, content_type, name, attachment.size)


@dataclass(frozen=True, slots=True)
class Author:
    kind: AuthorKind
    name: str | None = None
    operator_id: int | None = None


@dataclass(frozen=True, slots=True)
class QuickReply:
    title: str
    payload: str


@dataclass(frozen=True, slots=True)
class OutboundMessage:
    """What a channel's `send` receives: one stored outbound message to deliver."""

    message_id: int
    conversation_id: int
    channel: str
    recipient: str
    text: str
    author: Author
    locale: str | None = None
    quick_replies: tuple[QuickReply, ...] = ()
    created_at: datetime | None = None
    # A rating question (CSAT): its scale, 5 → the quick replies are the scores 1..5.
    rating_scale: int | None = None
    # A bot answer that accepts a 👍/👎 vote (bot/feedback.py): buttons or a text line.
    feedback: bool = False


@dataclass(frozen=True, slots=True)
class SendResult:
    external_id: str | None = None
    status: DeliveryStatus = DeliveryStatus.SENT


# --- events on the bus ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Event:
    conversation_id: int
    at: datetime


@dataclass(frozen=True, slots=True)
class MessageReceived(Event):
    message_id: int
    channel: str


@dataclass(frozen=True, slots=True)
class MessageStored(Event):
    """An outbound message was written (bot, operator or system); delivery follows."""

    message_id: int
    channel: str
    author_kind: AuthorKind


@dataclass(frozen=True, slots=True)
class MessageSent(Event):
    message_id: int
    channel: str
    status: DeliveryStatus


@dataclass(frozen=True, slots=True)
class ConversationStateChanged(Event):
    from_state: ConversationState
    to_state: ConversationState
    actor: str
    reason: str


@dataclass(frozen=True, slots=True)
class ConversationQueued(ConversationStateChanged):
    pass


@dataclass(frozen=True, slots=True)
class ConversationAssigned(ConversationStateChanged):
    operator_id: int | None = None


@dataclass(frozen=True, slots=True)
class ConversationResolved(ConversationStateChanged):
    pass


@dataclass(frozen=True, slots=True)
class ConversationReturnedToBot(ConversationStateChanged):
    pass


# --- the operator desk (`protocols.OperatorDesk`): who operators are, what they get back --


class Presence(enum.StrEnum):
    ONLINE = "online"
    AWAY = "away"
    OFFLINE = "offline"


class Surface(enum.StrEnum):  # how an operator is recognised
    ID = "id"
    API_TOKEN = "api_token"
    CONSOLE_SESSION = "console_session"
    SLACK = "slack"


class RefusalKind(enum.StrEnum):
    NOT_FOUND = "not_found"
    CONFLICT = "conflict"  # the conversation's state does not allow it (claimed, resolved…)
    FORBIDDEN = "forbidden"  # allowed to someone, not to this operator
    INVALID = "invalid"  # the request itself is wrong (empty text, both targets…)


@dataclass(frozen=True, slots=True)
class Refused:
    """An action the desk did not do (nothing changed), and why, in one sentence."""

    kind: RefusalKind
    reason: str


@dataclass(frozen=True, slots=True)
class Origin:
    """Where a reply or note was written (`("slack", "C123:1764000500.000200")`,
    `("console", request id)`): its idempotency key, one message per origin."""

    surface: str
    key: str


@dataclass(frozen=True, slots=True)
class OperatorRef:
    id: int
    name: str
    label: str  # "Lucía · expert": the signed name, as the shop's default language says it
    kind: OperatorKind
    presence: Presence
    languages: tuple[str, ...] = ()
    skills: tuple[str, ...] = ()
    load: int = 0
    max_concurrent: int = 1
    assigned: tuple[int, ...] = ()
    offered: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class PoolRef:  # any of `kinds` (none: every kind) having any of `skills` (none: no skill)
    kinds: tuple[OperatorKind, ...] = ()
    skills: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Assignment:  # where a conversation stands after claim, transfer, return or resolve
    conversation_id: int
    state: ConversationState
    operator_id: int | None = None
    outcome: str | None = None  # a transfer to a pool: what routing did ("offered"…)
    position: int | None = None
    points_awarded: int = 0


@dataclass(frozen=True, slots=True)
class MessageRef:
    id: int
    conversation_id: int
    author_name: str | None
    operator_id: int | None
    text: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class NoteRef:
    id: int
    conversation_id: int
    operator_id: int
    kind: str  # note | transfer
    text: str
    at: datetime


@dataclass(frozen=True, slots=True)
class HandoffSnapshot:  # one conversation's handoff state, as an operator surface shows it
    conversation_id: int
    state: ConversationState
    channel: str
    locale: str | None
    contact_id: int
    language: str | None = None  # of the locale ("es" for "es-ES")
    handoff_reason: str | None = None
    assigned_operator_id: int | None = None
    priority: int = 0
    position: int | None = None
    offered_to: int | None = None
    after_hours: bool = False
    pools: tuple[PoolRef, ...] = ()
    topic: str | None = None
    last_actor_operator_id: int | None = None  # who resolved it, returned it to the bot…


@dataclass(frozen=True, slots=True)
class QueueLine:
    conversation_id: int
    priority: int
    waiting_seconds: int
    offered_to: int | None = None


# Handoff's events (Slack and the console follow them); an operator's: `conversation_id=0`.


@dataclass(frozen=True, slots=True)
class ConversationOffered(Event):  # routing chose `operator_id`, asked to claim it
    operator_id: int
    priority: int
    reason: str


@dataclass(frozen=True, slots=True)
class QueueChanged(Event):  # a conversation entered, moved in or left the queue
    position: int | None
    after_hours: bool = False


@dataclass(frozen=True, slots=True)
class OperatorReminded(Event):  # the shopper has waited too long for `operator_id`
    operator_id: int
    waiting_seconds: float


@dataclass(frozen=True, slots=True)
class NoteAdded(Event):
    operator_id: int
    note_id: int


@dataclass(frozen=True, slots=True)
class PresenceChanged(Event):
    operator_id: int
    presence: str


@dataclass(frozen=True, slots=True)
class OperatorTyping(Event):
    """An operator is typing (`active`) or stopped, in a conversation: ephemeral, never
    stored; channels that can show it (the web chat, Telegram) tell the shopper."""

    contact_id: int
    operator_id: int
    name: str  # the signature the shopper will see, e.g. "Lucía · experta"
    active: bool = True


@dataclass(frozen=True, slots=True)
class OutboundPost:
    """An outbox row that is not a shopper message (a Slack root, update or thread
    line), for the `PostDestination` named `destination`; ordered per recipient."""

    post_id: int
    destination: str
    recipient: str
    kind: str
    payload: Mapping[str, Any] = field(default_factory=dict)
    attempts: int = 0
