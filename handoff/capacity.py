"""An operator's free slots, arbitrated by the database.

Offering or assigning a conversation takes a slot: the operator's row is locked
(PostgreSQL: `SELECT … FOR UPDATE`; SQLite: every write transaction already holds
the database's write lock, opened with BEGIN IMMEDIATE), then the load is counted
from what is true in storage (conversations assigned to them, queued conversations
offered to them). The lock lasts until the commit, so a second process that wants
the same slot counts after the first one's offer or claim is visible. No process
reserves anything in memory.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from relevo.bot.store.schema import conversations, handoffs, operators


@dataclass(frozen=True, slots=True)
class Slots:
    load: int  # conversations held (assigned + offered), not counting the one asked about
    max_concurrent: int

    @property
    def free(self) -> bool:
        return self.load < self.max_concurrent


# Built once: these run for every offer and claim.
_LOCK = (
    sa.select(operators.c.max_concurrent)
    .where(operators.c.id == sa.bindparam("operator_id"), operators.c.active == sa.true())
    .with_for_update()
)
_ASSIGNED = (
    sa.select(sa.func.count())
    .select_from(conversations)
    .where(conversations.c.assigned_operator_id == sa.bindparam("operator_id"),
           conversations.c.state == "assigned",
           conversations.c.id != sa.bindparam("leaving_out"))
    .scalar_subquery()
)
_OFFERED = (
    sa.select(sa.func.count())
    .select_from(handoffs)
    .join(conversations, conversations.c.id == handoffs.c.conversation_id)
    .where(handoffs.c.offered_to == sa.bindparam("operator_id"),
           conversations.c.state == "queued",
           handoffs.c.conversation_id != sa.bindparam("leaving_out"))
    .scalar_subquery()
)
_LOAD = sa.select(_ASSIGNED + _OFFERED)


async def take(conn: AsyncConnection, operator_id: int, conversation_id: int) -> Slots | None:
    """Lock the operator for this transaction and count their load, leaving out
    `conversation_id` (already theirs or offered to them: it keeps its slot).
    None: no such active operator. Call inside the write transaction that then
    stores the offer or the assignment."""
    max_concurrent = (
        await conn.execute(_LOCK, {"operator_id": operator_id})
    ).scalar_one_or_none()
    if max_concurrent is None:
        return None
    # A statement of its own, after the lock: under READ COMMITTED it sees what the
    # previous holder of the lock committed.
    return Slots(await load_of(conn, operator_id, conversation_id), int(max_concurrent))


async def load_of(conn: AsyncConnection, operator_id: int, leaving_out: int = 0) -> int:
    found = await conn.execute(_LOAD, {"operator_id": operator_id, "leaving_out": leaving_out})
    return int(found.scalar_one())
