"""Conversations and their state machine. Every transition is a row: who, when, why."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from relevo.bot.store.schema import conversation_transitions, conversations
from relevo.bot.types import ConversationState, IllegalTransition

S = ConversationState


class _Keep:
    """Marker: leave the column as it is."""


KEEP = _Keep()

# The legal moves. A resolved conversation is final: the shopper's next message
# opens a new conversation that links back to it.
TRANSITIONS: frozenset[tuple[ConversationState, ConversationState]] = frozenset(
    {
        (S.BOT, S.QUEUED),
        (S.QUEUED, S.ASSIGNED),
        (S.ASSIGNED, S.RESOLVED),
        (S.ASSIGNED, S.BOT),
        (S.QUEUED, S.BOT),
        (S.ASSIGNED, S.QUEUED),  # transfer to a pool, or re-route after an SLA breach
        (S.ASSIGNED, S.ASSIGNED),  # transfer to another operator
        (S.BOT, S.RESOLVED),  # the shopper said goodbye and the bot closed it
        (S.QUEUED, S.RESOLVED),  # an operator closes a queued conversation
    }
)


@dataclass(frozen=True, slots=True)
class ConversationRow:
    id: int
    contact_id: int
    state: ConversationState
    channel: str
    locale: str | None
    assigned_operator_id: int | None
    bot_misses: int
    handoff_reason: str | None
    created_at: datetime
    updated_at: datetime
    # What the bot is waiting for (the options it offered to clarify), or None.
    bot_context: dict[str, Any] | None = None


_COLUMNS = (
    conversations.c.id,
    conversations.c.contact_id,
    conversations.c.state,
    conversations.c.channel,
    conversations.c.locale,
    conversations.c.assigned_operator_id,
    conversations.c.bot_misses,
    conversations.c.handoff_reason,
    conversations.c.created_at,
    conversations.c.updated_at,
    conversations.c.bot_context,
)


_GET = sa.select(*_COLUMNS).where(conversations.c.id == sa.bindparam("conversation_id"))
_FIND_OPEN = sa.select(*_COLUMNS).where(
    conversations.c.contact_id == sa.bindparam("contact_id"),
    conversations.c.state != S.RESOLVED.value,
)
_BOT_CONTEXT = sa.select(conversations.c.bot_context).where(
    conversations.c.id == sa.bindparam("conversation_id")
)


_TOUCH_BOT = (
    sa.update(conversations)
    .where(conversations.c.id == sa.bindparam("conversation_id"))
    .values(
        updated_at=sa.bindparam("now"),
        locale=sa.bindparam("locale"),
        bot_misses=sa.bindparam("bot_misses"),
        bot_context=sa.bindparam("bot_context", type_=conversations.c.bot_context.type),
    )
)


def _row(row: Any) -> ConversationRow:  # an sa.Row of _COLUMNS
    m = row._mapping
    return ConversationRow(
        id=m["id"],
        contact_id=m["contact_id"],
        state=ConversationState(m["state"]),
        channel=m["channel"],
        locale=m["locale"],
        assigned_operator_id=m["assigned_operator_id"],
        bot_misses=m["bot_misses"],
        handoff_reason=m["handoff_reason"],
        created_at=m["created_at"],
        updated_at=m["updated_at"],
        bot_context=m["bot_context"],
    )


async def get(conn: AsyncConnection, conversation_id: int) -> ConversationRow | None:
    row = (await conn.execute(_GET, {"conversation_id": conversation_id})).first()
    return _row(row) if row is not None else None


async def open_for_contact(
    conn: AsyncConnection,
    contact_id: int,
    *,
    channel: str,
    locale: str | None,
    now: datetime,
) -> tuple[ConversationRow, bool]:
    """The contact's open conversation, or a new one in state `bot` (created=True).

    A new one speaks the language of the contact's previous conversation (a CSAT score
    or "hola otra vez" answered in it), else `locale`, the channel's."""
    found = await _find_open(conn, contact_id)
    if found is not None:
        return found, False
    last = (
        await conn.execute(
            sa.select(conversations.c.id, conversations.c.locale)
            .where(conversations.c.contact_id == contact_id)
            .order_by(conversations.c.id.desc())
            .limit(1)
        )
    ).first()
    previous = last.id if last is not None else None
    locale = (last.locale if last is not None else None) or locale
    try:
        async with conn.begin_nested():
            new_id = (
                await conn.execute(
                    sa.insert(conversations)
                    .values(
                        contact_id=contact_id,
                        state=S.BOT.value,
                        channel=channel,
                        locale=locale,
                        bot_misses=0,
                        previous_conversation_id=previous,
                        created_at=now,
                        updated_at=now,
                    )
                    .returning(conversations.c.id)
                )
            ).scalar_one()
    except IntegrityError:
        # Another writer opened it first (the partial unique index): use theirs.
        found = await _find_open(conn, contact_id)
        if found is None:
            raise
        return found, False
    row = ConversationRow(
        new_id, contact_id, S.BOT, channel, locale, None, 0, None, now, now
    )
    return row, True


