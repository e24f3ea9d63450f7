"""The core's tables in an export or erasure of a shopper's data (GDPR).

A contact is exported or erased together with every contact merged into the same
person (`merged_into_id`): linking moved their identities and conversations over, so
they are one person's data.

What an erasure keeps, anonymous, for analytics: the contact row (id, locale, when it
was created, merged and erased); conversations (state, channel, locale, timestamps,
the operator, the transitions with their system reasons); messages (direction,
author kind, the operator who wrote one, channel, timestamps, delivery status, the
provider's message id used as the dedupe key, the bot's intent and confidence, the
type and size of attachments). What it removes: every text, names, phone numbers and
e-mails, tags, identities (so the shopper's next message makes a new contact),
verified addresses, link codes, web chat sessions, and outbox rows' addresses.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from relevo.bot.personal import Subject, rows_of
from relevo.bot.store.links import survivor_of
from relevo.bot.store.schema import (
    contacts,
    conversation_transitions,
    conversations,
    identities,
    link_codes,
    messages,
    outbox,
    verified_addresses,
    web_sessions,
)

ERASED = "erased"
# What a message's `meta` keeps: the bot's understanding, never words.
_KEPT_META = ("intent", "article", "confidence", "clarified", "handoff", "handoff_reason",
              "score", "rated_conversation_id", "operator_kind")
_KEPT_PARSE = ("intent", "confidence", "locale", "out_of_scope")


async def subject_of(conn: AsyncConnection, contact_id: int) -> Subject | None:
    """Everything stored under `contact_id`'s person, or None for no such contact."""
    exists = await conn.execute(sa.select(contacts.c.id).where(contacts.c.id == contact_id))
    if exists.first() is None:
        return None
    family = {await survivor_of(conn, contact_id)}
    frontier = set(family)
    while frontier:  # everyone merged into the family, however deep
        found = await conn.execute(
            sa.select(contacts.c.id).where(contacts.c.merged_into_id.in_(frontier))
        )
        frontier = {int(row.id) for row in found} - family
        family |= frontier
    ids = tuple(sorted(family))
    conversation_ids = await conn.execute(
        sa.select(conversations.c.id).where(conversations.c.contact_id.in_(ids))
        .order_by(conversations.c.id)
    )
    known = await conn.execute(
        sa.select(identities.c.channel, identities.c.external_user_id)
        .where(identities.c.contact_id.in_(ids)).order_by(identities.c.id)
    )
    return Subject(
        contact_ids=ids,
        conversation_ids=tuple(int(row.id) for row in conversation_ids),
        identities=tuple((str(row.channel), str(row.external_user_id)) for row in known),
    )


async def idle_conversations(
    conn: AsyncConnection, channel: str, cutoff: datetime, *, limit: int
) -> list[int]:
    """Conversations on `channel`, not erased yet, with no activity since `cutoff`
    (neither a change of the conversation nor a message)."""
    recent = sa.select(messages.c.id).where(
        messages.c.conversation_id == conversations.c.id, messages.c.created_at >= cutoff
    )
    found = await conn.execute(
        sa.select(conversations.c.id)
        .where(conversations.c.channel == channel, conversations.c.updated_at < cutoff,
               conversations.c.erased_at.is_(None), ~recent.exists())
        .order_by(conversations.c.id)
        .limit(limit)
    )
    return [int(row.id) for row in found]


def _messages_of(subject: Subject) -> sa.ColumnElement[bool]:
    where: sa.ColumnElement[bool] = messages.c.conversation_id.in_(subject.conversation_ids)
    if subject.whole_contact:
        where = where | messages.c.contact_id.in_(subject.contact_ids)
    return where


# --- export ----------------------------------------------------------------------------


async def export_core(conn: AsyncConnection, subject: Subject) -> dict[str, list[Any]]:
    """The core's records about the subject, as plain JSON-able lists."""
    ids = subject.contact_ids
    identity_ids = sa.select(identities.c.id).where(identities.c.contact_id.in_(ids))
    found: dict[str, list[Any]] = {
        "contacts": rows_of(await conn.execute(
            sa.select(contacts).where(contacts.c.id.in_(ids)).order_by(contacts.c.id))),
        "identities": rows_of(await conn.execute(
            sa.select(identities).where(identities.c.contact_id.in_(ids))
            .order_by(identities.c.id))),
        "verified_addresses": rows_of(await conn.execute(
            sa.select(verified_addresses).where(verified_addresses.c.contact_id.in_(ids))
            .order_by(verified_addresses.c.id))),
        # Hashes of codes and session tokens are credentials, not data about anyone.
        "link_codes": rows_of(await conn.execute(
            sa.select(link_codes).where(link_codes.c.identity_id.in_(identity_ids)
                                        | link_codes.c.target_contact_id.in_(ids))
            .order_by(link_codes.c.id)), leave_out=("code_hash",)),
        "web_sessions": rows_of(await conn.execute(
            sa.select(web_sessions).where(web_sessions.c.identity_id.in_(identity_ids))
            .order_by(web_sessions.c.created_at)), leave_out=("token_hash",)),
    }
    found["conversations"] = await _conversations(conn, subject.conversation_ids)
    found["messages"] = rows_of(await conn.execute(
        sa.select(messages).where(_messages_of(subject)).order_by(messages.c.id)))
    return found


