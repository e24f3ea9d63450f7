"""What the Slack side stores: its tables (threads, handled event ids) on the core's
metadata, migrated by its own Alembic branch (`channels/slack/migrations`), and the
reads and writes of them. Posts to Slack are outbox rows (`bot.store.outbox`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from relevo.bot.store.schema import (
    Id,
    UTCDateTime,
    conversations,
    messages,
    metadata,
    operator_notes,
    operators,
)
from relevo.bot.types import Origin

SURFACE = "slack"

# The Slack thread (root message) of a handed-off conversation: where operators work it.
slack_threads = sa.Table(
    "slack_threads",
    metadata,
    sa.Column("conversation_id", Id, sa.ForeignKey("conversations.id"), primary_key=True),
    sa.Column("channel", sa.String(32), nullable=False),
    sa.Column("ts", sa.String(32), nullable=False),
    # The last message the root's transcript shows (later ones are in the thread).
    sa.Column("last_message_id", Id),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.UniqueConstraint("channel", "ts", name="uq_slack_threads_channel_ts"),
)

# Events API `event_id`s already handled: Slack's retries are answered and dropped.
slack_events = sa.Table(
    "slack_events",
    metadata,
    sa.Column("key", sa.String(200), primary_key=True),
    sa.Column("received_at", UTCDateTime, nullable=False, index=True),
)


@dataclass(frozen=True, slots=True)
class Thread:
    conversation_id: int
    channel: str
    ts: str


def origin(channel: str, ts: str) -> Origin:
    """A message written in Slack: its channel and `ts` name it (a `ts` is unique
    within one channel only)."""
    return Origin(SURFACE, f"{channel}:{ts}")


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


async def last_message_id(conn: AsyncConnection, conversation_id: int) -> int | None:
    found = await conn.execute(
        sa.select(sa.func.max(messages.c.id)).where(messages.c.conversation_id == conversation_id)
    )
    value = found.scalar_one_or_none()
    return int(value) if value is not None else None


async def handed_off_without_thread(conn: AsyncConnection) -> list[int]:
    """Queued or assigned conversations that have no Slack thread."""
    rows = await conn.execute(
        sa.select(conversations.c.id)
        .outerjoin(slack_threads, slack_threads.c.conversation_id == conversations.c.id)
        .where(conversations.c.state.in_(("queued", "assigned")),
               slack_threads.c.conversation_id.is_(None))
    )
    return [int(r.id) for r in rows]


# --- handled event ids -------------------------------------------------------------------


async def first_time(conn: AsyncConnection, key: str, *, now: datetime) -> bool:
    """Record `key`; False when it was recorded before (a retry)."""
    try:
        async with conn.begin_nested():
            await conn.execute(sa.insert(slack_events).values(key=key[:200], received_at=now))
    except IntegrityError:
        return False
    return True


async def forget(conn: AsyncConnection, key: str) -> None:
    await conn.execute(sa.delete(slack_events).where(slack_events.c.key == key[:200]))


async def prune(conn: AsyncConnection, *, before: datetime) -> int:
    result = await conn.execute(sa.delete(slack_events).where(slack_events.c.received_at < before))
    return int(result.rowcount or 0)


# --- what was written in Slack (the thread shows it already) ---------------------------


async def message_written_here(conn: AsyncConnection, message_id: int) -> bool:
    found = await conn.execute(
        sa.select(messages.c.origin_surface).where(messages.c.id == message_id)
    )
    return found.scalar_one_or_none() == SURFACE


async def note(conn: AsyncConnection, note_id: int) -> tuple[int, str, str, bool] | None:
    """(operator id, kind, text, written in Slack) of a private note."""
    row = (
        await conn.execute(
            sa.select(operator_notes.c.operator_id, operator_notes.c.kind, operator_notes.c.text,
                      operator_notes.c.origin_surface)
            .where(operator_notes.c.id == note_id)
        )
    ).first()
    if row is None:
        return None
    return int(row.operator_id), str(row.kind), str(row.text), row.origin_surface == SURFACE


# --- the Slack user ↔ operator link ------------------------------------------------------


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
