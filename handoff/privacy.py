"""Handoff's share of a shopper's data (`bot.protocols.ContactData`): their
conversations' queue and SLA records, routing decisions, operators' notes, ratings.

An erasure blanks the notes' text (operators write about the shopper in them) and
closes a rating still waiting for its answer; it keeps the records analytics count
(queue times, routing decisions with their rules, CSAT scores, points). A conversation
the erasure resolved leaves the in-memory view once it is committed, and whoever it
held has room for the next one.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from relevo.bot.personal import AfterCommit, Erased, Subject, rows_of
from relevo.bot.store.schema import csat_responses, handoffs, operator_notes, routing_decisions
from relevo.handoff.service import Handoff


class HandoffContactData:
    """`handoff` may be None (a CLI command: no view in this process to follow)."""

    def __init__(self, handoff: Handoff | None = None) -> None:
        self._handoff = handoff

    async def export(self, conn: AsyncConnection, subject: Subject) -> Mapping[str, list[Any]]:
        ids = subject.conversation_ids

        async def listed(table: sa.Table, order: sa.Column[Any]) -> list[Any]:
            return rows_of(await conn.execute(
                sa.select(table).where(table.c.conversation_id.in_(ids)).order_by(order)))

        ratings = await conn.execute(
            sa.select(csat_responses)
            .where(csat_responses.c.conversation_id.in_(ids)
                   | csat_responses.c.contact_id.in_(subject.contact_ids))
            .order_by(csat_responses.c.id))
        return {
            "handoffs": await listed(handoffs, handoffs.c.conversation_id),
            "routing_decisions": await listed(routing_decisions, routing_decisions.c.id),
            "operator_notes": await listed(operator_notes, operator_notes.c.id),
            "csat_ratings": rows_of(ratings),
        }

    async def erase(self, conn: AsyncConnection, subject: Subject, now: datetime) -> Erased:
        ids = subject.conversation_ids
        notes = await conn.execute(
            sa.update(operator_notes)
            .where(operator_notes.c.conversation_id.in_(ids), operator_notes.c.text != "")
            .values(text=""))
        waiting = await conn.execute(
            sa.update(csat_responses)
            .where(csat_responses.c.conversation_id.in_(ids), csat_responses.c.score.is_(None),
                   csat_responses.c.dismissed_at.is_(None))
            .values(dismissed_at=now))
        counts = {"operator_notes": int(notes.rowcount or 0),
                  "csat_requests_closed": int(waiting.rowcount or 0)}
        follow = self._follow(ids)
        return Erased(counts, after_commit=(follow,) if follow is not None else ())

    def _follow(self, conversation_ids: tuple[int, ...]) -> AfterCommit | None:
        """Rebuild the view when it held one of these conversations (queued, offered or
        assigned), then offer the queue to whoever has room now."""
        handoff = self._handoff
        if handoff is None:
            return None
        state = handoff.state
        if not any(state.queue.get(cid) is not None or cid in state.assignments
                   for cid in conversation_ids):
            return None

        async def rebuild() -> None:
            state.drop()
            await handoff.router.drain()

        return rebuild
