"""Messages: inbound (deduped on the provider's id) and outbound (with their outbox row)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from relevo.bot.store.schema import messages, outbox
from relevo.bot.types import (
    Attachment,
    Author,
    AuthorKind,
    DeliveryStatus,
    Direction,
    InboundMessage,
    Origin,
)


@dataclass(frozen=True, slots=True)
class StoredMessage:
    id: int
    conversation_id: int
    contact_id: int
    direction: Direction
    author: Author
    channel: str
    text: str
    locale: str | None
    delivery_status: DeliveryStatus
    created_at: datetime
    attachments: tuple[Attachment, ...] = ()
    meta: dict[str, Any] | None = None
    delivery_error: str | None = None


_COLUMNS = (
    messages.c.id,
    messages.c.conversation_id,
    messages.c.contact_id,
    messages.c.direction,
    messages.c.author_kind,
    messages.c.author_name,
    messages.c.operator_id,
    messages.c.channel,
    messages.c.text,
    messages.c.locale,
    messages.c.delivery_status,
    messages.c.created_at,
    messages.c.attachments,
    messages.c.meta,
    messages.c.delivery_error,
)


def _row(row: Any) -> StoredMessage:  # an sa.Row of _COLUMNS
    m = row._mapping
    return StoredMessage(
        id=m["id"],
        conversation_id=m["conversation_id"],
        contact_id=m["contact_id"],
        direction=Direction(m["direction"]),
        author=Author(AuthorKind(m["author_kind"]), m["author_name"], m["operator_id"]),
        channel=m["channel"],
        text=m["text"],
        locale=m["locale"],
        delivery_status=DeliveryStatus(m["delivery_status"]),
        created_at=m["created_at"],
        attachments=tuple(Attachment(**a) for a in (m["attachments"] or ())),
        meta=m["meta"],
        delivery_error=m["delivery_error"],
    )


# Hot-path statements are built once: SQLAlchemy then reuses their cache key and
# compiled form, which is most of the cost of a statement on SQLite.
_FIND_INBOUND = sa.select(messages.c.id, messages.c.conversation_id).where(
    messages.c.channel == sa.bindparam("channel"),
    messages.c.external_id == sa.bindparam("external_id"),
)
_INSERT = sa.insert(messages).returning(messages.c.id)
_INSERT_OUTBOX = sa.insert(outbox)
ORIGIN_KEY_MAX = 200  # messages.origin_key
_MARK_PROCESSED = (
    sa.update(messages)
    .where(messages.c.id == sa.bindparam("message_id"), messages.c.processed == sa.false())
    .values(processed=True)
)
_MARK_PROCESSED_WITH_META = (
    sa.update(messages)
    .where(messages.c.id == sa.bindparam("message_id"), messages.c.processed == sa.false())
    .values(processed=True, meta=sa.bindparam("meta", type_=messages.c.meta.type))
)
_FIND_OUTBOUND = sa.select(messages.c.id, messages.c.created_at).where(
    messages.c.origin_surface == sa.bindparam("origin_surface"),
    messages.c.origin_key == sa.bindparam("origin_key"),
)
_GET = sa.select(*_COLUMNS).where(messages.c.id == sa.bindparam("message_id"))
_FOR_CONTACT = (
    sa.select(*_COLUMNS)
    .where(
        messages.c.contact_id == sa.bindparam("contact_id"), messages.c.id > sa.bindparam("after")
    )
    .order_by(messages.c.id)
    .limit(sa.bindparam("limit"))
)


async def find_inbound(
    conn: AsyncConnection, channel: str, external_id: str
) -> tuple[int, int] | None:
    """(message_id, conversation_id) of an already stored provider message."""
    row = (
        await conn.execute(_FIND_INBOUND, {"channel": channel, "external_id": external_id})
    ).first()
    return (row.id, row.conversation_id) if row is not None else None


class DuplicateMessage(Exception):
    def __init__(self, message_id: int, conversation_id: int) -> None:
        super().__init__(f"message already stored as {message_id}")
        self.message_id = message_id
        self.conversation_id = conversation_id


async def insert_inbound(
    conn: AsyncConnection,
    message: InboundMessage,
    *,
    conversation_id: int,
    contact_id: int,
    locale: str | None,
    now: datetime,
) -> int:
    """Store a shopper's message, unprocessed. Raises `DuplicateMessage` when the
    unique `(channel, external_id)` says another writer stored it first."""
    values = {
        **_NO_OUTBOUND_FIELDS,
        "conversation_id": conversation_id,
        "contact_id": contact_id,
        "direction": Direction.INBOUND.value,
        "author_kind": AuthorKind.SHOPPER.value,
        "author_name": message.display_name,
        "channel": message.channel,
        "external_id": message.external_id,
        "text": message.text,
        "attachments": [_attachment(a) for a in message.attachments] or None,
        "locale": locale,
        "delivery_status": DeliveryStatus.DELIVERED.value,
        "processed": False,
        "meta": None,
        "created_at": now,
    }
    if conn.dialect.name == "sqlite":
        # One writer at a time (BEGIN IMMEDIATE) and the caller looked the id up in
        # this transaction: no other writer can slip in, so no savepoint is needed.
        return int((await conn.execute(_INSERT, values)).scalar_one())
    try:
        async with conn.begin_nested():
            return int((await conn.execute(_INSERT, values)).scalar_one())
    except IntegrityError:
        found = await find_inbound(conn, message.channel, message.external_id)
        if found is None:
            raise
        raise DuplicateMessage(*found) from None


# Every execution of the prebuilt INSERT passes the same keys (one compiled form).
_NO_OUTBOUND_FIELDS: dict[str, Any] = {
    "operator_id": None,
    "provider_message_id": None,
    "delivery_error": None,
}


def _attachment(a: Attachment) -> dict[str, Any]:
    return {"url": a.url, "content_type": a.content_type, "name": a.name, "size": a.size}


async def insert_outbound(
    conn: AsyncConnection,
    *,
    conversation_id: int,
    contact_id: int,
    channel: str,
    recipient: str,
    author: Author,
    text: str,
    locale: str | None,
    now: datetime,
    meta: dict[str, Any] | None = None,
    origin: Origin | None = None,
) -> int:
    """Store an outbound message and its outbox row in the caller's transaction.

    `origin` is the idempotency key of an operator's reply (where it was written),
    unique like a provider's id of an inbound message."""
    message_id = (
        await conn.execute(
            _INSERT,
            {
                **_NO_OUTBOUND_FIELDS,
                "conversation_id": conversation_id,
                "contact_id": contact_id,
                "direction": Direction.OUTBOUND.value,
                "author_kind": author.kind.value,
                "author_name": author.name,
                "operator_id": author.operator_id,
                "channel": channel,
                "external_id": None,
                "origin_surface": origin.surface if origin is not None else None,
                "origin_key": origin.key[:ORIGIN_KEY_MAX] if origin is not None else None,
                "text": text,
                "attachments": None,
                "locale": locale,
                "delivery_status": DeliveryStatus.PENDING.value,
                "processed": True,
                "meta": meta,
                "created_at": now,
            },
        )
    ).scalar_one()
    await conn.execute(
        _INSERT_OUTBOX,
        {
            "message_id": message_id,
            "channel": channel,
            "recipient": recipient,
            "status": "pending",
            "attempts": 0,
            "next_attempt_at": now,
            "last_error": None,
            "created_at": now,
            "updated_at": now,
        },
    )
    return int(message_id)


