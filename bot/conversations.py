"""The one owner of a conversation's changes.

Every move of a conversation's state and every message to the shopper goes through
a `Change`, a unit of work over one write transaction:

    async with conversations.change(now) as change:
        await change.transition(conversation_id, ConversationState.QUEUED,
                                actor="bot", reason="the shopper asked for a person")
        await change.tell_shopper(conversation_id=…, contact_id=…, channel=…, text=…,
                                  locale=…)

A transition returns its event; telling the shopper writes the message row and its
outbox row in the same transaction. Only after the commit do the changes become
visible to the rest of the process: the `on_commit` callbacks run (in-process
caches follow the database, never lead it), the events are published on the bus and
the outbox is woken. On a rollback nothing of it happens, so no caller ever undoes
memory by hand.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from relevo.bot.clock import Clock, utc_now
from relevo.bot.protocols import Bus
from relevo.bot.store import contacts as contact_store
from relevo.bot.store import conversations as conversation_store
from relevo.bot.store import messages as message_store
from relevo.bot.store.db import Database
from relevo.bot.types import (
    Author,
    AuthorKind,
    ConversationAssigned,
    ConversationQueued,
    ConversationResolved,
    ConversationReturnedToBot,
    ConversationState,
    ConversationStateChanged,
    Event,
    MessageStored,
    Origin,
)

log = logging.getLogger("relevo.conversations")

_EVENTS: dict[ConversationState, type[ConversationStateChanged]] = {
    ConversationState.QUEUED: ConversationQueued,
    ConversationState.ASSIGNED: ConversationAssigned,
    ConversationState.RESOLVED: ConversationResolved,
    ConversationState.BOT: ConversationReturnedToBot,
}
_REASON_MAX = 200  # conversations.handoff_reason: the event keeps the whole reason
_SYSTEM = Author(AuthorKind.SYSTEM)


@dataclass(frozen=True, slots=True)
class Told:
    """A message for the shopper, stored with its outbox row.

    `event` is None when the origin was seen before: `message_id` is then the first
    message's, and nothing new was stored or will be published.
    """

    message_id: int
    at: datetime
    event: MessageStored | None

    @property
    def duplicate(self) -> bool:
        return self.event is None


class Change:
    """One write transaction that changes conversations; see the module docstring."""

    __slots__ = ("_events", "_on_commit", "conn", "now")

    def __init__(self, conn: AsyncConnection, now: datetime) -> None:
        self.conn = conn
        self.now = now
        self._events: list[Event] = []
        self._on_commit: list[Callable[[], object]] = []

    @property
    def events(self) -> tuple[Event, ...]:
        return tuple(self._events)

    async def transition(
        self,
        conversation_id: int,
        to_state: ConversationState,
        *,
        actor: str,
        reason: str,
        expected_from: ConversationState | None = None,
        operator_id: int | None = None,
    ) -> ConversationStateChanged:
        """Move the conversation (a recorded transition row) and return its event.

        Raises `IllegalTransition` for a move the state machine refuses or a lost race
        (`expected_from` no longer true), and `LookupError` for no such conversation.
        """
        from_state = await conversation_store.transition(
            self.conn, conversation_id, to_state, actor=actor, reason=reason[:_REASON_MAX],
            now=self.now, expected_from=expected_from, operator_id=operator_id,
        )
        common: dict[str, Any] = {
            "conversation_id": conversation_id, "at": self.now, "from_state": from_state,
            "to_state": to_state, "actor": actor, "reason": reason,
        }
        if to_state == ConversationState.ASSIGNED:
            event: ConversationStateChanged = ConversationAssigned(
                **common, operator_id=operator_id
            )
        else:
            event = _EVENTS[to_state](**common)
        self._events.append(event)
        return event

    async def tell_shopper(
        self,
        *,
        conversation_id: int,
        contact_id: int,
        channel: str,
        text: str,
        locale: str | None,
        author: Author = _SYSTEM,
        meta: dict[str, Any] | None = None,
        recipient: str | None = None,
        origin: Origin | None = None,
    ) -> Told | None:
        """Store a message for the shopper on `channel` and queue its delivery.

        None when the contact has no address there (logged: a data error, not the
        caller's). With an `origin` seen before, the first message is returned.
        """
        if origin is not None:
            found = await message_store.find_outbound(self.conn, origin)
            if found is not None:
                return Told(found[0], found[1], None)
        if recipient is None:
            recipient = await contact_store.recipient_for(self.conn, contact_id, channel)
            if recipient is None:
                log.error("no %s identity for contact %s", channel, contact_id)
                return None
        values: dict[str, Any] = {
            "conversation_id": conversation_id, "contact_id": contact_id, "channel": channel,
            "recipient": recipient, "author": author, "text": text, "locale": locale,
            "now": self.now, "meta": meta,
        }
        if origin is None or self.conn.dialect.name == "sqlite":
            # SQLite has one writer at a time: the look-up above cannot be overtaken.
            message_id = await message_store.insert_outbound(
                self.conn, **values, origin=origin
            )
        else:
            try:
                async with self.conn.begin_nested():
                    message_id = await message_store.insert_outbound(
                        self.conn, **values, origin=origin
                    )
            except IntegrityError:  # another process stored the same reply first
                found = await message_store.find_outbound(self.conn, origin)
                if found is None:
                    raise
                return Told(found[0], found[1], None)
        event = MessageStored(conversation_id=conversation_id, at=self.now,
                              message_id=message_id, channel=channel, author_kind=author.kind)
        self._events.append(event)
        return Told(message_id, self.now, event)

    def emit(self, event: Event) -> None:
        """Publish `event` after the commit, in order with the change's own events."""
        self._events.append(event)

    def on_commit(self, callback: Callable[[], object]) -> None:
        """Run `callback` once the transaction committed, before the events go out:
        where an in-process cache follows what was written."""
        self._on_commit.append(callback)


class Conversations:
    """Opens changes and publishes what they did once they are committed.

    `bus` may be None for a part wired without one: its changes are still written and
    the outbox still woken, but nobody hears of them.
    """

    def __init__(
        self,
        database: Database,
        bus: Bus | None,
        *,
        wake: Callable[[], None],
        clock: Clock = utc_now,
    ) -> None:
        self._db = database
        self._bus = bus
        self._wake = wake
        self._clock = clock

    @asynccontextmanager
    async def change(self, now: datetime | None = None) -> AsyncIterator[Change]:
        """A write transaction; `now` (default: the clock) stamps everything in it."""
        async with self._db.write() as conn:
            change = Change(conn, now if now is not None else self._clock())
            yield change
        for callback in change._on_commit:
            callback()
        await self.publish(*change._events)

    async def publish(self, *events: Event) -> None:
        """Publish events of something already committed (or of no write at all, like
        a presence notice), waking the outbox when a message awaits delivery."""
        if self._bus is not None:
            for event in events:
                await self._bus.publish(event)
        if any(isinstance(event, MessageStored) for event in events):
            self._wake()
