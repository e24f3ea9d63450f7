"""What operators do: claim, reply, note, transfer, return to the bot, resolve, presence.

Each action checks, writes in one transaction (state change, messages, notes, CSAT
request, points), then updates the in-memory indexes and publishes events. A refused
action raises an `ActionError` with the HTTP status and one readable reason, and
changes nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from relevo.bot import replies
from relevo.bot.protocols import Bus
from relevo.bot.store import conversations as conversation_store
from relevo.bot.store import operators as operator_store
from relevo.bot.store import origins
from relevo.bot.store.conversations import ConversationRow
from relevo.bot.store.db import Database
from relevo.bot.types import (
    Author,
    AuthorKind,
    ConversationAssigned,
    ConversationQueued,
    ConversationResolved,
    ConversationReturnedToBot,
    ConversationState,
    Event,
    IllegalTransition,
    MessageStored,
    Origin,
)
from relevo.handoff import csat, points, store
from relevo.handoff.config import HandoffSettings, Pool
from relevo.handoff.events import NoteAdded, PresenceChanged, QueueChanged
from relevo.handoff.operators import OperatorState, Presence
from relevo.handoff.router import HandoffRouter
from relevo.handoff.state import Assignment, HandoffState

log = logging.getLogger("relevo.handoff.actions")

MAX_TEXT = 4096
S = ConversationState


class ActionError(Exception):
    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


def _not_found(conversation_id: int) -> ActionError:
    return ActionError(404, f"conversation {conversation_id} does not exist")


class Actions:
    def __init__(
        self,
        database: Database,
        bus: Bus,
        settings: HandoffSettings,
        state: HandoffState,
        router: HandoffRouter,
        *,
        on_outbound: Callable[[], None],
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._db = database
        self._bus = bus
        self._settings = settings
        self._state = state
        self._router = router
        self._on_outbound = on_outbound
        self._clock = clock

    async def _tell_joined(
        self,
        conn: AsyncConnection,
        conversation: ConversationRow,
        operator: OperatorState,
        now: datetime,
    ) -> MessageStored | None:
        """Tell the shopper who is answering them now ("Lucía · experto joined")."""
        return await self._router.tell_shopper(
            conn, conversation.id, conversation.contact_id, conversation.channel,
            conversation.locale,
            replies.text("operator_joined", conversation.locale).format(
                name=operator.author_name(conversation.locale)
            ),
            now, {"handoff": "joined", "operator_id": operator.id},
        )

    # --- claim ---------------------------------------------------------------------------

    async def claim(self, operator: OperatorState, conversation_id: int) -> dict[str, Any]:
        async with self._state.locks.hold(conversation_id):
            now = self._clock()
            async with self._db.read() as conn:
                conversation = await conversation_store.get(conn, conversation_id)
            if conversation is None:
                raise _not_found(conversation_id)
            if conversation.state != S.QUEUED:
                raise self._not_claimable(conversation, operator)
            entry = self._state.queue.get(conversation_id)
            offered_to_me = entry is not None and entry.offered_to == operator.id
            if not offered_to_me and not operator.has_room:
                raise ActionError(
                    409, f"you already have {operator.load} conversations "
                         f"(your maximum is {operator.max_concurrent})"
                )
            events: list[Event] = []
            try:
                async with self._db.write() as conn:
                    await conversation_store.transition(
                        conn, conversation_id, S.ASSIGNED, actor=f"operator:{operator.id}",
                        reason="claimed", now=now, expected_from=S.QUEUED,
                        operator_id=operator.id,
                    )
                    await store.save_handoff(
                        conn, conversation_id, now=now, assigned_at=now, offered_to=None,
                        offered_at=None, offers=[], waiting_since=now, reminded_at=None,
                        after_hours=False,
                    )
                    await operator_store.mark_assigned(conn, operator.id, now=now)
                    joined = await self._tell_joined(conn, conversation, operator, now)
                    if joined is not None:
                        events.append(joined)
            except IllegalTransition:
                # Lost the race to another process: explain who has it now.
                async with self._db.read() as conn:
                    current = await conversation_store.get(conn, conversation_id)
                raise self._not_claimable(current or conversation, operator) from None
            freed = self._take(conversation, operator, now)
        events.append(ConversationAssigned(
            conversation_id=conversation_id, at=now, from_state=S.QUEUED, to_state=S.ASSIGNED,
            actor=f"operator:{operator.id}", reason="claimed", operator_id=operator.id,
        ))
        await self._publish(events)
        await self._after_queue_change(entry, freed)
        return {"conversation_id": conversation_id, "state": S.ASSIGNED.value,
                "operator_id": operator.id}

    def _not_claimable(
        self, conversation: ConversationRow, operator: OperatorState
    ) -> ActionError:
        cid = conversation.id
        if conversation.state == S.RESOLVED:
            return ActionError(409, f"conversation {cid} is resolved")
        if conversation.state == S.BOT:
            return ActionError(409, f"conversation {cid} is with the bot, not waiting for a person")
        if conversation.assigned_operator_id == operator.id:
            return ActionError(409, f"conversation {cid} is already yours")
        holder = self._state.operators.get(conversation.assigned_operator_id or 0)
        name = holder.name if holder is not None else "another operator"
        return ActionError(409, f"conversation {cid} was already claimed by {name}")

    def _take(
        self, conversation: ConversationRow, operator: OperatorState, now: datetime
    ) -> OperatorState | None:
        """Move the conversation from the queue to `operator` in memory; returns the
        operator whose offer was withdrawn (they have room again)."""
        entry = self._state.queue.remove(conversation.id)
        freed = None
        if entry is not None and entry.offered_to is not None:
            freed = self._router.release_offer(entry)
        operator.assigned.add(conversation.id)
        operator.last_assigned_at = now
        self._state.assignments[conversation.id] = Assignment(
            conversation_id=conversation.id, operator_id=operator.id, assigned_at=now,
            contact_id=conversation.contact_id, channel=conversation.channel,
            locale=conversation.locale,
            pools=entry.pools if entry else (self._settings.widest_pool,),
            priority=entry.priority if entry else 0, waiting_since=now,
        )
        return freed if freed is not None and freed.id != operator.id else None

    # --- reply and notes -----------------------------------------------------------------

    async def reply(
        self, operator: OperatorState, conversation_id: int, text: str, *,
        origin: Origin | None = None,
    ) -> dict[str, Any]:
        text = _clean(text)
        async with self._state.locks.hold(conversation_id):
            now = self._clock()
            async with self._db.write() as conn:
                conversation = await self._mine(conn, operator, conversation_id, "reply to")
                author = Author(AuthorKind.OPERATOR, operator.author_name(conversation.locale),
                                operator.id)
                stored = await self._router.tell_shopper(
                    conn, conversation_id, conversation.contact_id, conversation.channel,
                    conversation.locale, text, now, {"operator_kind": operator.kind.value},
                    author=author,
                )
                if stored is None:
                    raise ActionError(409, "the shopper has no address on this channel")
                if origin is not None:  # a second message of this origin fails the commit
                    await origins.set_message_origin(conn, stored.message_id, origin)
                handoff = await store.get_handoff(conn, conversation_id)
                await store.save_handoff(
                    conn, conversation_id, now=now, waiting_since=None, reminded_at=None,
                    first_reply_at=(handoff.first_reply_at if handoff and
                                    handoff.first_reply_at else now),
                )
                await conversation_store.touch(conn, conversation_id, now=now)
                await operator_store.touch(conn, [operator.id], now=now)
        assignment = self._state.assignments.get(conversation_id)
        if assignment is not None:
            assignment.waiting_since = assignment.reminded_at = None
        await self._publish([stored])
        return {
            "id": stored.message_id,
            "conversation_id": conversation_id,
            "author": {"kind": "operator", "name": author.name, "operator_id": operator.id},
            "text": text,
            "created_at": now.isoformat(),
        }

    async def note(
        self, operator: OperatorState, conversation_id: int, text: str, *,
        origin: Origin | None = None,
    ) -> dict[str, Any]:
        text = _clean(text)
        now = self._clock()
        async with self._db.write() as conn:
            if await conversation_store.get(conn, conversation_id) is None:
                raise _not_found(conversation_id)
            note_id = await store.add_note(conn, conversation_id=conversation_id,
                                           operator_id=operator.id, kind="note", text=text,
                                           now=now)
            if origin is not None:  # a second note of this origin fails the commit
                await origins.set_note_origin(conn, note_id, origin)
        await self._bus.publish(NoteAdded(conversation_id=conversation_id, at=now,
                                          operator_id=operator.id, note_id=note_id))
        return {"id": note_id, "conversation_id": conversation_id, "operator_id": operator.id,
                "kind": "note", "text": text, "at": now.isoformat()}

    async def _mine(
        self, conn: Any, operator: OperatorState, conversation_id: int, verb: str
    ) -> ConversationRow:
        conversation = await conversation_store.get(conn, conversation_id)
        if conversation is None:
            raise _not_found(conversation_id)
        if conversation.state == S.RESOLVED:
            raise ActionError(409, f"conversation {conversation_id} is resolved")
        if conversation.state != S.ASSIGNED or conversation.assigned_operator_id != operator.id:
            raise ActionError(
                403, f"conversation {conversation_id} is not assigned to you: "
                     f"claim it before you {verb} it"
            )
        return conversation

    # --- transfer ------------------------------------------------------------------------

    async def transfer(
        self,
        operator: OperatorState,
        conversation_id: int,
        *,
        to_operator_id: int | None = None,
        pool: Pool | None = None,
        note: str | None = None,
    ) -> dict[str, Any]:
        note_text = _clean(note) if note and note.strip() else None
        if to_operator_id is not None and pool is None:
            return await self._to_operator(operator, conversation_id, to_operator_id, note_text)
        if pool is not None and to_operator_id is None:
            return await self._to_pool(operator, conversation_id, pool, note_text)
        raise ActionError(422, "give exactly one of operator_id or pool")

    async def _to_operator(
        self, operator: OperatorState, conversation_id: int, target_id: int, note: str | None
    ) -> dict[str, Any]:
        target = self._state.operators.get(target_id)
        if target is None:
            raise ActionError(404, f"operator {target_id} does not exist")
        if target.id == operator.id:
            raise ActionError(422, "you cannot transfer a conversation to yourself")
        if target.presence == Presence.OFFLINE:
            raise ActionError(409, f"{target.name} is offline: transfer to a pool instead")
        if not target.has_room:
            raise ActionError(409, f"{target.name} has no room ({target.load}/"
                                   f"{target.max_concurrent} conversations)")
        async with self._state.locks.hold(conversation_id):
            now = self._clock()
            events: list[Event] = []
            async with self._db.write() as conn:
                conversation = await self._mine(conn, operator, conversation_id, "transfer")
                reason = f"transferred by {operator.name} to {target.name}"
                await conversation_store.transition(
                    conn, conversation_id, S.ASSIGNED, actor=f"operator:{operator.id}",
                    reason=reason, now=now, expected_from=S.ASSIGNED, operator_id=target.id,
                )
                handoff = await store.get_handoff(conn, conversation_id)
                count = (handoff.handoff_count if handoff else 0) + 1
                await store.insert_decision(
                    conn, conversation_id=conversation_id, at=now, trigger="transfer",
                    facts={"from_operator_id": operator.id}, hits=[
                        {"rule": "transfer", "why": reason, "pool": None, "priority": 0}
                    ], pool=None, priority=handoff.priority if handoff else 0,
                    operator_id=target.id, outcome="assigned", explanation=reason,
                )
                await store.save_handoff(conn, conversation_id, now=now, assigned_at=now,
                                         waiting_since=now, reminded_at=None,
                                         handoff_count=count)
                await operator_store.mark_assigned(conn, target.id, now=now)
                note_id = await self._transfer_note(conn, conversation_id, operator, reason, note,
                                                    now)
                joined = await self._tell_joined(conn, conversation, target, now)
                if joined is not None:
                    events.append(joined)
            operator.assigned.discard(conversation_id)
            target.assigned.add(conversation_id)
            target.last_assigned_at = now
            assignment = self._state.assignments.get(conversation_id)
            if assignment is not None:
                assignment.operator_id, assignment.assigned_at = target.id, now
                assignment.waiting_since, assignment.reminded_at = now, None
        events.append(ConversationAssigned(
            conversation_id=conversation_id, at=now, from_state=S.ASSIGNED,
            to_state=S.ASSIGNED, actor=f"operator:{operator.id}", reason=reason,
            operator_id=target.id,
        ))
        events.append(NoteAdded(conversation_id=conversation_id, at=now,
                                operator_id=operator.id, note_id=note_id))
        await self._publish(events)
        await self._router.drain([operator.id])
        return {"conversation_id": conversation_id, "state": S.ASSIGNED.value,
                "operator_id": target.id}

    async def _to_pool(
        self, operator: OperatorState, conversation_id: int, pool: Pool, note: str | None
    ) -> dict[str, Any]:
        others = [m for m in self._state.operators.members(pool) if m.id != operator.id]
        if not others:
            raise ActionError(422, f"no operator belongs to the pool {pool.describe()}")
        async with self._state.locks.hold(conversation_id):
            now = self._clock()
            async with self._db.write() as conn:
                await self._mine(conn, operator, conversation_id, "transfer")
                reason = f"transferred by {operator.name} to pool {pool.describe()}"
                await conversation_store.transition(
                    conn, conversation_id, S.QUEUED, actor=f"operator:{operator.id}",
                    reason=reason[:200], now=now, expected_from=S.ASSIGNED,
                )
                note_id = await self._transfer_note(conn, conversation_id, operator, reason, note,
                                                    now)
            self._release(conversation_id, operator)
        await self._publish([
            ConversationQueued(conversation_id=conversation_id, at=now, from_state=S.ASSIGNED,
                               to_state=S.QUEUED, actor=f"operator:{operator.id}",
                               reason=reason),
            NoteAdded(conversation_id=conversation_id, at=now, operator_id=operator.id,
                      note_id=note_id),
        ])
        result = await self._router.decide(conversation_id, trigger="transfer", pool=pool,
                                          exclude=[operator.id], why=reason)
        await self._router.drain([operator.id])
        return {"conversation_id": conversation_id, "state": S.QUEUED.value,
                "outcome": result.outcome, "operator_id": result.operator_id,
                "position": result.position}

    async def _transfer_note(
        self, conn: Any, conversation_id: int, operator: OperatorState, reason: str,
        note: str | None, now: datetime,
    ) -> int:
        text = f"{reason}: {note}" if note else reason
        return await store.add_note(conn, conversation_id=conversation_id,
                                    operator_id=operator.id, kind="transfer", text=text, now=now)

    # --- return to bot, resolve ------------------------------------------------------------

    async def return_to_bot(self, operator: OperatorState, conversation_id: int) -> dict[str, Any]:
        async with self._state.locks.hold(conversation_id):
            now = self._clock()
            events: list[Event] = []
            async with self._db.write() as conn:
                conversation = await self._mine_or_queued(conn, operator, conversation_id,
                                                          "return to the bot")
                from_state = conversation.state
                await conversation_store.transition(
                    conn, conversation_id, S.BOT, actor=f"operator:{operator.id}",
                    reason="returned to the bot", now=now, expected_from=from_state,
                )
                told = await self._router.tell_shopper(
                    conn, conversation_id, conversation.contact_id, conversation.channel,
                    conversation.locale, replies.text("returned_to_bot", conversation.locale),
                    now, {"handoff": "returned_to_bot"},
                )
                if told is not None:
                    events.append(told)
            holder, entry = self._release(conversation_id, operator)
        events.append(ConversationReturnedToBot(
            conversation_id=conversation_id, at=now, from_state=from_state, to_state=S.BOT,
            actor=f"operator:{operator.id}", reason="returned to the bot",
        ))
        await self._publish(events)
        await self._after_queue_change(entry, holder)
        return {"conversation_id": conversation_id, "state": S.BOT.value}

    async def resolve(self, operator: OperatorState, conversation_id: int) -> dict[str, Any]:
        async with self._state.locks.hold(conversation_id):
            now = self._clock()
            events: list[Event] = []
            awarded = 0
            async with self._db.write() as conn:
                conversation = await self._mine_or_queued(conn, operator, conversation_id,
                                                          "resolve")
                from_state = conversation.state
                await conversation_store.transition(
                    conn, conversation_id, S.RESOLVED, actor=f"operator:{operator.id}",
                    reason="resolved", now=now, expected_from=from_state,
                )
                if from_state == S.ASSIGNED:
                    await csat.request(conn, conversation_id=conversation_id,
                                       contact_id=conversation.contact_id,
                                       operator_id=operator.id, operator_kind=operator.kind,
                                       now=now)
                    awarded = await points.award(
                        conn, self._settings.points, operator_id=operator.id,
                        kind=operator.kind, conversation_id=conversation_id, event="resolved",
                        now=now,
                    )
                    question = await self._router.tell_shopper(
                        conn, conversation_id, conversation.contact_id, conversation.channel,
                        conversation.locale,
                        replies.text("csat_question", conversation.locale).format(
                            name=operator.author_name(conversation.locale)
                        ),
                        now, {"handoff": "csat_question", "operator_id": operator.id},
                    )
                    if question is not None:
                        events.append(question)
            holder, entry = self._release(conversation_id, operator)
            assignment_started = self._state.assignments.pop(conversation_id, None)
            if from_state == S.ASSIGNED:
                self._state.csat_pending[conversation.contact_id] = conversation_id
            if assignment_started is not None:
                self._state.handle_times.add(
                    (now - assignment_started.assigned_at).total_seconds()
                )
            operator.points += awarded
        events.append(ConversationResolved(
            conversation_id=conversation_id, at=now, from_state=from_state,
            to_state=S.RESOLVED, actor=f"operator:{operator.id}", reason="resolved",
        ))
        await self._publish(events)
        await self._after_queue_change(entry, holder)
        return {"conversation_id": conversation_id, "state": S.RESOLVED.value,
                "points_awarded": awarded}

    async def _mine_or_queued(
        self, conn: Any, operator: OperatorState, conversation_id: int, verb: str
    ) -> ConversationRow:
        """Yours, or waiting in the queue (anyone may close or hand back a queued one)."""
        conversation = await conversation_store.get(conn, conversation_id)
        if conversation is None:
            raise _not_found(conversation_id)
        if conversation.state == S.QUEUED:
            return conversation
        if conversation.state == S.BOT:
            raise ActionError(409, f"conversation {conversation_id} is with the bot")
        return await self._mine(conn, operator, conversation_id, verb)

    def _release(
        self, conversation_id: int, operator: OperatorState
    ) -> tuple[OperatorState | None, Any]:
        """Drop the conversation from the queue or from its operator, in memory."""
        entry = self._state.queue.remove(conversation_id)
        holder: OperatorState | None = None
        if entry is not None and entry.offered_to is not None:
            holder = self._router.release_offer(entry)
        assignment = self._state.assignments.get(conversation_id)
        if assignment is not None:
            holder = self._state.operators.get(assignment.operator_id)
            if holder is not None:
                holder.assigned.discard(conversation_id)
        operator.assigned.discard(conversation_id)
        return holder, entry

    # --- presence ------------------------------------------------------------------------

    async def set_presence(self, operator: OperatorState, presence: Presence) -> dict[str, Any]:
        now = self._clock()
        async with self._db.write() as conn:
            await operator_store.set_presence(conn, operator.id, presence.value, now=now)
        self._state.operators.set_presence(operator, presence)
        operator.last_seen_at = now
        withdrawn = []
        if presence != Presence.ONLINE:
            # Offers waiting for someone who left go back to the queue for others.
            for conversation_id in list(operator.offered):
                entry = self._state.queue.get(conversation_id)
                if entry is not None:
                    self._router.release_offer(entry)
                    withdrawn.append(conversation_id)
                operator.offered.discard(conversation_id)
        await self._bus.publish(PresenceChanged(conversation_id=0, at=now,
                                                operator_id=operator.id,
                                                presence=presence.value))
        if presence == Presence.ONLINE:
            await self._router.drain_and_refresh([operator.id])
        elif withdrawn:
            await self._router.drain_and_refresh()
        return operator.public()

    # --- helpers -------------------------------------------------------------------------

    async def _after_queue_change(self, entry: Any, freed: OperatorState | None) -> None:
        """Someone left the queue or an operator has room again: drain at once, then tell
        the shoppers still waiting if their place changed materially."""
        await self._router.drain_and_refresh(
            [freed.id] if freed is not None else None,
            lanes=[entry.lane] if entry is not None else (),
        )
        if entry is not None:
            await self._bus.publish(QueueChanged(conversation_id=entry.conversation_id,
                                                 at=self._clock(), position=None))

    async def _publish(self, events: list[Event]) -> None:
        for event in events:
            await self._bus.publish(event)
        if any(isinstance(e, MessageStored) for e in events):
            self._on_outbound()


def _clean(text: str | None) -> str:
    cleaned = (text or "").strip()
    if not cleaned:
        raise ActionError(422, "text must not be empty")
    if len(cleaned) > MAX_TEXT:
        raise ActionError(422, f"text is longer than {MAX_TEXT} characters")
    return cleaned