async def find_outbound(conn: AsyncConnection, origin: Origin) -> tuple[int, datetime] | None:
    """(message_id, created_at) of the message stored under this idempotency key."""
    row = (
        await conn.execute(_FIND_OUTBOUND, {"origin_surface": origin.surface,
                                            "origin_key": origin.key[:ORIGIN_KEY_MAX]})
    ).first()
    return (row.id, row.created_at) if row is not None else None


async def mark_processed(
    conn: AsyncConnection, message_id: int, *, meta: dict[str, Any] | None = None
) -> bool:
    """Compare-and-set: False when the message was already handled (a recovery race).

    `meta`, when given, is stored on the message in the same statement: what the
    engine read in it (its parse), so nobody parses it a second time."""
    if meta is None:
        result = await conn.execute(_MARK_PROCESSED, {"message_id": message_id})
    else:
        result = await conn.execute(
            _MARK_PROCESSED_WITH_META, {"message_id": message_id, "meta": meta}
        )
    return result.rowcount == 1


async def unprocessed(conn: AsyncConnection, limit: int = 1000) -> list[tuple[int, int]]:
    """(message_id, conversation_id) of shopper messages stored but not yet handled,
    oldest first: what a crash left behind."""
    rows = await conn.execute(
        sa.select(messages.c.id, messages.c.conversation_id)
        .where(messages.c.processed == sa.false())
        .order_by(messages.c.id)
        .limit(limit)
    )
    return [(r.id, r.conversation_id) for r in rows]


async def get(conn: AsyncConnection, message_id: int) -> StoredMessage | None:
    row = (await conn.execute(_GET, {"message_id": message_id})).first()
    return _row(row) if row is not None else None


async def for_contact(
    conn: AsyncConnection, contact_id: int, *, after: int = 0, limit: int = 200
) -> list[StoredMessage]:
    rows = await conn.execute(
        _FOR_CONTACT, {"contact_id": contact_id, "after": after, "limit": limit}
    )
    return [_row(r) for r in rows]


async def for_conversation(
    conn: AsyncConnection, conversation_id: int, *, limit: int = 1000
) -> list[StoredMessage]:
    rows = await conn.execute(
        sa.select(*_COLUMNS)
        .where(messages.c.conversation_id == conversation_id)
        .order_by(messages.c.id)
        .limit(limit)
    )
    return [_row(r) for r in rows]


_SET_DELIVERED = (
    sa.update(messages)
    .where(messages.c.id == sa.bindparam("message_id"))
    .values(
        # A provider's status callback may have moved it further already: never back.
        delivery_status=sa.case(
            (
                sa.or_(
                    messages.c.delivery_status == DeliveryStatus.DELIVERED.value,
                    messages.c.delivery_status == DeliveryStatus.READ.value,
                ),
                messages.c.delivery_status,
            ),
            else_=sa.bindparam("status"),
        ),
        provider_message_id=sa.bindparam("provider_message_id"),
        delivery_error=None,
    )
)


async def set_delivered(
    conn: AsyncConnection, outcomes: list[tuple[int, DeliveryStatus, str | None]]
) -> None:
    """Record successful sends: (message_id, status, provider's message id)."""
    if outcomes:
        await conn.execute(
            _SET_DELIVERED,
            [
                {"message_id": m, "status": s.value, "provider_message_id": p}
                for m, s, p in outcomes
            ],
        )


async def set_delivery(
    conn: AsyncConnection,
    message_id: int,
    status: DeliveryStatus,
    *,
    provider_message_id: str | None = None,
    error: str | None = None,
) -> None:
    values: dict[str, Any] = {"delivery_status": status.value, "delivery_error": error}
    if provider_message_id is not None:
        values["provider_message_id"] = provider_message_id
    await conn.execute(sa.update(messages).where(messages.c.id == message_id).values(**values))
