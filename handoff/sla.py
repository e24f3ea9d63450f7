"""SLA timers, driven by an injectable clock (tests call `tick()` with a manual one).

- An offer not claimed within `offer_seconds` goes to the next eligible operator; after
  `max_offers` offers, or when nobody else is eligible, the conversation opens to the
  next, wider pool of its cascade.
- A queued conversation nobody could take is widened after `widen_after_seconds`.
- A shopper waiting `reply_reminder_seconds` for their operator's reply makes the
  operator get a reminder; `reroute_after_reminder_seconds` later, it is re-routed.
- An online operator inactive for `auto_away_seconds` becomes away (and online again
  with their next activity).
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta

from relevo.bot.clock import Clock, utc_now
from relevo.bot.conversations import Conversations
from relevo.bot.store import operators as operator_store
from relevo.bot.store.db import Database
from relevo.bot.types import ConversationState, IllegalTransition, OperatorReminded, PresenceChanged
from relevo.handoff import store
from relevo.handoff.config import HandoffSettings
from relevo.handoff.operators import OperatorState, Presence
from relevo.handoff.queue import QueueEntry
from relevo.handoff.router import HandoffRouter
from relevo.handoff.state import Assignment, HandoffState

log = logging.getLogger("relevo.handoff.sla")


class SlaTimers:
    def __init__(
        self,
        database: Database,
        conversations: Conversations,
        settings: HandoffSettings,
        state: HandoffState,
        router: HandoffRouter,
        *,
        clock: Clock = utc_now,
    ) -> None:
        self._db = database
        self._conversations = conversations
        self._settings = settings
        self._sla = settings.sla
        self._state = state
        self._router = router
        self._clock = clock
        self._task: asyncio.Task[None] | None = None
        self.auto_away: set[int] = set()  # operators made away by the timer, not by hand

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="relevo-handoff-sla")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
            self._task = None

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self._sla.tick_seconds)
            try:
                await self.tick()
            except Exception:  # a bad round must not stop the timers
                log.exception("SLA round failed")

    async def tick(self) -> dict[str, int]:
        """One round of every timer; returns how many of each action it took."""
        counts = {"reoffered": 0, "widened": 0, "reminded": 0, "rerouted": 0, "away": 0}
        await self._state.ready(self._db)
        now = self._clock()
        for entry in list(self._state.queue.entries.values()):
            await self._check_queued(entry, now, counts)
        for assignment in list(self._state.assignments.values()):
            await self._check_assigned(assignment, now, counts)
        counts["away"] = await self._auto_away(now)
        return counts

    async def _check_queued(self, entry: QueueEntry, now: datetime, counts: dict[str, int]) -> None:
        offer_limit = timedelta(seconds=self._sla.offer_seconds)
        if entry.offered_to is not None and entry.offered_at is not None:
            if now - entry.offered_at < offer_limit:
                return
            previous = self._router.release_offer(entry)
            log.info("conversation %s: offer to %s expired", entry.conversation_id,
                     previous.id if previous else None)
            if len(entry.offers) >= self._sla.max_offers and self._state.queue.widen(entry, now):
                counts["widened"] += 1
            if await self._offer_next(entry):
                counts["reoffered"] += 1
                return
            if self._state.queue.widen(entry, now):
                counts["widened"] += 1
                if await self._offer_next(entry):
                    counts["reoffered"] += 1
                    return
            # Nobody new to ask: the next operator who frees up gets it, whoever they are.
            entry.offers.clear()
            await self._save_queue_state(entry, now)
            return
        waited_since = entry.widened_at or entry.queued_at
        if now - waited_since >= timedelta(seconds=self._sla.widen_after_seconds):
            if self._state.queue.widen(entry, now):
                counts["widened"] += 1
                if await self._offer_next(entry):
                    counts["reoffered"] += 1
                else:
                    await self._save_queue_state(entry, now)

    async def _offer_next(self, entry: QueueEntry) -> bool:
        for pool in entry.lane:
            operator = self._state.operators.best(pool, entry.language, entry.offers)
            if operator is not None:
                return await self._router.offer(entry.conversation_id, operator, trigger="sla")
        return False

    async def _save_queue_state(self, entry: QueueEntry, now: datetime) -> None:
        async with self._db.write() as conn:
            await store.save_handoff(conn, entry.conversation_id, now=now, stage=entry.stage,
                                     offered_to=None, offered_at=None,
                                     offers=sorted(entry.offers))

    async def _check_assigned(
        self, assignment: Assignment, now: datetime, counts: dict[str, int]
    ) -> None:
        if assignment.waiting_since is None:
            return
        waited = now - assignment.waiting_since
        if assignment.reminded_at is None:
            if waited >= timedelta(seconds=self._sla.reply_reminder_seconds):
                async with self._conversations.change(now) as change:
                    await store.save_handoff(change.conn, assignment.conversation_id, now=now,
                                             reminded_at=now)
                    change.on_commit(lambda: _remind(assignment, now))
                    change.emit(OperatorReminded(
                        conversation_id=assignment.conversation_id, at=now,
                        operator_id=assignment.operator_id,
                        waiting_seconds=waited.total_seconds(),
                    ))
                counts["reminded"] += 1
            return
        if now - assignment.reminded_at >= timedelta(
            seconds=self._sla.reroute_after_reminder_seconds
        ):
            if await self._reroute(assignment, now):
                counts["rerouted"] += 1

    async def _reroute(self, assignment: Assignment, now: datetime) -> bool:
        conversation_id = assignment.conversation_id
        reason = "no operator reply in time: re-routed"
        async with self._state.locks.hold(conversation_id):
            if self._state.assignments.get(conversation_id) is not assignment:
                return False  # replied, resolved or transferred meanwhile
            try:
                async with self._conversations.change(now) as change:
                    await change.transition(
                        conversation_id, ConversationState.QUEUED, actor="sla", reason=reason,
                        expected_from=ConversationState.ASSIGNED,
                    )
                    change.on_commit(lambda: self._unassigned(assignment))
            except IllegalTransition:
                return False
        await self._router.decide(conversation_id, trigger="sla",
                                 exclude=[assignment.operator_id], why=reason)
        return True

    def _unassigned(self, assignment: Assignment) -> None:
        del self._state.assignments[assignment.conversation_id]
        holder = self._state.operators.get(assignment.operator_id)
        if holder is not None:
            holder.assigned.discard(assignment.conversation_id)

    async def _auto_away(self, now: datetime) -> int:
        limit = timedelta(seconds=self._settings.presence.auto_away_seconds)
        idle = [o for o in self._state.operators.online() if now - o.last_seen_at >= limit]
        if not idle:
            return 0
        async with self._conversations.change(now) as change:
            for operator in idle:
                await operator_store.set_presence(change.conn, operator.id, Presence.AWAY.value,
                                                  now=operator.last_seen_at)
                await store.withdraw_offers(change.conn, operator.id, now=now)
                change.emit(PresenceChanged(conversation_id=0, at=now, operator_id=operator.id,
                                            presence=Presence.AWAY.value))
            change.on_commit(lambda: self._made_away(idle))
        await self._router.drain()
        return len(idle)

    def _made_away(self, idle: list[OperatorState]) -> None:
        for operator in idle:
            self._state.operators.set_presence(operator, Presence.AWAY)
            self.auto_away.add(operator.id)
            for conversation_id in list(operator.offered):
                entry = self._state.queue.get(conversation_id)
                if entry is not None:
                    self._router.release_offer(entry)


def _remind(assignment: Assignment, now: datetime) -> None:
    assignment.reminded_at = now