async def _find_open(conn: AsyncConnection, contact_id: int) -> ConversationRow | None:
    row = (await conn.execute(_FIND_OPEN, {"contact_id": contact_id})).first()
    return _row(row) if row is not None else None


async def touch(
    conn: AsyncConnection,
    conversation_id: int,
    *,
    now: datetime,
    channel: str | None = None,
    locale: str | None = None,
    bot_misses: int | None = None,
    bot_context: dict[str, Any] | _Keep | None = KEEP,
) -> None:
    if (
        channel is None
        and locale is not None
        and bot_misses is not None
        and not isinstance(bot_context, _Keep)
    ):
        # The engine's update after each bot decision: one prebuilt statement.
        await conn.execute(
            _TOUCH_BOT,
            {
                "conversation_id": conversation_id,
                "now": now,
                "locale": locale,
                "bot_misses": bot_misses,
                "bot_context": bot_context,
            },
        )
        return
    values: dict[str, object] = {"updated_at": now}
    if not isinstance(bot_context, _Keep):
        values["bot_context"] = bot_context
    if channel is not None:
        values["channel"] = channel
    if locale is not None:
        values["locale"] = locale
    if bot_misses is not None:
        values["bot_misses"] = bot_misses
    await conn.execute(
        sa.update(conversations).where(conversations.c.id == conversation_id).values(**values)
    )


async def bot_context(conn: AsyncConnection, conversation_id: int) -> dict[str, Any] | None:
    return (
        await conn.execute(_BOT_CONTEXT, {"conversation_id": conversation_id})
    ).scalar_one_or_none()


async def transition(
    conn: AsyncConnection,
    conversation_id: int,
    to_state: ConversationState,
    *,
    actor: str,
    reason: str,
    now: datetime,
    expected_from: ConversationState | None = None,
    operator_id: int | None = None,
) -> ConversationState:
    """Move the conversation to `to_state`; returns the state it left.

    Raises `IllegalTransition` for a move the state machine does not allow, or when
    `expected_from` is given and the conversation is no longer in it (a lost race:
    the compare-and-set below is what makes claims atomic).
    """
    current = (
        await conn.execute(
            sa.select(conversations.c.state).where(conversations.c.id == conversation_id)
        )
    ).scalar_one_or_none()
    if current is None:
        raise LookupError(f"conversation {conversation_id} does not exist")
    from_state = ConversationState(current)
    if expected_from is not None and from_state != expected_from:
        raise IllegalTransition(conversation_id, from_state, to_state)
    if (from_state, to_state) not in TRANSITIONS:
        raise IllegalTransition(conversation_id, from_state, to_state)
    values: dict[str, object] = {"state": to_state.value, "updated_at": now}
    if to_state == S.ASSIGNED:
        values["assigned_operator_id"] = operator_id
    elif to_state in (S.BOT, S.QUEUED):
        values["assigned_operator_id"] = None
    if to_state == S.QUEUED:
        values["handoff_reason"] = reason
    if to_state in (S.BOT, S.QUEUED, S.RESOLVED):
        values["bot_misses"] = 0
        values["bot_context"] = None
    if to_state == S.RESOLVED:
        values["resolved_at"] = now
    result = await conn.execute(
        sa.update(conversations)
        .where(conversations.c.id == conversation_id, conversations.c.state == from_state.value)
        .values(**values)
    )
    if result.rowcount != 1:
        raise IllegalTransition(conversation_id, from_state, to_state)
    await conn.execute(
        sa.insert(conversation_transitions).values(
            conversation_id=conversation_id,
            from_state=from_state.value,
            to_state=to_state.value,
            actor=actor,
            reason=reason,
            at=now,
        )
    )
    return from_state


async def transitions_of(
    conn: AsyncConnection, conversation_id: int
) -> list[dict[str, object]]:
    rows = await conn.execute(
        sa.select(conversation_transitions)
        .where(conversation_transitions.c.conversation_id == conversation_id)
        .order_by(conversation_transitions.c.id)
    )
    return [dict(r._mapping) for r in rows]
