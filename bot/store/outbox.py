"""Outbox rows: claimed with a lease, then marked done, retried or failed.

A row is a stored shopper message to send through its channel, or a post (no
message: a `kind` and a `payload`) for a `PostDestination` such as Slack."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from relevo.bot.store.schema import messages, outbox
from relevo.bot.types import Author, AuthorKind, OutboundMessage, OutboundPost, QuickReply

_CLAIM = (
    sa.select(
        outbox.c.id,
        outbox.c.attempts,
        outbox.c.next_attempt_at,
        outbox.c.channel,
        outbox.c.recipient,
        messages.c.id.label("message_id"),
        messages.c.conversation_id,
        messages.c.text,
        messages.c.locale,
        messages.c.author_kind,
        messages.c.author_name,
        messages.c.operator_id,
        messages.c.meta,
        messages.c.created_at,
    )
    .join(messages, messages.c.id == outbox.c.message_id)
    .where(outbox.c.status == "pending")
    .order_by(outbox.c.id)
    .limit(sa.bindparam("limit"))
)
# Several workers (processes) on PostgreSQL: each takes rows the others have not.
_CLAIM_FOR_UPDATE = _CLAIM.with_for_update(skip_locked=True, of=outbox)


_LEASE = (
    sa.update(outbox)
    .where(outbox.c.id.in_(sa.bindparam("ids", expanding=True)))
    .values(next_attempt_at=sa.bindparam("until"), updated_at=sa.bindparam("now"))
)


@dataclass(frozen=True, slots=True)
class Claimed:
    outbox_id: int
    attempts: int
    message: OutboundMessage


def _due_in_order(rows: Sequence[Any], now: datetime) -> Iterator[Any]:
    """The pending rows (oldest first) that may go now: a destination whose oldest row
    is not due yet (backing off) gets nothing, so a retry is never overtaken."""
    blocked: set[tuple[str, str]] = set()
    for row in rows:
        destination = (row.channel, row.recipient)
        if destination in blocked:
            continue
        if row.next_attempt_at > now:
            blocked.add(destination)
            continue
        yield row


async def claim_due(
    conn: AsyncConnection, *, now: datetime, lease: timedelta, limit: int, is_postgres: bool
) -> list[Claimed]:
    """Lease the due rows, oldest first, keeping each destination's order.

    A destination whose oldest pending row is not due yet (backing off) gets nothing
    this round, so a retried message is never overtaken by a later one.
    """
    query = _CLAIM_FOR_UPDATE if is_postgres else _CLAIM
    rows = (await conn.execute(query, {"limit": limit})).all()
    claimed: list[Claimed] = []
    for row in _due_in_order(rows, now):
        meta = row.meta or {}
        claimed.append(
            Claimed(
                outbox_id=row.id,
                attempts=row.attempts,
                message=OutboundMessage(
                    message_id=row.message_id,
                    conversation_id=row.conversation_id,
                    channel=row.channel,
                    recipient=row.recipient,
                    text=row.text,
                    author=Author(AuthorKind(row.author_kind), row.author_name, row.operator_id),
                    locale=row.locale,
                    quick_replies=tuple(
                        QuickReply(q["title"], q["payload"]) for q in meta.get("quick_replies", ())
                    ),
                    created_at=row.created_at,
                    rating_scale=(meta.get("rating") or {}).get("scale"),
                    feedback=meta.get("feedback") is True,
                ),
            )
        )
    if claimed:
        await conn.execute(
            _LEASE, {"ids": [c.outbox_id for c in claimed], "until": now + lease, "now": now}
        )
    return claimed


_FINISH = (
    sa.update(outbox)
    .where(outbox.c.id == sa.bindparam("outbox_id"))
    .values(
        status="done",
        attempts=outbox.c.attempts + 1,
        last_error=None,
        updated_at=sa.bindparam("now"),
    )
)


async def finish(conn: AsyncConnection, outbox_ids: list[int], *, now: datetime) -> None:
    """Mark delivered rows done (one executemany for a whole round)."""
    if outbox_ids:
        await conn.execute(_FINISH, [{"outbox_id": i, "now": now} for i in outbox_ids])


async def retry_later(
    conn: AsyncConnection, outbox_id: int, *, at: datetime, error: str, now: datetime
) -> None:
    await conn.execute(
        sa.update(outbox)
        .where(outbox.c.id == outbox_id)
        .values(
            attempts=outbox.c.attempts + 1, next_attempt_at=at, last_error=error, updated_at=now
        )
    )


async def release(conn: AsyncConnection, outbox_id: int, *, now: datetime) -> None:
    """Drop the lease without counting an attempt."""
    await conn.execute(
        sa.update(outbox).where(outbox.c.id == outbox_id).values(next_attempt_at=now)
    )


async def fail(conn: AsyncConnection, outbox_id: int, *, error: str, now: datetime) -> None:
    await conn.execute(
        sa.update(outbox)
        .where(outbox.c.id == outbox_id)
        .values(
            status="failed", attempts=outbox.c.attempts + 1, last_error=error, updated_at=now
        )
    )


async def backlog(conn: AsyncConnection) -> int:
    return (
        await conn.execute(
            sa.select(sa.func.count()).select_from(outbox).where(outbox.c.status == "pending")
        )
    ).scalar_one()



# --- posts: outbox rows that are not shopper messages (Slack's root messages, lines) ----

_CLAIM_POSTS = (
    sa.select(
        outbox.c.id, outbox.c.attempts, outbox.c.next_attempt_at, outbox.c.channel,
        outbox.c.recipient, outbox.c.kind, outbox.c.payload,
    )
    .where(outbox.c.status == "pending", outbox.c.message_id.is_(None))
    .order_by(outbox.c.id)
    .limit(sa.bindparam("limit"))
)
_CLAIM_POSTS_FOR_UPDATE = _CLAIM_POSTS.with_for_update(skip_locked=True)


async def enqueue_post(
    conn: AsyncConnection,
    *,
    destination: str,
    recipient: str,
    kind: str,
    payload: Mapping[str, Any] | None = None,
    now: datetime,
) -> int:
    """A post for the `PostDestination` named `destination`, in the caller's
    transaction; delivered in order per `(destination, recipient)`."""
    found = await conn.execute(
        sa.insert(outbox).values(
            message_id=None, channel=destination, recipient=recipient, kind=kind,
            payload=dict(payload or {}), status="pending", attempts=0, next_attempt_at=now,
            last_error=None, created_at=now, updated_at=now,
        ).returning(outbox.c.id)
    )
    return int(found.scalar_one())


async def claim_due_posts(
    conn: AsyncConnection, *, now: datetime, lease: timedelta, limit: int, is_postgres: bool
) -> list[OutboundPost]:
    """Lease the due posts, oldest first, keeping each `(destination, recipient)`'s
    order exactly as `claim_due` does for messages."""
    query = _CLAIM_POSTS_FOR_UPDATE if is_postgres else _CLAIM_POSTS
    rows = (await conn.execute(query, {"limit": limit})).all()
    claimed: list[OutboundPost] = []
    for row in _due_in_order(rows, now):
        claimed.append(OutboundPost(
            post_id=row.id, destination=row.channel, recipient=row.recipient,
            kind=row.kind or "", payload=dict(row.payload or {}), attempts=row.attempts,
        ))
    if claimed:
        await conn.execute(
            _LEASE, {"ids": [p.post_id for p in claimed], "until": now + lease, "now": now}
        )
    return claimed


async def pending_posts(
    conn: AsyncConnection, *, destination: str, recipient: str | None = None,
    kind: str | None = None,
) -> int:
    """How many posts for `destination` (and `recipient`, `kind`) wait for delivery."""
    query = sa.select(sa.func.count()).select_from(outbox).where(
        outbox.c.status == "pending", outbox.c.message_id.is_(None),
        outbox.c.channel == destination,
    )
    if recipient is not None:
        query = query.where(outbox.c.recipient == recipient)
    if kind is not None:
        query = query.where(outbox.c.kind == kind)
    return int((await conn.execute(query)).scalar_one())


async def later_post_pending(
    conn: AsyncConnection, post: OutboundPost, kinds: tuple[str, ...]
) -> bool:
    """Is a post of one of `kinds` for the same destination and recipient waiting after
    `post`? (Then `post` may be superseded by it, e.g. one root update for several.)"""
    found = await conn.execute(
        sa.select(outbox.c.id).where(
            outbox.c.status == "pending", outbox.c.message_id.is_(None),
            outbox.c.channel == post.destination, outbox.c.recipient == post.recipient,
            outbox.c.kind.in_(kinds), outbox.c.id > post.post_id,
        ).limit(1)
    )
    return found.first() is not None
