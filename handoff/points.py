"""Community points for experts and ambassadors: earned, once each, for a resolved
conversation, a CSAT of 4 or 5, a shopper's thanks, and a published answer they proposed
(once per article revision, `credit_answer`). Levels and badges come from
`handoff.points` in config.yml; the console shows a leaderboard."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from relevo.bot.store import operators as operator_store
from relevo.bot.store.schema import community_credits, operators, points_events
from relevo.bot.types import OperatorKind
from relevo.handoff.config import Level, PointsEvent, PointsSettings


async def award(
    conn: AsyncConnection,
    settings: PointsSettings,
    *,
    operator_id: int,
    kind: OperatorKind,
    conversation_id: int,
    event: PointsEvent,
    now: datetime,
) -> int:
    """Points given for this event (0 when the kind earns none or it was paid before)."""
    if kind not in settings.kinds:
        return 0
    amount = int(getattr(settings, event))
    try:
        async with conn.begin_nested():
            await conn.execute(
                sa.insert(points_events).values(
                    operator_id=operator_id, conversation_id=conversation_id, event=event,
                    points=amount, at=now,
                )
            )
    except IntegrityError:
        return 0  # the unique (operator, conversation, event): already paid
    await operator_store.add_points(conn, operator_id, amount)
    return amount


async def credit_answer(
    conn: AsyncConnection,
    settings: PointsSettings,
    *,
    operator_id: int,
    kind: OperatorKind,
    intent: str,
    revision: int,
    now: datetime,
) -> int:
    """Points for the published revision `revision` of `intent`, whose answer the operator
    proposed (0 when the kind earns none or this revision paid before: a replay)."""
    if kind not in settings.kinds:
        return 0
    amount = settings.community_answer
    try:
        async with conn.begin_nested():
            await conn.execute(
                sa.insert(community_credits).values(
                    intent=intent, revision=revision, operator_id=operator_id, points=amount,
                    at=now,
                )
            )
    except IntegrityError:
        return 0  # the primary key (intent, revision): already paid
    await operator_store.add_points(conn, operator_id, amount)
    return amount


def level_for(settings: PointsSettings, points: int) -> Level:
    current = settings.levels[0]
    for level in settings.levels:
        if points >= level.min_points:
            current = level
    return current


async def event_counts(conn: AsyncConnection, operator_ids: list[int]) -> dict[int, Counter[str]]:
    counts: dict[int, Counter[str]] = {i: Counter() for i in operator_ids}
    if not operator_ids:
        return counts
    rows = await conn.execute(
        sa.select(points_events.c.operator_id, points_events.c.event, sa.func.count())
        .where(points_events.c.operator_id.in_(operator_ids))
        .group_by(points_events.c.operator_id, points_events.c.event)
    )
    for operator_id, event, count in rows:
        counts[operator_id][event] = count
    credited = await conn.execute(
        sa.select(community_credits.c.operator_id, sa.func.count())
        .where(community_credits.c.operator_id.in_(operator_ids))
        .group_by(community_credits.c.operator_id)
    )
    for operator_id, count in credited:
        counts[operator_id]["community_answer"] = count
    return counts


def badges_for(
    settings: PointsSettings, counts: Counter[str], locale: str | None = None
) -> list[dict[str, str | None]]:
    """The badges earned, named in the reader's language (`locale`) where the catalogs
    name them."""
    return [
        {"id": b.id, **b.shown(locale)}
        for b in settings.badges
        if counts.get(b.event, 0) >= b.count
    ]


async def standing(
    conn: AsyncConnection, settings: PointsSettings, operator_id: int,
    locale: str | None = None,
) -> dict[str, Any]:
    """The operator's points, level and badges, as stored."""
    points = int((await conn.execute(
        sa.select(operators.c.points).where(operators.c.id == operator_id)
    )).scalar_one_or_none() or 0)
    counts = (await event_counts(conn, [operator_id]))[operator_id]
    return {
        "points": points,
        "level": level_for(settings, points).name,
        "badges": badges_for(settings, counts, locale),
        "events": dict(counts),
    }


async def leaderboard(
    conn: AsyncConnection, settings: PointsSettings, locale: str | None = None
) -> list[dict[str, Any]]:
    rows = list(
        await conn.execute(
            sa.select(operators.c.id, operators.c.name, operators.c.kind, operators.c.points)
            .where(
                operators.c.active == sa.true(),
                operators.c.kind.in_([k.value for k in settings.kinds]),
            )
            .order_by(operators.c.points.desc(), operators.c.id)
            .limit(settings.leaderboard_size)
        )
    )
    counts = await event_counts(conn, [r.id for r in rows])
    return [
        {
            "rank": rank,
            "operator_id": r.id,
            "name": r.name,
            "kind": r.kind,
            "points": r.points,
            "level": level_for(settings, r.points).name,
            "badges": badges_for(settings, counts[r.id], locale),
        }
        for rank, r in enumerate(rows, 1)
    ]
