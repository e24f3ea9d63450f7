"""What the Slack side reads and writes: threads, handled keys, queued posts, and the
Slack user ↔ operator link."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from relevo.bot.store.schema import operators, slack_events, slack_posts, slack_threads


@dataclass(frozen=True, slots=True)
class Thread:
    conversation_id: int
    channel: str
    ts: str


@dataclass(frozen=True, slots=True)
class Post:
    id: int
    conversation_id: int
    kind: str
    ref_id: int | None
    data: dict[str, Any]
    attempts: int


# --- threads ------------------------------------------------------------------------


async def thread_of(conn: AsyncConnection, conversation_id: int) -> Thread | None:
    row = (
        await conn.execute(
            sa.select(slack_threads).where(slack_threads.c.conversation_id == conversation_id)
        )
    ).first()
    return Thread(row.conversation_id, row.channel, row.ts) if row is not None else None


async def conversation_at(conn: AsyncConnection, channel: str, ts: str) -> int | None:
    """The conversation whose root message is `ts` in `channel`."""
    found = await conn.execute(
        sa.select(slack_threads.c.conversation_id).where(
            slack_threads.c.channel == channel, slack_threads.c.ts == ts
        )
    )
    value = found.scalar_one_or_none()
    return int(value) if value is not None else None


async def save_thread(
    conn: AsyncConnection, conversation_id: int, channel: str, ts: str, *,
    last_message_id: int | None, now: datetime,
) -> None:
    await conn.execute(
        sa.insert(slack_threads).values(
            conversation_id=conversation_id, channel=channel, ts=ts,
            last_message_id=last_message_id, created_at=now,
        )
    )


async def transcript_end(conn: AsyncConnection, conversation_id: int) -> int | None:
    found = await conn.execute(
        sa.select(slack_threads.c.last_message_id)
        .where(slack_threads.c.conversation_id == conversation_id)
    )
    value = found.scalar_one_or_none()
    return int(value) if value is not None else None


# --- handled keys (event ids, messages, echoes) ---------------------------------------


async def first_time(conn: AsyncConnection, key: str, *, now: datetime) -> bool:
    """Record `key`; False when it was recorded before (a retry, a second envelope)."""
    try:
        async with conn.begin_nested():
            await conn.execute(sa.insert(slack_events).values(key=key[:200], received_at=now))
    except IntegrityError:
        return False
    return True


async def consume(conn: AsyncConnection, key: str) -> bool:
    """Remove `key`; True when it was there."""
    result = await conn.execute(sa.delete(slack_events).where(slack_events.c.key == key[:200]))
    return bool(result.rowcount == 1)


async def forget(conn: AsyncConnection, key: str) -> None:
    await conn.execute(sa.delete(slack_events).where(slack_events.c.key == key[:200]))


async def prune(conn: AsyncConnection, *, before: datetime) -> int:
    result = await conn.execute(sa.delete(slack_events).where(slack_events.c.received_at < before))
    return int(result.rowcount or 0)


def echo_key(kind: str, conversation_id: int, operator_id: int, text: str) -> str:
    """What an operator did in Slack, so its echo from the bus is not posted back."""
    digest = hashlib.sha256(text.strip().encode("utf-8")).hexdigest()[:24]
    return f"echo:{kind}:{conversation_id}:{operator_id}:{digest}"


# --- the post queue -----------------------------------------------------------------


async def enqueue(
    conn: AsyncConnection,
    conversation_id: int,
    kind: str,
    *,
    now: datetime,
    ref_id: int | None = None,
    data: dict[str, Any] | None = None,
) -> None:
    await conn.execute(
        sa.insert(slack_posts).values(
            conversation_id=conversation_id, kind=kind, ref_id=ref_id, data=data,
            status="pending", attempts=0, next_attempt_at=now, last_error=None,
            created_at=now, updated_at=now,
        )
    )


_DUE = (
    sa.select(
        slack_posts.c.id, slack_posts.c.conversation_id, slack_posts.c.kind,
        slack_posts.c.ref_id, slack_posts.c.data, slack_posts.c.attempts,
        slack_posts.c.next_attempt_at,
    )
    .where(slack_posts.c.status == "pending")
    .order_by(slack_posts.c.id)
    .limit(sa.bindparam("limit"))
)
_DUE_FOR_UPDATE = _DUE.with_for_update(skip_locked=True)


async def claim_due(
    conn: AsyncConnection, *, now: datetime, lease: timedelta, limit: int, is_postgres: bool
) -> list[Post]:
    """Lease the due posts, oldest first; a conversation whose oldest pending post is
    backing off gets nothing (its thread stays in order)."""
    rows = (await conn.execute(_DUE_FOR_UPDATE if is_postgres else _DUE, {"limit": limit})).all()
    blocked: set[int] = set()
    claimed: list[Post] = []
    for row in rows:
        if row.conversation_id in blocked:
            continue
        if row.next_attempt_at > now:
            blocked.add(row.conversation_id)
            continue
        claimed.append(Post(row.id, row.conversation_id, row.kind, row.ref_id,
                            dict(row.data or {}), row.attempts))
    if claimed:
        await conn.execute(
            sa.update(slack_posts)
            .where(slack_posts.c.id.in_([p.id for p in claimed]))
            .values(next_attempt_at=now + lease, updated_at=now)
        )
    return claimed


async def finish(conn: AsyncConnection, post_id: int, *, now: datetime) -> None:
    await conn.execute(
        sa.update(slack_posts).where(slack_posts.c.id == post_id).values(
            status="done", attempts=slack_posts.c.attempts + 1, last_error=None, updated_at=now
        )
    )


async def retry_later(
    conn: AsyncConnection, post_id: int, *, at: datetime, error: str, now: datetime
) -> None:
    await conn.execute(
        sa.update(slack_posts).where(slack_posts.c.id == post_id).values(
            attempts=slack_posts.c.attempts + 1, next_attempt_at=at, last_error=error[:500],
            updated_at=now,
        )
    )


async def release(conn: AsyncConnection, post_id: int, *, now: datetime) -> None:
    await conn.execute(
        sa.update(slack_posts).where(slack_posts.c.id == post_id).values(next_attempt_at=now)
    )


async def fail(conn: AsyncConnection, post_id: int, *, error: str, now: datetime) -> None:
    await conn.execute(
        sa.update(slack_posts).where(slack_posts.c.id == post_id).values(
            status="failed", attempts=slack_posts.c.attempts + 1, last_error=error[:500],
            updated_at=now,
        )
    )


async def pending_count(conn: AsyncConnection) -> int:
    found = await conn.execute(
        sa.select(sa.func.count()).select_from(slack_posts).where(slack_posts.c.status == "pending")
    )
    return int(found.scalar_one())


# --- operators ------------------------------------------------------------------------


async def operator_by_slack_user(conn: AsyncConnection, slack_user_id: str) -> int | None:
    found = await conn.execute(
        sa.select(operators.c.id).where(
            operators.c.slack_user_id == slack_user_id, operators.c.active == sa.true()
        )
    )
    value = found.scalar_one_or_none()
    return int(value) if value is not None else None


async def link_by_email(conn: AsyncConnection, email: str, slack_user_id: str) -> int | None:
    """The active operator with this e-mail and no Slack user yet: linked to this one."""
    found = await conn.execute(
        sa.select(operators.c.id).where(
            sa.func.lower(operators.c.email) == email.strip().lower(),
            operators.c.active == sa.true(),
            operators.c.slack_user_id.is_(None),
        )
    )
    operator_id = found.scalar_one_or_none()
    if operator_id is None:
        # Linked meanwhile by a concurrent request of the same user?
        return await operator_by_slack_user(conn, slack_user_id)
    try:
        async with conn.begin_nested():
            await conn.execute(
                sa.update(operators).where(operators.c.id == operator_id)
                .values(slack_user_id=slack_user_id)
            )
    except IntegrityError:  # that Slack user is linked to another operator already
        return await operator_by_slack_user(conn, slack_user_id)
    return int(operator_id)


async def slack_user_of(conn: AsyncConnection, operator_id: int) -> str | None:
    found = await conn.execute(
        sa.select(operators.c.slack_user_id).where(operators.c.id == operator_id)
    )
    value = found.scalar_one_or_none()
    return str(value) if value is not None else None
