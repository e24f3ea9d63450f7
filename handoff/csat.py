"""Customer satisfaction: asked on the shopper's channel when an operator resolves,
answered with a 1–5 score (and maybe a comment), stored with the operator and their kind.

A request is awaited until it is answered or `csat_answer_seconds` have passed; other
messages meanwhile do not end it. The answer is stored on the resolved conversation it
rates (the inbox asks `awaited_by`), never in a new conversation."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from relevo.bot import replies
from relevo.bot.store.schema import conversations, csat_responses, operators
from relevo.bot.types import ConversationState, OperatorKind
from relevo.handoff.csat_parse import parse_rating

# One-tap answers offered with the question: payload "1".."5" is what a tap sends back
# (Telegram's inline button, the web chat's star); WhatsApp lists them as numbered lines.
RATING_SCALE = 5


def question_meta(operator_id: int, locale: str | None) -> dict[str, Any]:
    """The CSAT question's meta: one-tap answers 1–5 with their localized labels
    ("⭐⭐⭐⭐⭐ Excellent") and the scale, for channels that draw buttons or stars."""
    return {
        "handoff": "csat_question", "operator_id": operator_id,
        "quick_replies": [
            {"title": replies.text(f"csat_option_{score}", locale), "payload": str(score)}
            for score in range(1, RATING_SCALE + 1)
        ],
        "rating": {"scale": RATING_SCALE},
    }


async def request(
    conn: AsyncConnection, *, conversation_id: int, contact_id: int, operator_id: int,
    operator_kind: OperatorKind, now: datetime,
) -> None:
    await conn.execute(
        sa.insert(csat_responses).values(
            conversation_id=conversation_id, contact_id=contact_id, operator_id=operator_id,
            operator_kind=operator_kind.value, requested_at=now,
        )
    )


async def pending(conn: AsyncConnection, conversation_id: int) -> dict[str, Any] | None:
    row = (
        await conn.execute(
            sa.select(csat_responses).where(csat_responses.c.conversation_id == conversation_id)
        )
    ).first()
    return dict(row._mapping) if row is not None else None


async def contacts_asked(conn: AsyncConnection) -> set[int]:
    """Every contact ever asked for a rating: the only ones whose messages may answer one."""
    found = await conn.execute(sa.select(csat_responses.c.contact_id).distinct())
    return {int(contact_id) for contact_id in found.scalars()}


async def pending_for_contact(
    conn: AsyncConnection, contact_id: int, message_id: int = 0
) -> dict[str, Any] | None:
    """The contact's latest CSAT request still awaiting an answer, or the one answered
    by `message_id` (offered again after a crash) — None: neither."""
    row = (
        await conn.execute(
            sa.select(csat_responses)
            .where(csat_responses.c.contact_id == contact_id,
                   csat_responses.c.dismissed_at.is_(None),
                   sa.or_(csat_responses.c.score.is_(None),
                          csat_responses.c.message_id == message_id))
            .order_by(csat_responses.c.id.desc())
            .limit(1)
        )
    ).first()
    return dict(row._mapping) if row is not None else None


async def awaited_by(
    conn: AsyncConnection, contact_id: int, text: str, *, now: datetime, answer_seconds: float
) -> int | None:
    """The resolved conversation that `text` rates: a rating ("5, thanks!") while the
    contact's latest request is still awaited and the shopper is not in the middle of
    something else (an open conversation with people, or a bot question to answer:
    "2" picks an option there). None: not a rating, or nothing awaits one."""
    if parse_rating(text) is None:
        return None
    request = (
        await conn.execute(  # the latest request only: an older one was superseded
            sa.select(csat_responses.c.conversation_id, csat_responses.c.score,
                      csat_responses.c.dismissed_at, csat_responses.c.requested_at)
            .where(csat_responses.c.contact_id == contact_id)
            .order_by(csat_responses.c.id.desc())
            .limit(1)
        )
    ).first()
    if request is None or request.score is not None or request.dismissed_at is not None:
        return None
    if now - request.requested_at > timedelta(seconds=answer_seconds):
        return None  # too late: an ordinary message now
    busy = (
        await conn.execute(
            sa.select(conversations.c.state, conversations.c.bot_context)
            .where(conversations.c.contact_id == contact_id,
                   conversations.c.state != ConversationState.RESOLVED.value)
        )
    ).first()
    if busy is not None and (
        busy.state != ConversationState.BOT.value or (busy.bot_context or {}).get("clarify")
    ):
        return None
    return int(request.conversation_id)


async def answer(
    conn: AsyncConnection, *, conversation_id: int, score: int, message_id: int, now: datetime,
    comment: str | None = None,
) -> bool:
    """Store the score (and comment) once; False when it was already answered."""
    result = await conn.execute(
        sa.update(csat_responses)
        .where(csat_responses.c.conversation_id == conversation_id,
               csat_responses.c.score.is_(None))
        .values(score=score, answered_at=now, message_id=message_id, comment=comment)
    )
    return bool(result.rowcount == 1)


async def summary(conn: AsyncConnection, *, operator_id: int | None = None) -> dict[str, Any]:
    """Average score and count per operator kind and per operator; with `operator_id`,
    of that operator's ratings alone (what an operator may read of their own)."""
    rated: sa.ColumnElement[bool] = csat_responses.c.score.is_not(None)
    if operator_id is not None:
        rated = sa.and_(rated, csat_responses.c.operator_id == operator_id)
    by_kind = await conn.execute(
        sa.select(
            csat_responses.c.operator_kind, sa.func.count(), sa.func.avg(csat_responses.c.score)
        )
        .where(rated)
        .group_by(csat_responses.c.operator_kind)
    )
    by_operator = await conn.execute(
        sa.select(csat_responses.c.operator_id, operators.c.name, csat_responses.c.operator_kind,
                  sa.func.count(), sa.func.avg(csat_responses.c.score))
        .join(operators, operators.c.id == csat_responses.c.operator_id)
        .where(rated)
        .group_by(csat_responses.c.operator_id, operators.c.name, csat_responses.c.operator_kind)
        .order_by(csat_responses.c.operator_id)
    )
    return {
        "by_kind": {
            kind: {"count": count, "average": round(float(avg), 2)}
            for kind, count, avg in by_kind
        },
        "by_operator": [
            {"operator_id": oid, "name": name, "kind": kind, "count": count,
             "average": round(float(avg), 2)}
            for oid, name, kind, count, avg in by_operator
        ],
    }
