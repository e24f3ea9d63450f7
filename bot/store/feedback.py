"""👍/👎 votes on bot answers (`message_feedback`, core migration 0011): one row per
answer, the last vote counts; and the look-ups a vote needs (which answer, which
question it answered)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from relevo.bot.store.schema import message_feedback, messages
from relevo.bot.types import AuthorKind, Direction


async def record(
    conn: AsyncConnection, *, message_id: int, conversation_id: int, helpful: bool,
    intent: str | None, now: datetime,
) -> bool | None:
    """Store the vote on answer `message_id`; returns the vote it replaced (None: the
    first). Callers hold the conversation's turn, so no two votes on one answer race."""
    previous = (await conn.execute(
        sa.select(message_feedback.c.helpful)
        .where(message_feedback.c.message_id == message_id)
    )).scalar_one_or_none()
    if previous is None:
        await conn.execute(sa.insert(message_feedback).values(
            message_id=message_id, conversation_id=conversation_id, helpful=helpful,
            intent=intent, at=now))
        return None
    await conn.execute(
        sa.update(message_feedback).where(message_feedback.c.message_id == message_id)
        .values(helpful=helpful, at=now))
    return bool(previous)


async def last_outbound_before(
    conn: AsyncConnection, conversation_id: int, message_id: int
) -> tuple[int, dict[str, Any]] | None:
    """(id, meta) of the last message to the shopper before `message_id` in the
    conversation, whoever wrote it."""
    row = (await conn.execute(
        sa.select(messages.c.id, messages.c.meta)
        .where(messages.c.conversation_id == conversation_id,
               messages.c.direction == Direction.OUTBOUND.value,
               messages.c.id < message_id)
        .order_by(messages.c.id.desc()).limit(1)
    )).first()
    return (int(row.id), dict(row.meta or {})) if row is not None else None


async def answer(conn: AsyncConnection, message_id: int) -> dict[str, Any] | None:
    """The bot answer `message_id` if it asked for a vote: its conversation, contact,
    channel, locale and meta."""
    row = (await conn.execute(
        sa.select(messages.c.id, messages.c.conversation_id, messages.c.contact_id,
                  messages.c.channel, messages.c.locale, messages.c.meta)
        .where(messages.c.id == message_id,
               messages.c.direction == Direction.OUTBOUND.value,
               messages.c.author_kind == AuthorKind.BOT.value)
    )).first()
    if row is None or not (row.meta or {}).get("feedback"):
        return None
    return dict(row._mapping)


async def question_before(conn: AsyncConnection, conversation_id: int, answer_id: int) -> int:
    """The shopper's message the answer answered: the last inbound one before it
    (the answer's own id when there is none, which never happens for a bot answer)."""
    found = (await conn.execute(
        sa.select(sa.func.max(messages.c.id))
        .where(messages.c.conversation_id == conversation_id,
               messages.c.direction == Direction.INBOUND.value,
               messages.c.id < answer_id)
    )).scalar_one_or_none()
    return int(found) if found is not None else answer_id
