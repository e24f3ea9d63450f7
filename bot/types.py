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


@dataclass(frozen=True, slots=True)
class SendResult:
    external_id: str | None = None
    status: DeliveryStatus = DeliveryStatus.SENT


class DeliveryError(Exception):
    """Base of the errors a channel's `send` raises."""


class TransientDeliveryError(DeliveryError):
    """The provider may accept the message later (5xx, 429, timeouts)."""

    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after


class PermanentDeliveryError(DeliveryError):
    """The provider refused the message for good (4xx other than 429, blocked user)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class IllegalTransition(Exception):
    def __init__(self, conversation_id: int, from_state: str, to_state: str) -> None:
        super().__init__(
            f"conversation {conversation_id}: illegal transition {from_state} -> {to_state}"
        )
        self.conversation_id = conversation_id
        self.from_state = from_state
        self.to_state = to_state


# --- NLU ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class IntentPrediction:
    name: str
    confidence: float


@dataclass(frozen=True, slots=True)
class Entity:
    entity: str
    value: str
    start: int
    end: int
    confidence: float = 1.0
    extractor: str = "relevo"


@dataclass(frozen=True, slots=True)
class ParseResult:
    """Rasa's parse schema (`text`, `intent`, `intent_ranking`, `entities`) plus the locale."""

    text: str
    intent: IntentPrediction
    intent_ranking: tuple[IntentPrediction, ...] = ()
    entities: tuple[Entity, ...] = ()
    locale: str | None = None
    # The engine recognised the message as off-topic for this bot (not merely unsure):
    # the conversation goes to a person at once instead of "could you rephrase?".
    out_of_scope: bool = False

    def to_rasa(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "intent": {"name": self.intent.name, "confidence": self.intent.confidence},
            "intent_ranking": [
                {"name": p.name, "confidence": p.confidence} for p in self.intent_ranking
            ],
            "entities": [
                {
                    "entity": e.entity,
                    "value": e.value,
                    "start": e.start,
                    "end": e.end,
                    "confidence_entity": e.confidence,
                    "extractor": e.extractor,
                }
                for e in self.entities
            ],
            "locale": self.locale,
        }


@dataclass(frozen=True, slots=True)
class TrainingExample:
    text: str
    intent: str
    locale: str | None = None


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
