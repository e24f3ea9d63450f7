"""Customer satisfaction: asked on the shopper's channel when an operator resolves,
answered with a 1–5 score, stored with the operator and their kind."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from relevo.bot.store.schema import csat_responses, operators
from relevo.bot.types import OperatorKind

_DIGIT = re.compile(r"^\s*([1-5])\s*(?:/\s*5|de\s*5|of\s*5|out\s+of\s+5)?\s*[.!]*\s*$", re.I)
_STARS = re.compile(r"^\s*([★⭐]\ufe0f?){1,5}\s*$")
_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5,
    "uno": 1, "dos": 2, "tres": 3, "cuatro": 4, "cinco": 5,
}


def parse_score(text: str) -> int | None:
    """A reply that is only a score: "4", "5/5", "4 de 5", "⭐⭐⭐", "cinco"."""
    if len(text) > 30:
        return None
    match = _DIGIT.match(text)
    if match:
        return int(match.group(1))
    if _STARS.match(text):
        return sum(1 for c in text if c in "★⭐")
    return _WORDS.get(text.strip().strip(".!").lower())


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


async def dismiss(conn: AsyncConnection, conversation_id: int, *, now: datetime) -> None:
    """No answer is awaited any more (the shopper wrote something else, or too late)."""
    await conn.execute(
        sa.update(csat_responses)
        .where(csat_responses.c.conversation_id == conversation_id,
               csat_responses.c.score.is_(None))
        .values(dismissed_at=now)
    )


async def answer(
    conn: AsyncConnection, *, conversation_id: int, score: int, message_id: int, now: datetime
) -> bool:
    """Store the score once; False when it was already answered."""
    result = await conn.execute(
        sa.update(csat_responses)
        .where(csat_responses.c.conversation_id == conversation_id,
               csat_responses.c.score.is_(None))
        .values(score=score, answered_at=now, message_id=message_id)
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
