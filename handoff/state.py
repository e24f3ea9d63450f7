"""A derived view of the handoff tables, held in memory, rebuilt from the database.

The database is the source of truth (conversations' state and operator, the
`handoffs` rows, the operators' rows); these indexes make routing and SLA checks
free of queries. They follow the database and never lead it: they change only after
a commit (`Change.on_commit`), and nothing that decides is reserved here (an
operator's slot is taken in storage, `handoff.capacity`). `drop()` discards the view
at any time; the next use rebuilds it from storage (`ready()`), with no loss.
Pending CSAT requests and points are not held here at all: they are single-row reads.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from relevo.bot.store import operators as operator_store
from relevo.bot.store.db import Database
from relevo.bot.store.schema import conversations, handoffs
from relevo.bot.text import language_of
from relevo.handoff import csat, store
from relevo.handoff.config import HandoffSettings, Pool
from relevo.handoff.operators import NEVER, OperatorIndex
from relevo.handoff.queue import HandleTimes, QueueEntry, QueueIndex
from relevo.handoff.rules import pool_from_json

log = logging.getLogger("relevo.handoff")


@dataclass(slots=True, eq=False)
class Assignment:
    conversation_id: int
    operator_id: int
    assigned_at: datetime
    contact_id: int
    channel: str
    locale: str | None
    pools: tuple[Pool, ...]
    priority: int
    waiting_since: datetime | None = None
    reminded_at: datetime | None = None


class KeyedLocks:
    """One asyncio lock per key, dropped when nobody holds or waits for it."""

    def __init__(self) -> None:
        self._locks: dict[int, tuple[asyncio.Lock, int]] = {}

    @asynccontextmanager
    async def hold(self, key: int) -> AsyncIterator[None]:
        lock, users = self._locks.get(key, (asyncio.Lock(), 0))
        self._locks[key] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[key]
            if users <= 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)


class HandoffState:
    def __init__(self, settings: HandoffSettings) -> None:
        self.settings = settings
        self.locks = KeyedLocks()
        self.operators = OperatorIndex()
        self._reloading = asyncio.Lock()
        self._reset()

    def _reset(self) -> None:
        settings = self.settings
        self.stale = False
        self.queue = QueueIndex()
        self.assignments: dict[int, Assignment] = {}
        # Contacts ever asked for a rating (a filter, not a truth): only their messages
        # are checked against storage for a CSAT answer, so every other message costs
        # no query. Grows on each request's commit; rebuilt on load.
        self.asked_contacts: set[int] = set()
        self.handle_times = HandleTimes(
            settings.queue.handle_time_samples, settings.queue.default_handle_seconds
        )

    def drop(self) -> None:
        """Forget the view; the next `ready()` rebuilds it from storage. Operators keep
        their identity (callers may hold them) but lose their load until then."""
        self._reset()
        self.operators.clear_load()
        self.stale = True

    async def ready(self, database: Database) -> None:
        """Rebuild the view if it was dropped (every entry point calls this first)."""
        if not self.stale:
            return
        async with self._reloading:
            if self.stale:
                async with database.read() as conn:
                    await self.load(conn)

    async def follow_load(self, database: Database, operator_ids: list[int]) -> None:
        """Storage refused a slot the view thought free (another process took it):
        read these operators' load again."""
        async with database.read() as conn:
            for operator_id in operator_ids:
                operator = self.operators.get(operator_id)
                if operator is not None:
                    assigned, offered = await store.load_sets(conn, operator_id)
                    operator.assigned, operator.offered = assigned, offered

    async def load(self, conn: AsyncConnection) -> None:
        """Rebuild every index from the database (start-up, or after `drop()`)."""
        self._reset()
        self.operators.replace_all(await operator_store.all_active(conn))
        self.asked_contacts = await csat.contacts_asked(conn)
        for found in await store.open_handoffs(conn):
            pools = tuple(pool_from_json(p) for p in found.handoff.pools) or (
                self.settings.widest_pool,
            )
            if found.state == "queued":
                entry = _queue_entry(found, pools)
                offered = self.operators.get(found.handoff.offered_to or 0)
                if offered is not None:
                    entry.offered_to, entry.offered_at = offered.id, found.handoff.offered_at
                    offered.offered.add(entry.conversation_id)
                self.queue.add(entry)
            elif found.operator_id is not None:
                self.assignments[found.handoff.conversation_id] = _assignment(found, pools)
                operator = self.operators.get(found.operator_id)
                if operator is not None:
                    operator.assigned.add(found.handoff.conversation_id)
        # Assigned conversations not routed by us (older data): still count as load.
        assigned = await conn.execute(
            sa.select(conversations.c.id, conversations.c.assigned_operator_id).where(
                conversations.c.state == "assigned"
            )
        )
        for conversation in assigned:
            operator = self.operators.get(conversation.assigned_operator_id or 0)
            if operator is not None:
                operator.assigned.add(conversation.id)
        recent = await conn.execute(
            sa.select(handoffs.c.assigned_at, conversations.c.resolved_at)
            .join(conversations, conversations.c.id == handoffs.c.conversation_id)
            .where(conversations.c.resolved_at.is_not(None), handoffs.c.assigned_at.is_not(None))
            .order_by(conversations.c.resolved_at.desc())
            .limit(self.settings.queue.handle_time_samples)
        )
        for handled in reversed(list(recent)):
            self.handle_times.add((handled.resolved_at - handled.assigned_at).total_seconds())
        log.info(
            "handoff state: %d operators, %d queued, %d assigned",
            len(self.operators), len(self.queue), len(self.assignments),
        )


def _queue_entry(found: store.OpenHandoff, pools: tuple[Pool, ...]) -> QueueEntry:
    handoff = found.handoff
    return QueueEntry(
        conversation_id=handoff.conversation_id,
        priority=handoff.priority,
        queued_at=handoff.queued_at or handoff.assigned_at or NEVER,
        pools=pools,
        stage=min(handoff.stage, len(pools) - 1),
        language=language_of(found.locale),
        locale=found.locale,
        channel=found.channel,
        contact_id=found.contact_id,
        offers=set(handoff.offers or ()),
        after_hours=handoff.after_hours,
        told_position=handoff.told_position,
        told_wait_seconds=handoff.told_wait_seconds,
    )


def _assignment(found: store.OpenHandoff, pools: tuple[Pool, ...]) -> Assignment:
    handoff = found.handoff
    return Assignment(
        conversation_id=handoff.conversation_id,
        operator_id=found.operator_id or 0,
        assigned_at=handoff.assigned_at or NEVER,
        contact_id=found.contact_id,
        channel=found.channel,
        locale=found.locale,
        pools=pools,
        priority=handoff.priority,
        waiting_since=handoff.waiting_since,
        reminded_at=handoff.reminded_at,
    )
