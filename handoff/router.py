"""Routing: who should take a queued conversation, and the queue it waits in meanwhile.

`route` gathers the facts (topic and intent the bot saw, language, channel, shopper
value, earlier handoffs), applies the rule table, and offers the conversation to the
best eligible operator of the first pool that has one. Otherwise it waits in the
queue and the shopper is told their position and estimated wait, or, when nobody
who could take it is online, an honest after-hours message. Every decision is a row
in `routing_decisions` with the rules that hit and why.

An offer takes an operator's slot, arbitrated by the database (`handoff.capacity`); the
operator claims it, or the SLA timers offer it to someone else.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncConnection

from relevo.bot import replies
from relevo.bot.clock import Clock, utc_now
from relevo.bot.conversations import Change, Conversations
from relevo.bot.protocols import KnowledgeBase
from relevo.bot.store import conversations as conversation_store
from relevo.bot.store.db import Database
from relevo.bot.types import ConversationOffered, ConversationState, QueueChanged
from relevo.handoff import capacity, positions, store
from relevo.handoff.availability import Availability
from relevo.handoff.capacity import Slots
from relevo.handoff.config import HandoffSettings, Pool
from relevo.handoff.facts import gather_facts
from relevo.handoff.operators import OperatorState
from relevo.handoff.queue import QueueEntry, estimate_wait, minutes
from relevo.handoff.rules import Facts, Hit, Outcome, RuleTable, pool_to_json
from relevo.handoff.state import HandoffState

log = logging.getLogger("relevo.handoff.router")

# Operators the view thought free but storage found full, before it waits in the queue.
_RESERVE_ATTEMPTS = 3


@dataclass(frozen=True, slots=True)
class RouteResult:
    conversation_id: int
    outcome: str  # offered | queued | after_hours | skipped
    operator_id: int | None = None
    position: int | None = None
    decision_id: int | None = None


class HandoffRouter:
    """Implements `bot.protocols.Router`."""

    def __init__(
        self,
        database: Database,
        conversations: Conversations,
        settings: HandoffSettings,
        state: HandoffState,
        *,
        clock: Clock = utc_now,
        knowledge_base: Callable[[], KnowledgeBase | None] = lambda: None,
    ) -> None:
        self._db = database
        self._conversations = conversations
        self._settings = settings
        self._state = state
        self._clock = clock
        self._kb = knowledge_base
        self.table = RuleTable(settings.rules, settings.weekly_hours())
        self.availability = Availability(state, self.table)

    # --- the Router protocol ---------------------------------------------------------

    async def route(self, conversation_id: int) -> None:
        """The engine queued this conversation (the bot handed it off)."""
        await self.decide(conversation_id)

    async def decide(
        self,
        conversation_id: int,
        *,
        trigger: str = "bot",
        pool: Pool | None = None,
        exclude: Iterable[int] = (),
        why: str = "",
    ) -> RouteResult:
        await self._state.ready(self._db)
        async with self._state.locks.hold(conversation_id):
            return await self._route(conversation_id, trigger, pool, set(exclude), why)

    async def _route(
        self, conversation_id: int, trigger: str, forced: Pool | None, exclude: set[int],
        why: str,
    ) -> RouteResult:
        now = self._clock()
        async with self._db.read() as conn:
            conversation = await conversation_store.get(conn, conversation_id)
            if conversation is None or conversation.state != ConversationState.QUEUED:
                return RouteResult(conversation_id, "skipped")
            context = await store.routing_context(conn, conversation_id)
            previous, tags = context if context is not None else (None, [])
            facts = await gather_facts(
                conn, conversation, tags, previous.handoff_count if previous else 0, now,
                vip_tags=self._settings.vip_tags, knowledge_base=self._kb(),
            )
        if forced is not None:
            hit = Hit(trigger, why or f"{trigger} to pool {forced.describe()}", forced,
                      previous.priority if previous else 0)
            outcome = Outcome((hit,), (forced,), hit.priority)
        else:
            outcome = self.table.evaluate(facts)
        pools = outcome.pools
        stopped = bool(outcome.hits) and self._stopped(outcome)
        if not stopped and self._settings.widest_pool not in pools:
            cascade = (*pools, self._settings.widest_pool)
        else:
            cascade = pools or (self._settings.widest_pool,)
        earlier = self._state.queue.get(conversation_id)
        entry = QueueEntry(
            conversation_id=conversation_id,
            priority=outcome.priority,
            queued_at=(previous.queued_at if trigger == "sla" and previous and
                       previous.queued_at else now),
            pools=cascade,
            stage=max(len(pools) - 1, 0),
            language=facts.language,
            locale=conversation.locale,
            channel=conversation.channel,
            contact_id=conversation.contact_id,
            offers=set(exclude),
            widened_at=now,
        )
        if earlier is not None:
            entry.told_position = earlier.told_position
            entry.told_wait_seconds = earlier.told_wait_seconds
        return await self._persist(
            entry, facts, outcome, trigger, previous.handoff_count if previous else 0, now,
            first=previous is None,
            was_told=earlier is not None and (earlier.after_hours or
                                              earlier.told_position is not None),
        )

    async def _reserve(
        self, conn: AsyncConnection, entry: QueueEntry, refused: list[int]
    ) -> tuple[OperatorState, Slots] | None:
        """The best operator of the entry's lane whose free slot storage confirms
        (locked until the commit); operators the view wrongly thought free are added
        to `refused`."""
        for _ in range(_RESERVE_ATTEMPTS):
            chosen: OperatorState | None = None
            for pool in entry.lane:
                chosen = self._state.operators.best(pool, entry.language,
                                                    (*entry.offers, *refused))
                if chosen is not None:
                    break
            if chosen is None:
                return None
            slots = await capacity.take(conn, chosen.id, entry.conversation_id)
            if slots is not None and slots.free:
                return chosen, slots
            refused.append(chosen.id)
        return None

    def _queued(self, entry: QueueEntry, chosen: OperatorState | None) -> None:
        """After the commit: the view follows the stored queue entry and offer."""
        earlier = self._state.queue.remove(entry.conversation_id)
        if earlier is not None and earlier.offered_to is not None:
            self.release_offer(earlier)
        self._state.queue.add(entry)
        if chosen is not None:
            chosen.offered.add(entry.conversation_id)

    def _stopped(self, outcome: Outcome) -> bool:
        last = outcome.hits[-1].rule
        return any(rule.stop and rule.name == last for rule in self._settings.rules)

    def _verdict(
        self, entry: QueueEntry, outcome: Outcome, trigger: str,
        reserved: tuple[OperatorState, Slots] | None, now: datetime, *, was_told: bool,
    ) -> tuple[str, int | None, str | None, str]:
        """The outcome's kind, the place in line, what to tell the shopper (None:
        nothing) and the explanation recorded with the decision."""
        position: int | None = None
        shopper_text: str | None = None
        if reserved is not None:
            chosen, slots = reserved
            kind = "offered"
            explanation = f"offered to {chosen.name} ({chosen.kind.value}, load " \
                          f"{slots.load}/{slots.max_concurrent}); {outcome.explain()}"
        else:
            capacity = self.availability.capacity(entry)
            if capacity == 0:
                kind = "after_hours"
                entry.after_hours = True
                # The bot's handoff message already said so when nobody at all was online.
                told_by_bot = trigger == "bot" and not self.availability.anyone_online(
                    entry.language
                )
                if not was_told and not told_by_bot:
                    shopper_text = self.availability.after_hours_text(entry, now)
                explanation = f"nobody eligible online; {outcome.explain()}"
            else:
                kind = "queued"
                position = self._state.queue.position(entry)
                wait = estimate_wait(position, capacity, self._state.handle_times.average)
                if not was_told:
                    entry.told_position, entry.told_wait_seconds = position, wait
                    shopper_text = replies.text("queue_position", entry.locale).format(
                        position=position, minutes=minutes(wait)
                    )
                explanation = f"eligible operators are busy, position {position}; " \
                              f"{outcome.explain()}"
        return kind, position, shopper_text, explanation

    async def _persist(
        self, entry: QueueEntry, facts: Facts, outcome: Outcome, trigger: str,
        handoff_count: int, now: datetime, *, first: bool, was_told: bool,
    ) -> RouteResult:
        refused: list[int] = []
        async with self._conversations.change(now) as change:
            conn = change.conn
            reserved = await self._reserve(conn, entry, refused)
            chosen = reserved[0] if reserved is not None else None
            if chosen is not None:
                entry.offered_to, entry.offered_at = chosen.id, now
                entry.offers.add(chosen.id)
            kind, position, shopper_text, explanation = self._verdict(
                entry, outcome, trigger, reserved, now, was_told=was_told
            )
            decision_id = await self._store_decision(
                conn, entry, facts, outcome, trigger, handoff_count, now, first=first,
                operator_id=chosen.id if chosen else None, kind=kind, explanation=explanation,
            )
            if shopper_text is not None:
                await change.tell_shopper(
                    conversation_id=entry.conversation_id, contact_id=entry.contact_id,
                    channel=entry.channel, text=shopper_text, locale=entry.locale,
                    meta={"handoff": kind},
                )
            if chosen is not None:
                change.emit(ConversationOffered(
                    conversation_id=entry.conversation_id, at=now, operator_id=chosen.id,
                    priority=entry.priority, reason=explanation[:300],
                ))
            change.emit(QueueChanged(conversation_id=entry.conversation_id, at=now,
                                     position=position, after_hours=entry.after_hours))
            change.on_commit(lambda: self._queued(entry, chosen))
        if refused:
            await self._state.follow_load(self._db, refused)
        return RouteResult(entry.conversation_id, kind, chosen.id if chosen else None,
                           position, decision_id)

    async def _store_decision(
        self, conn: AsyncConnection, entry: QueueEntry, facts: Facts, outcome: Outcome,
        trigger: str, handoff_count: int, now: datetime, *, first: bool,
        operator_id: int | None, kind: str, explanation: str,
    ) -> int:
        """The decision row, and the conversation's handoff row as the decision left it."""
        decision_id = await store.insert_decision(
            conn,
            conversation_id=entry.conversation_id,
            at=now,
            trigger=trigger,
            facts=facts.public(),
            hits=[h.public() for h in outcome.hits],
            pool=pool_to_json(entry.pools[0]) if entry.pools else None,
            priority=entry.priority,
            operator_id=operator_id,
            outcome=kind,
            explanation=explanation[:1000],
        )
        await store.save_handoff(
            conn, entry.conversation_id, now=now, create=first,
            priority=entry.priority,
            pools=[pool_to_json(p) for p in entry.pools],
            stage=entry.stage,
            topic=facts.topic,
            intent=facts.intent,
            handoff_count=handoff_count + 1,
            queued_at=entry.queued_at,
            offered_to=entry.offered_to,
            offered_at=entry.offered_at,
            offers=sorted(entry.offers),
            assigned_at=None,
            waiting_since=None,
            reminded_at=None,
            told_position=entry.told_position,
            told_wait_seconds=entry.told_wait_seconds,
            after_hours=entry.after_hours,
            last_decision_id=decision_id,
        )
        return decision_id

    # --- draining ------------------------------------------------------------------------

    async def drain_and_refresh(
        self, operator_ids: Iterable[int] | None = None, lanes: Iterable[tuple[Pool, ...]] = ()
    ) -> None:
        """Drain, then tell the shoppers in the affected lanes if their place in line or
        their estimated wait changed materially."""
        offered = await self.drain(operator_ids)
        touched = set(lanes) | {entry.lane for entry in offered}
        if not touched:
            return
        waiting = sorted((e for e in self._state.queue.entries.values() if e.lane in touched),
                         key=lambda e: e.key)
        await self.refresh_positions(waiting)

    async def drain(self, operator_ids: Iterable[int] | None = None) -> list[QueueEntry]:
        """Offer waiting conversations to operators with room (all online ones, or the
        given ones): what happens when an operator frees up or comes online."""
        await self._state.ready(self._db)
        if operator_ids is None:
            candidates = [o for o in self._state.operators.online() if o.has_room]
        else:
            candidates = [
                o for o in (self._state.operators.get(i) for i in operator_ids)
                if o is not None and o.presence == "online"
            ]
        offered: list[QueueEntry] = []
        for operator in candidates:
            while operator.has_room and operator.presence == "online":
                entry = self._state.queue.next_for(operator)
                if entry is None:
                    break
                if await self.offer(entry.conversation_id, operator, trigger="drain"):
                    offered.append(entry)
                elif self._state.queue.get(entry.conversation_id) is not None:
                    break  # full after all (a stale entry is dropped instead)
        return offered

    async def offer(self, conversation_id: int, operator: OperatorState, *, trigger: str) -> bool:
        """Offer a waiting conversation to this operator if storage confirms their free slot;
        False when it is not waiting (here or in storage), already offered, or they are full."""
        async with self._state.locks.hold(conversation_id):
            entry = self._state.queue.get(conversation_id)
            if entry is None or entry.offered_to is not None or not operator.has_room:
                return False
            async with self._conversations.change(self._clock()) as change:
                now = change.now
                if not await store.still_queued(change.conn, conversation_id):  # closed elsewhere
                    change.on_commit(lambda: self._state.queue.remove(conversation_id))
                    return False
                slots = await capacity.take(change.conn, operator.id, conversation_id)
                if slots is not None and slots.free:
                    await self._store_offer(change, entry, operator, slots, trigger)
                    change.on_commit(lambda: self._offered(conversation_id, operator, now))
        if slots is None or not slots.free:
            await self._state.follow_load(self._db, [operator.id])
            return False
        return True

    async def _store_offer(
        self, change: Change, entry: QueueEntry, operator: OperatorState, slots: Slots,
        trigger: str,
    ) -> None:
        now, conversation_id = change.now, entry.conversation_id
        explanation = f"{trigger}: offered to {operator.name} ({operator.kind.value}, " \
                      f"load {slots.load}/{slots.max_concurrent})"
        decision_id = await store.insert_decision(
            change.conn, conversation_id=conversation_id, at=now, trigger=trigger,
            facts={"language": entry.language, "channel": entry.channel},
            hits=[], pool=pool_to_json(entry.lane[-1]), priority=entry.priority,
            operator_id=operator.id, outcome="offered", explanation=explanation,
        )
        await store.save_handoff(
            change.conn, conversation_id, now=now, offered_to=operator.id,
            offered_at=now, offers=sorted({*entry.offers, operator.id}), after_hours=False,
            stage=entry.stage, last_decision_id=decision_id,
        )
        change.emit(ConversationOffered(
            conversation_id=conversation_id, at=now, operator_id=operator.id,
            priority=entry.priority, reason=explanation,
        ))

    def _offered(self, conversation_id: int, operator: OperatorState, now: datetime) -> None:
        entry = self._state.queue.get(conversation_id)
        if entry is None:
            return  # the view was dropped meanwhile: its rebuild read the offer
        operator.offered.add(conversation_id)
        self._state.queue.set_offer(entry, operator.id, now)
        entry.offers.add(operator.id)
        entry.after_hours = False

    def release_offer(self, entry: QueueEntry) -> OperatorState | None:
        operator = self._state.operators.get(entry.offered_to or 0)
        if operator is not None:
            operator.offered.discard(entry.conversation_id)
        self._state.queue.set_offer(entry, None, None)
        return operator

    async def refresh_positions(self, entries: Iterable[QueueEntry], limit: int = 500) -> int:
        """Tell shoppers whose place in line or estimated wait changed materially."""
        return await positions.refresh(self._conversations, self._state, self.availability,
                                       self._settings.queue, self._clock(), entries, limit)