async def _conversations(conn: AsyncConnection, ids: tuple[int, ...]) -> list[Any]:
    moves = rows_of(await conn.execute(
        sa.select(conversation_transitions)
        .where(conversation_transitions.c.conversation_id.in_(ids))
        .order_by(conversation_transitions.c.id)))
    by_conversation: dict[int, list[Any]] = {}
    for move in moves:
        by_conversation.setdefault(int(move["conversation_id"]), []).append(move)
    listed = rows_of(await conn.execute(
        sa.select(conversations).where(conversations.c.id.in_(ids)).order_by(conversations.c.id)))
    return [{**row, "transitions": by_conversation.get(int(row["id"]), [])} for row in listed]


# --- erasure ---------------------------------------------------------------------------


async def erase_core(conn: AsyncConnection, subject: Subject, now: datetime) -> dict[str, int]:
    """Blank the subject's messages and conversations and, for a whole contact, remove
    who they are. Idempotent: a second run changes nothing and counts zeros."""
    counts = await _blank_messages(conn, subject, now)
    counts["conversations"] = _count(await conn.execute(
        sa.update(conversations)
        .where(conversations.c.id.in_(subject.conversation_ids),
               conversations.c.erased_at.is_(None))
        .values(erased_at=now, bot_context=None)))
    if subject.whole_contact:
        counts.update(await _forget_contact(conn, subject.contact_ids, now))
    return counts


async def _blank_messages(
    conn: AsyncConnection, subject: Subject, now: datetime
) -> dict[str, int]:
    in_scope = _messages_of(subject)
    noted = await conn.execute(
        sa.select(messages.c.id, messages.c.meta, messages.c.attachments)
        .where(in_scope, messages.c.meta.is_not(None) | messages.c.attachments.is_not(None))
    )
    for row in noted.all():
        await conn.execute(
            sa.update(messages).where(messages.c.id == row.id)
            .values(meta=_anonymous_meta(row.meta), attachments=_anonymous_files(row.attachments))
        )
    blanked = _count(await conn.execute(
        sa.update(messages).where(in_scope, messages.c.text != "").values(text="")))
    await conn.execute(
        sa.update(messages).where(in_scope, messages.c.author_kind == "shopper")
        .values(author_name=None))
    await conn.execute(sa.update(messages).where(in_scope).values(delivery_error=None))
    message_ids = sa.select(messages.c.id).where(in_scope)
    # Nothing more goes out to an erased shopper; no row keeps their address.
    cancelled = _count(await conn.execute(
        sa.update(outbox).where(outbox.c.message_id.in_(message_ids), outbox.c.status == "pending")
        .values(status="failed", last_error=ERASED, recipient="", payload=None, updated_at=now)
    ))
    await conn.execute(
        sa.update(outbox).where(outbox.c.message_id.in_(message_ids), outbox.c.recipient != "")
        .values(recipient="", payload=None, last_error=None)
    )
    return {"messages": blanked, "deliveries_cancelled": cancelled}


async def _forget_contact(
    conn: AsyncConnection, contact_ids: tuple[int, ...], now: datetime
) -> dict[str, int]:
    identity_ids = sa.select(identities.c.id).where(identities.c.contact_id.in_(contact_ids))
    counts = {
        "web_sessions": _count(await conn.execute(
            sa.delete(web_sessions).where(web_sessions.c.identity_id.in_(identity_ids)))),
        "link_codes": _count(await conn.execute(
            sa.delete(link_codes).where(link_codes.c.identity_id.in_(identity_ids)
                                        | link_codes.c.target_contact_id.in_(contact_ids)))),
        "verified_addresses": _count(await conn.execute(
            sa.delete(verified_addresses)
            .where(verified_addresses.c.contact_id.in_(contact_ids)))),
        "identities": _count(await conn.execute(
            sa.delete(identities).where(identities.c.contact_id.in_(contact_ids)))),
    }
    await conn.execute(
        sa.update(contacts).where(contacts.c.id.in_(contact_ids))
        .values(display_name=None, phone=None, email=None, tags=[],
                erased_at=sa.func.coalesce(contacts.c.erased_at, now))
    )
    return counts


def _anonymous_meta(meta: Any) -> dict[str, Any] | None:
    if not isinstance(meta, Mapping):
        return None
    kept: dict[str, Any] = {key: meta[key] for key in _KEPT_META if key in meta}
    parse = meta.get("parse")
    if isinstance(parse, Mapping):
        kept["parse"] = {key: parse[key] for key in _KEPT_PARSE if key in parse}
    return kept or None


def _anonymous_files(attachments: Any) -> list[dict[str, Any]] | None:
    """How many files of which type and size: never where they were, nor their names
    (a location is an address)."""
    if not isinstance(attachments, list) or not attachments:
        return None
    return [
        {"content_type": item.get("content_type"), "size": item.get("size")}
        for item in attachments if isinstance(item, Mapping)
    ] or None


async def kept(conn: AsyncConnection, subject: Subject) -> dict[str, Any]:
    """What an erasure left of the subject (the same after a second erasure)."""
    erased_at = (await conn.execute(
        sa.select(sa.func.min(contacts.c.erased_at)).where(contacts.c.id.in_(subject.contact_ids))
    )).scalar_one_or_none()
    message_count = (await conn.execute(
        sa.select(sa.func.count()).select_from(messages).where(_messages_of(subject))
    )).scalar_one()
    return {
        "erased_at": erased_at.isoformat() if erased_at is not None else None,
        "conversations": len(subject.conversation_ids),
        "messages": int(message_count),
    }


def _count(result: Any) -> int:
    return int(result.rowcount or 0)
