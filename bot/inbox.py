"""The one inbox: every channel's verified, parsed message lands here.

`accept` stores the message in one transaction (dedupe, contact, identity, open
conversation) and returns before any bot or operator work happens, so a provider
is acknowledged as soon as the message is durable. The engine takes it from there.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Protocol

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from relevo.bot.clock import Clock, utc_now
from relevo.bot.metrics import Metrics
from relevo.bot.protocols import Bus
from relevo.bot.store import contacts as contact_store
from relevo.bot.store import conversations as conversation_store
from relevo.bot.store import messages as message_store
from relevo.bot.store.contacts import IdentityRef
from relevo.bot.store.conversations import ConversationRow
from relevo.bot.store.db import Database
from relevo.bot.store.messages import StoredMessage
from relevo.bot.store.schema import messages
from relevo.bot.types import (
    Author,
    AuthorKind,
    DeliveryStatus,
    Direction,
    InboundMessage,
    MessageReceived,
    MessageSent,
)

log = logging.getLogger("relevo.inbox")


@dataclass(frozen=True, slots=True)
class Accepted:
    message_id: int
    conversation_id: int
    contact_id: int
    duplicate: bool
    # When the message was stored (its `created_at`); None for a duplicate.
    created_at: datetime | None = None


# The one callable a channel gets into the core (`Inbox.accept`), as Rasa's
# `InputChannel.blueprint(on_new_message)`: a channel verifies and parses, then hands
# the message over here and does no core work itself (no dedupe ahead of it, no rows).
OnMessage = Callable[[InboundMessage], Awaitable["Accepted"]]


class OnVisitorMessage(Protocol):
    """`OnMessage` for a channel whose verify step already names the sender's identity
    (the web chat's visitor token): the inbox then does not resolve it again."""

    def __call__(
        self, message: InboundMessage, *, identity: IdentityRef | None = None
    ) -> Awaitable[Accepted]: ...


@dataclass(frozen=True, slots=True)
class DeliveryReceipt:
    """A provider's word on an outbound message it was given (Twilio's status
    callback): the message is found by the provider's id for it."""

    channel: str
    provider_message_id: str
    status: DeliveryStatus
    error: str | None = None


# How a channel hands a delivery receipt to the core (`Inbox.receipt`); True when the
# message's status changed.
OnReceipt = Callable[[DeliveryReceipt], Awaitable[bool]]

# A later receipt never moves a message back (sent → delivered → read; failed is not
# undone by a late "sent"): providers do not promise their order.
_RANK = {
    DeliveryStatus.PENDING: 0,
    DeliveryStatus.SENT: 1,
    DeliveryStatus.FAILED: 2,
    DeliveryStatus.DELIVERED: 3,
    DeliveryStatus.READ: 4,
}


# (contact_id, channel, phone a provider vouched for) → link with any contact known by
# that number. A channel that learns a verified phone calls it after the inbox accepted
# the message that carried it.
VerifiedPhoneHook = Callable[[int, str, str], Awaitable[None]]


# (message_id, conversation_id, what was just stored: the message and its conversation
# as this transaction left them, so the engine need not read them back).
# The last argument is the engine's `epoch()` taken before the read (None: unknown),
# which tells the engine whether a job may have changed the conversation meanwhile.
OnAccepted = Callable[[int, int, tuple[StoredMessage, ConversationRow], int | None], None]


# Whether a shopper's message answers a rating request still awaited, asked in the
# accepting transaction: (conn, contact_id, text) → the resolved conversation it
# rates, or None. The handoff tier answers it (`Handoff.rated_conversation`, wired in
# `app/wiring.py`); the rating is then stored on the conversation it rates, so it never
# opens a new conversation. It must be cheap for other text (most messages).
RatingTarget = Callable[[AsyncConnection, int, str], Awaitable[int | None]]


class Inbox:
    def __init__(
        self,
        database: Database,
        bus: Bus,
        metrics: Metrics,
        *,
        on_accepted: OnAccepted | None = None,
        epoch: Callable[[], int] | None = None,
        clock: Clock = utc_now,
        rating_target: RatingTarget | None = None,
    ) -> None:
        self._db = database
        self._rating_target = rating_target
        self._bus = bus
        self._metrics = metrics
        self._on_accepted = on_accepted
        self._epoch = epoch
        self._clock = clock

    async def accept(
        self, message: InboundMessage, *, identity: IdentityRef | None = None
    ) -> Accepted:
        """Store `message` once. A replay of the same `(channel, external_id)`, even a
        concurrent one, returns the first message's ids with `duplicate=True`."""
        now = self._clock()
        taken_at = self._epoch() if self._epoch is not None else None
        try:
            async with self._db.write() as conn:
                message_id, conversation, identity = await _store(
                    conn, message, identity, now, self._rating_target
                )
        except message_store.DuplicateMessage as dup:
            return self._duplicate(message, dup.message_id, dup.conversation_id)
        self._metrics.inc("relevo_messages_in_total", channel=message.channel)
        await self._bus.publish(
            MessageReceived(
                conversation_id=conversation.id,
                at=now,
                message_id=message_id,
                channel=message.channel,
            )
        )
        if self._on_accepted is not None:
            self._on_accepted(
                message_id,
                conversation.id,
                _as_stored(message, message_id, conversation, identity.contact_id, now),
                taken_at,
            )
        return Accepted(
            message_id, conversation.id, identity.contact_id, duplicate=False, created_at=now
        )

    async def receipt(self, receipt: DeliveryReceipt) -> bool:
        """Move the message's delivery status forward and tell the bus; True when it
        changed (False: no such message, or the receipt is older news)."""
        async with self._db.write() as conn:
            changed = await _record_receipt(conn, receipt)
        if changed is None:
            return False
        message_id, conversation_id = changed
        await self._bus.publish(
            MessageSent(conversation_id=conversation_id, at=self._clock(),
                        message_id=message_id, channel=receipt.channel, status=receipt.status)
        )
        return True

    def _duplicate(
        self, message: InboundMessage, message_id: int, conversation_id: int
    ) -> Accepted:
        self._metrics.inc("relevo_messages_duplicate_total", channel=message.channel)
        log.info("duplicate %s message ignored (stored as %s)", message.channel, message_id)
        return Accepted(message_id, conversation_id, contact_id=0, duplicate=True)


async def _record_receipt(
    conn: AsyncConnection, receipt: DeliveryReceipt
) -> tuple[int, int] | None:
    """(message_id, conversation_id) when the receipt changed the message's status."""
    row = (
        await conn.execute(
            sa.select(messages.c.id, messages.c.conversation_id, messages.c.delivery_status)
            .where(
                messages.c.provider_message_id == receipt.provider_message_id,
                messages.c.channel == receipt.channel,
            )
            .with_for_update()
        )
    ).first()
    if row is None:
        return None
    if _RANK[receipt.status] <= _RANK[DeliveryStatus(row.delivery_status)]:
        return None
    await conn.execute(
        sa.update(messages)
        .where(messages.c.id == row.id)
        .values(delivery_status=receipt.status.value, delivery_error=receipt.error)
    )
    return row.id, row.conversation_id


def _as_stored(
    message: InboundMessage,
    message_id: int,
    conversation: ConversationRow,
    contact_id: int,
    now: datetime,
) -> tuple[StoredMessage, ConversationRow]:
    """The message and its conversation as the accepting transaction left them."""
    stored = StoredMessage(
        id=message_id,
        conversation_id=conversation.id,
        contact_id=contact_id,
        direction=Direction.INBOUND,
        author=Author(AuthorKind.SHOPPER, message.display_name),
        channel=message.channel,
        text=message.text,
        locale=message.locale,
        delivery_status=DeliveryStatus.DELIVERED,
        created_at=now,
        attachments=message.attachments,
    )
    if conversation.channel != message.channel or (message.locale and not conversation.locale):
        # The conversation's language is relevo's (bot/language.py): the channel's locale
        # only fills it in, it never overrides what the shopper was answered in.
        conversation = replace(
            conversation, channel=message.channel,
            locale=conversation.locale or message.locale, updated_at=now,
        )
    return stored, conversation


async def _store(
    conn: AsyncConnection, message: InboundMessage, identity: IdentityRef | None, now: datetime,
    rating_target: RatingTarget | None = None,
) -> tuple[int, ConversationRow, IdentityRef]:
    """The accepting transaction: (message id, its open conversation, the sender's
    identity). Raises `DuplicateMessage` for a `(channel, external_id)` already stored."""
    known = await message_store.find_inbound(conn, message.channel, message.external_id)
    if known is not None:
        raise message_store.DuplicateMessage(*known)
    if identity is None:
        identity = await contact_store.resolve_identity(
            conn,
            message.channel,
            message.external_user_id,
            now=now,
            display_name=message.display_name,
            locale=message.locale,
        )
    conversation = await _conversation_for(conn, identity.contact_id, message, now,
                                           rating_target)
    message_id = await message_store.insert_inbound(
        conn,
        message,
        conversation_id=conversation.id,
        contact_id=identity.contact_id,
        locale=message.locale,  # only what the channel said
        now=now,
    )
    if conversation.channel != message.channel or (message.locale and not conversation.locale):
        await conversation_store.touch(
            conn, conversation.id, now=now, channel=message.channel,
            locale=None if conversation.locale else message.locale,
        )
    return message_id, conversation, identity


async def _conversation_for(
    conn: AsyncConnection, contact_id: int, message: InboundMessage, now: datetime,
    rating_target: RatingTarget | None,
) -> ConversationRow:
    """The contact's open conversation (a new one if none); for the answer to a rating
    request, the resolved conversation it rates."""
    if rating_target is not None and message.text:
        rated = await rating_target(conn, contact_id, message.text)
        found = await conversation_store.get(conn, rated) if rated is not None else None
        if found is not None:
            return found
    conversation, _ = await conversation_store.open_for_contact(
        conn, contact_id, channel=message.channel, locale=message.locale, now=now,
    )
    return conversation
