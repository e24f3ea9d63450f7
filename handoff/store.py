"""Queries of the handoff tables (Core SQLAlchemy, one AsyncConnection each)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from relevo.bot.store.schema import (
    contacts,
    conversations,
    handoffs,
    identities,
    messages,
    operator_notes,
    routing_decisions,
)


@dataclass(frozen=True, slots=True)
class HandoffRow:
    conversation_id: int
    priority: int
    pools: list[dict[str, Any]]
    stage: int
    topic: str | None
    intent: str | None
    handoff_count: int
    queued_at: datetime | None
    offered_to: int | None
    offered_at: datetime | None
    offers: list[int]
    assigned_at: datetime | None
    waiting_since: datetime | None
    reminded_at: datetime | None
    first_reply_at: datetime | None
    told_position: int | None
    told_wait_seconds: int | None
    after_hours: bool
    last_decision_id: int | None


_FIELDS = [c.name for c in handoffs.columns if c.name != "updated_at"]


def _handoff(row: sa.Row[Any]) -> HandoffRow:
    m = row._mapping
    return HandoffRow(**{name: m[name] for name in _FIELDS})


async def get_handoff(conn: AsyncConnection, conversation_id: int) -> HandoffRow | None:
    row = (
        await conn.execute(sa.select(handoffs).where(handoffs.c.conversation_id == conversation_id))
    ).first()
    return _handoff(row) if row is not None else None


async def save_handoff(
    conn: AsyncConnection, conversation_id: int, *, now: datetime, create: bool = False,
    **values: Any,
) -> None:
    """Update the conversation's handoff row, creating it on first handoff (`create`:
    the caller knows there is none, saving a round trip)."""
    values["updated_at"] = now
    rowcount = 0
    if not create:
        result = await conn.execute(
            sa.update(handoffs).where(handoffs.c.conversation_id == conversation_id)
            .values(**values)
        )
        rowcount = result.rowcount
    if rowcount == 0:
        defaults: dict[str, Any] = {
            "priority": 0, "pools": [], "stage": 0, "handoff_count": 0, "offers": [],
            "after_hours": False,
        }
        await conn.execute(
            sa.insert(handoffs).values(conversation_id=conversation_id, **{**defaults, **values})
        )


@dataclass(frozen=True, slots=True)
class OpenHandoff:
    handoff: HandoffRow
    state: str
    channel: str
    locale: str | None
    contact_id: int
    operator_id: int | None


async def open_handoffs(conn: AsyncConnection) -> list[OpenHandoff]:
    """Every queued or assigned conversation with its handoff row: what the in-memory
    indexes are rebuilt from at start-up."""
    rows = await conn.execute(
        sa.select(
            handoffs,
            conversations.c.state,
            conversations.c.channel,
            conversations.c.locale,
            conversations.c.contact_id,
            conversations.c.assigned_operator_id,
        )
        .join(conversations, conversations.c.id == handoffs.c.conversation_id)
        .where(conversations.c.state.in_(("queued", "assigned")))
    )
    return [
        OpenHandoff(_handoff(r), r.state, r.channel, r.locale, r.contact_id,
                    r.assigned_operator_id)
        for r in rows
    ]


async def queued_without_handoff(conn: AsyncConnection) -> list[int]:
    """Queued conversations never routed (a crash between queueing and routing)."""
    rows = await conn.execute(
        sa.select(conversations.c.id)
        .outerjoin(handoffs, handoffs.c.conversation_id == conversations.c.id)
        .where(conversations.c.state == "queued", handoffs.c.conversation_id.is_(None))
        .order_by(conversations.c.id)
    )
    return [r.id for r in rows]


async def insert_decision(conn: AsyncConnection, **values: Any) -> int:
    return int(
        (
            await conn.execute(
                sa.insert(routing_decisions).values(**values).returning(routing_decisions.c.id)
            )
        ).scalar_one()
    )


async def decisions_for(conn: AsyncConnection, conversation_id: int) -> list[dict[str, Any]]:
    rows = await conn.execute(
        sa.select(routing_decisions)
        .where(routing_decisions.c.conversation_id == conversation_id)
        .order_by(routing_decisions.c.id)
    )
    return [
        {
            "id": r.id,
            "at": r.at.isoformat(),
            "trigger": r.trigger,
            "facts": r.facts,
            "hits": r.hits,
            "pool": r.pool,
            "priority": r.priority,
            "operator_id": r.operator_id,
            "outcome": r.outcome,
            "explanation": r.explanation,
        }
        for r in rows
    ]


async def add_note(
    conn: AsyncConnection, *, conversation_id: int, operator_id: int, kind: str, text: str,
    now: datetime,
) -> int:
    return int(
        (
            await conn.execute(
                sa.insert(operator_notes)
                .values(conversation_id=conversation_id, operator_id=operator_id, kind=kind,
                        text=text, at=now)
                .returning(operator_notes.c.id)
            )
        ).scalar_one()
    )


async def notes_for(conn: AsyncConnection, conversation_id: int) -> list[dict[str, Any]]:
    rows = await conn.execute(
        sa.select(operator_notes)
        .where(operator_notes.c.conversation_id == conversation_id)
        .order_by(operator_notes.c.id)
    )
    return [
        {"id": r.id, "operator_id": r.operator_id, "kind": r.kind, "text": r.text,
         "at": r.at.isoformat()}
        for r in rows
    ]


async def contact_info(conn: AsyncConnection, contact_id: int) -> dict[str, Any] | None:
    row = (await conn.execute(sa.select(contacts).where(contacts.c.id == contact_id))).first()
    if row is None:
        return None
    channels = await conn.execute(
        sa.select(identities.c.channel, identities.c.external_user_id, identities.c.display_name,
                  identities.c.last_seen_at)
        .where(identities.c.contact_id == contact_id)
        .order_by(identities.c.id)
    )
    return {
        "id": row.id,
        "display_name": row.display_name,
        "locale": row.locale,
        "email": row.email,
        "phone": row.phone,
        "tags": list(row.tags or []),
        "channels": [
            {"channel": c.channel, "external_user_id": c.external_user_id,
             "display_name": c.display_name,
             "last_seen_at": c.last_seen_at.isoformat() if c.last_seen_at else None}
            for c in channels
        ],
    }


async def routing_context(
    conn: AsyncConnection, conversation_id: int
) -> tuple[HandoffRow | None, list[str]] | None:
    """The conversation's handoff row and its contact's tags, in one round trip (None:
    no such conversation)."""
    row = (
        await conn.execute(
            sa.select(handoffs, contacts.c.tags.label("contact_tags"))
            .select_from(conversations)
            .join(contacts, contacts.c.id == conversations.c.contact_id)
            .outerjoin(handoffs, handoffs.c.conversation_id == conversations.c.id)
            .where(conversations.c.id == conversation_id)
        )
    ).first()
    if row is None:
        return None
    handoff = _handoff(row) if row._mapping["conversation_id"] is not None else None
    return handoff, [str(t) for t in row._mapping["contact_tags"] or []]


async def contact_tags(conn: AsyncConnection, contact_id: int) -> list[str]:
    tags = (
        await conn.execute(sa.select(contacts.c.tags).where(contacts.c.id == contact_id))
    ).scalar_one_or_none()
    return [str(t) for t in tags or []]


async def recent_meta(
    conn: AsyncConnection, conversation_id: int, limit: int = 20
) -> list[tuple[str, str, dict[str, Any] | None, str]]:
    """(author_kind, direction, meta, text) of the conversation's latest messages, newest
    first: where routing finds the intents the bot saw."""
    rows = await conn.execute(
        sa.select(messages.c.author_kind, messages.c.direction, messages.c.meta, messages.c.text)
        .where(messages.c.conversation_id == conversation_id)
        .order_by(messages.c.id.desc())
        .limit(limit)
    )
    return [(r.author_kind, r.direction, r.meta, r.text) for r in rows]


async def last_messages(
    conn: AsyncConnection, conversation_ids: list[int]
) -> dict[int, tuple[str, str, datetime]]:
    """conversation id → (author kind, text, at) of its latest message."""
    if not conversation_ids:
        return {}
    latest = (
        sa.select(sa.func.max(messages.c.id))
        .where(messages.c.conversation_id.in_(conversation_ids))
        .group_by(messages.c.conversation_id)
    )
    rows = await conn.execute(
        sa.select(messages.c.conversation_id, messages.c.author_kind, messages.c.text,
                  messages.c.created_at)
        .where(messages.c.id.in_(latest))
    )
    return {r.conversation_id: (r.author_kind, r.text, r.created_at) for r in rows}


async def contact_history(
    conn: AsyncConnection, contact_id: int, limit: int = 500
) -> list[dict[str, Any]]:
    """Every message of the contact, across conversations and channels, oldest first."""
    rows = await conn.execute(
        sa.select(messages)
        .where(messages.c.contact_id == contact_id)
        .order_by(messages.c.id.desc())
        .limit(limit)
    )
    out = [
        {
            "id": r.id,
            "conversation_id": r.conversation_id,
            "direction": r.direction,
            "author": {"kind": r.author_kind, "name": r.author_name,
                       "operator_id": r.operator_id},
            "channel": r.channel,
            "text": r.text,
            "locale": r.locale,
            "delivery_status": r.delivery_status,
            "meta": r.meta,
            "created_at": r.created_at.isoformat(),
        }
        for r in rows
    ]
    out.reverse()
    return out


async def load_sets(conn: AsyncConnection, operator_id: int) -> tuple[set[int], set[int]]:
    """The conversations assigned to an operator, and the queued ones offered to them."""
    assigned = await conn.execute(
        sa.select(conversations.c.id).where(conversations.c.assigned_operator_id == operator_id,
                                            conversations.c.state == "assigned")
    )
    offered = await conn.execute(
        sa.select(handoffs.c.conversation_id)
        .join(conversations, conversations.c.id == handoffs.c.conversation_id)
        .where(handoffs.c.offered_to == operator_id, conversations.c.state == "queued")
    )
    return {r.id for r in assigned}, {r.conversation_id for r in offered}


async def withdraw_offers(conn: AsyncConnection, operator_id: int, *, now: datetime) -> None:
    """The operator left: their pending offers go back to the queue (their slots free)."""
    await conn.execute(
        sa.update(handoffs).where(handoffs.c.offered_to == operator_id)
        .values(offered_to=None, offered_at=None, updated_at=now)
    )


_STATE = sa.select(conversations.c.state).where(conversations.c.id == sa.bindparam("cid"))


async def still_queued(conn: AsyncConnection, conversation_id: int) -> bool:
    """Storage has the conversation queued (another process may have closed it)."""
    found = await conn.execute(_STATE, {"cid": conversation_id})
    return found.scalar_one_or_none() == "queued"


async def contact_conversations(
    conn: AsyncConnection, contact_id: int, *,
    visible: sa.ColumnElement[bool] | None = None, limit: int = 20,
) -> list[dict[str, Any]]:
    """The contact's conversations the viewer may see (`visible`), newest first: the
    console's sidebar links to them."""
    query = (
        sa.select(conversations.c.id, conversations.c.state, conversations.c.channel,
                  conversations.c.created_at, conversations.c.updated_at)
        .where(conversations.c.contact_id == contact_id)
        .order_by(conversations.c.id.desc())
        .limit(limit)
    )
    if visible is not None:
        query = query.where(visible)
    return [
        {"id": r.id, "state": r.state, "channel": r.channel,
         "created_at": r.created_at.isoformat(), "updated_at": r.updated_at.isoformat()}
        for r in await conn.execute(query)
    ]
