"""Events the handoff tier adds to the bus (besides `ConversationAssigned` & co.).

The console's WebSocket and, later, Slack subscribe to them. Events that concern an
operator rather than a conversation carry `conversation_id=0`.
"""

from __future__ import annotations

from dataclasses import dataclass

from relevo.bot.types import Event


@dataclass(frozen=True, slots=True)
class ConversationOffered(Event):
    """Routing chose `operator_id`; they are asked to claim it."""

    operator_id: int
    priority: int
    reason: str


@dataclass(frozen=True, slots=True)
class QueueChanged(Event):
    """A conversation entered, moved in or left the queue."""

    position: int | None
    after_hours: bool = False


@dataclass(frozen=True, slots=True)
class OperatorReminded(Event):
    """The shopper has waited too long for `operator_id`'s reply."""

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
