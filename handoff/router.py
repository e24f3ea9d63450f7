"""Routing: who should take a queued conversation, and the queue it waits in meanwhile.

`route` gathers the facts (topic and intent the bot saw, language, channel, shopper
value, earlier handoffs), applies the rule table, and offers the conversation to the
best eligible operator of the first pool that has one. Otherwise it waits in the
queue and the shopper is told their position and estimated wait, or, when nobody
who could take it is online, an honest after-hours message. Every decision is a row
in `routing_decisions` with the rules that hit and why.

An offer reserves a slot of the operator (so two conversations are not offered into
one free slot); the operator claims it, or the SLA timers offer it to someone else.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from relevo.bot import replies
from relevo.bot.clock import Clock, utc_now
from relevo.bot.conversations import Conversations
from relevo.bot.protocols import KnowledgeBase
from relevo.bot.store import conversations as conversation_store
from relevo.bot.store.db import Database
from relevo.bot.types import ConversationState
from relevo.handoff import store
from relevo.handoff.availability import Availability
from relevo.handoff.config import HandoffSettings, Pool
from relevo.handoff.events import ConversationOffered, QueueChanged
from relevo.handoff.facts import gather_facts
from relevo.handoff.operators import OperatorState
from relevo.handoff.queue import QueueEntry, estimate_wait, minutes
from relevo.handoff.rules import Facts, Hit, Outcome, RuleTable, pool_to_json
from relevo.handoff.state import HandoffState

log = logging.getLogger("relevo.handoff.router")


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
        async with self._state.locks.hold(conversation_id):
            return await self._route(conversation_id, trigger, pool, set(exclude), why)

    async def _route(
        self, conversation_id: int, trigger: str, forced: Pool | None, exclude: set[int],
        why: str,
    ) -> RouteResult:
        # Over 60 lines on purpose: one decision read top to bottom (facts, rules, choice,
        # the slot reserved before any await, persist); split, the reservation scatters.
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
        stage = max(len(pools) - 1, 0)
        earlier = self._state.queue.remove(conversation_id)
        if earlier is not None and earlier.offered_to is not None:
            self.release_offer(earlier)
        chosen: OperatorState | None = None
        for candidate_pool in cascade[: stage + 1]:
            chosen = self._state.operators.best(candidate_pool, facts.language, exclude)
            if chosen is not None:
                break
        entry = QueueEntry(
            conversation_id=conversation_id,
            priority=outcome.priority,
            queued_at=(previous.queued_at if trigger == "sla" and previous and
                       previous.queued_at else now),
            pools=cascade,
            stage=stage,
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
        if chosen is not None:
            # Reserve the slot before any await: a concurrent route must not take it.
            chosen.offered.add(conversation_id)
            entry.offered_to, entry.offered_at = chosen.id, now
            entry.offers.add(chosen.id)
        self._state.queue.add(entry)
        try:
            return await self._persist(
                entry, facts, outcome, trigger, previous.handoff_count if previous else 0,
                chosen, now, first=previous is None, was_told=earlier is not None and (
                    earlier.after_hours or earlier.told_position is not None
                ),
            )
        except Exception:
            self._state.queue.remove(conversation_id)
            if chosen is not None:
                chosen.offered.discard(conversation_id)
            raise

    def _stopped(self, outcome: Outcome) -> bool:
        last = outcome.hits[-1].rule
        return any(rule.stop and rule.name == last for rule in self._settings.rules)

    def _verdict(
        self, entry: QueueEntry, outcome: Outcome, trigger: str, chosen: OperatorState | None,
        now: datetime, *, was_told: bool,
    ) -> tuple[str, int | None, str | None, str]:
        """The outcome's kind, the place in line, what to tell the shopper (None:
        nothing) and the explanation recorded with the decision."""
        position: int | None = None
        shopper_text: str | None = None
        if chosen is not None:
            kind = "offered"
            explanation = f"offered to {chosen.name} ({chosen.kind.value}, load " \
                          f"{chosen.load - 1}/{chosen.max_concurrent}); {outcome.explain()}"
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
        handoff_count: int, chosen: OperatorState | None, now: datetime, *, first: bool,
        was_told: bool,
    ) -> RouteResult:
        kind, position, shopper_text, explanation = self._verdict(
            entry, outcome, trigger, chosen, now, was_told=was_told
        )
        async with self._conversations.change(now) as change:
            conn = change.conn
            decision_id = await store.insert_decision(
                conn,
                conversation_id=entry.conversation_id,
                at=now,
                trigger=trigger,
                facts=facts.public(),
                hits=[h.public() for h in outcome.hits],
                pool=pool_to_json(entry.pools[0]) if entry.pools else None,
                priority=entry.priority,
                operator_id=chosen.id if chosen else None,
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
        return RouteResult(entry.conversation_id, kind, chosen.id if chosen else None,
                           position, decision_id)

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
                else:
                    break
        return offered

    async def offer(self, conversation_id: int, operator: OperatorState, *, trigger: str) -> bool:
        async with self._state.locks.hold(conversation_id):
            entry = self._state.queue.get(conversation_id)
            if entry is None or entry.offered_to is not None or not operator.has_room:
                return False
            now = self._clock()
            operator.offered.add(conversation_id)
            self._state.queue.set_offer(entry, operator.id, now)
            entry.offers.add(operator.id)
            entry.after_hours = False
            explanation = f"{trigger}: offered to {operator.name} ({operator.kind.value}, " \
                          f"load {operator.load - 1}/{operator.max_concurrent})"
            try:
                async with self._conversations.change(now) as change:
                    decision_id = await store.insert_decision(
                        change.conn, conversation_id=conversation_id, at=now, trigger=trigger,
                        facts={"language": entry.language, "channel": entry.channel},
                        hits=[], pool=pool_to_json(entry.lane[-1]), priority=entry.priority,
                        operator_id=operator.id, outcome="offered", explanation=explanation,
                    )
                    await store.save_handoff(
                        change.conn, conversation_id, now=now, offered_to=operator.id,
                        offered_at=now, offers=sorted(entry.offers), after_hours=False,
                        stage=entry.stage, last_decision_id=decision_id,
                    )
                    change.emit(ConversationOffered(
                        conversation_id=conversation_id, at=now, operator_id=operator.id,
                        priority=entry.priority, reason=explanation,
                    ))
            except Exception:
                operator.offered.discard(conversation_id)
                self._state.queue.set_offer(entry, None, None)
                raise
        return True

    def release_offer(self, entry: QueueEntry) -> OperatorState | None:
        operator = self._state.operators.get(entry.offered_to or 0)
        if operator is not None:
            operator.offered.discard(entry.conversation_id)
        self._state.queue.set_offer(entry, None, None)
        return operator

    async def refresh_positions(self, entries: Iterable[QueueEntry], limit: int = 500) -> int:
        """Tell shoppers whose place in line or estimated wait changed materially."""
        now = self._clock()
        settings = self._settings.queue
        updates: list[tuple[QueueEntry, int, int]] = []
        capacities: dict[tuple[Pool, ...], int] = {}
        for entry in entries:
            if len(updates) >= limit:
                break
            if entry.offered_to is not None or entry.after_hours:
                continue
            if entry.lane not in capacities:
                capacities[entry.lane] = self.availability.capacity(entry)
            capacity = capacities[entry.lane]
            if capacity == 0:
                continue
            position = self._state.queue.position(entry)
            wait = estimate_wait(position, capacity, self._state.handle_times.average)
            told_position = entry.told_position or position
            told_wait = entry.told_wait_seconds or wait
            moved = told_position - position >= settings.position_step or (
                position == 1 and told_position > 1
            )
            changed = abs(wait - told_wait) / max(told_wait, 1) >= settings.wait_change_ratio
            if entry.told_position is None or moved or changed:
                updates.append((entry, position, wait))
        if not updates:
            return 0
        async with self._conversations.change(now) as change:
            for entry, position, wait in updates:
                key = "queue_position" if entry.told_position is None else "queue_update"
                text = replies.text(key, entry.locale).format(
                    position=position, minutes=minutes(wait)
                )
                await change.tell_shopper(
                    conversation_id=entry.conversation_id, contact_id=entry.contact_id,
                    channel=entry.channel, text=text, locale=entry.locale,
                    meta={"handoff": "position"},
                )
                await store.save_handoff(change.conn, entry.conversation_id, now=now,
                                         told_position=position, told_wait_seconds=wait)
            change.on_commit(lambda: _told(updates))
        return len(updates)


def _told(updates: list[tuple[QueueEntry, int, int]]) -> None:
    for entry, position, wait in updates:
        entry.told_position, entry.told_wait_seconds = position, wait
