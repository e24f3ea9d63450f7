"""Transfers: an operator hands a conversation to a colleague or back to a pool.

Each one is a recorded transition, a routing decision or a queue entry, and a
transfer note; the in-memory indexes follow once the transaction is committed.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from relevo.bot.clock import Clock
from relevo.bot.conversations import Change, Conversations
from relevo.bot.store import operators as operator_store
from relevo.bot.types import ConversationState, NoteAdded
from relevo.handoff import capacity, store
from relevo.handoff.config import Pool
from relevo.handoff.holding import ActionError, mine, release, tell_joined
from relevo.handoff.operators import OperatorState, Presence
from relevo.handoff.router import HandoffRouter
from relevo.handoff.state import HandoffState

S = ConversationState


class Transfers:
    def __init__(
        self,
        conversations: Conversations,
        state: HandoffState,
        router: HandoffRouter,
        clock: Clock,
    ) -> None:
        self._conversations = conversations
        self._state = state
        self._router = router
        self._clock = clock

    async def to_operator(
        self, operator: OperatorState, conversation_id: int, target_id: int, note: str | None
    ) -> dict[str, Any]:
        target = self._target(operator, target_id)
        async with self._state.locks.hold(conversation_id):
            async with self._conversations.change(self._clock()) as change:
                now = change.now
                slots = await capacity.take(change.conn, target.id, conversation_id)
                if slots is None or not slots.free:
                    load = slots.load if slots is not None else target.load
                    raise ActionError(409, f"{target.name} has no room ({load}/"
                                           f"{target.max_concurrent} conversations)")
                conversation = await mine(change.conn, operator, conversation_id, "transfer")
                reason = f"transferred by {operator.name} to {target.name}"
                await change.transition(
                    conversation_id, S.ASSIGNED, actor=f"operator:{operator.id}",
                    reason=reason, expected_from=S.ASSIGNED, operator_id=target.id,
                )
                handoff = await store.get_handoff(change.conn, conversation_id)
                await store.insert_decision(
                    change.conn, conversation_id=conversation_id, at=now, trigger="transfer",
                    facts={"from_operator_id": operator.id}, hits=[
                        {"rule": "transfer", "why": reason, "pool": None, "priority": 0}
                    ], pool=None, priority=handoff.priority if handoff else 0,
                    operator_id=target.id, outcome="assigned", explanation=reason,
                )
                await store.save_handoff(
                    change.conn, conversation_id, now=now, assigned_at=now, waiting_since=now,
                    reminded_at=None, handoff_count=(handoff.handoff_count if handoff else 0) + 1,
                )
                await operator_store.mark_assigned(change.conn, target.id, now=now)
                await tell_joined(change, conversation, target)
                await self._note(change, conversation_id, operator, reason, note)
                change.on_commit(lambda: self._moved(conversation_id, operator, target, now))
        await self._router.drain([operator.id])
        return {"conversation_id": conversation_id, "state": S.ASSIGNED.value,
                "operator_id": target.id}

    def _target(self, operator: OperatorState, target_id: int) -> OperatorState:
        target = self._state.operators.get(target_id)
        if target is None:
            raise ActionError(404, f"operator {target_id} does not exist")
        if target.id == operator.id:
            raise ActionError(422, "you cannot transfer a conversation to yourself")
        if target.presence == Presence.OFFLINE:
            raise ActionError(409, f"{target.name} is offline: transfer to a pool instead")
        return target

    def _moved(
        self, conversation_id: int, operator: OperatorState, target: OperatorState,
        now: datetime,
    ) -> None:
        operator.assigned.discard(conversation_id)
        target.assigned.add(conversation_id)
        target.last_assigned_at = now
        assignment = self._state.assignments.get(conversation_id)
        if assignment is not None:
            assignment.operator_id, assignment.assigned_at = target.id, now
            assignment.waiting_since, assignment.reminded_at = now, None

    async def to_pool(
        self, operator: OperatorState, conversation_id: int, pool: Pool, note: str | None
    ) -> dict[str, Any]:
        others = [m for m in self._state.operators.members(pool) if m.id != operator.id]
        if not others:
            raise ActionError(422, f"no operator belongs to the pool {pool.describe()}")
        reason = f"transferred by {operator.name} to pool {pool.describe()}"
        async with self._state.locks.hold(conversation_id):
            async with self._conversations.change(self._clock()) as change:
                await mine(change.conn, operator, conversation_id, "transfer")
                await change.transition(
                    conversation_id, S.QUEUED, actor=f"operator:{operator.id}", reason=reason,
                    expected_from=S.ASSIGNED,
                )
                await self._note(change, conversation_id, operator, reason, note)
                change.on_commit(
                    lambda: release(self._state, self._router, conversation_id, operator)
                )
        result = await self._router.decide(conversation_id, trigger="transfer", pool=pool,
                                          exclude=[operator.id], why=reason)
        await self._router.drain([operator.id])
        return {"conversation_id": conversation_id, "state": S.QUEUED.value,
                "outcome": result.outcome, "operator_id": result.operator_id,
                "position": result.position}

    async def _note(
        self, change: Change, conversation_id: int, operator: OperatorState, reason: str,
        note: str | None,
    ) -> None:
        text = f"{reason}: {note}" if note else reason
        note_id = await store.add_note(change.conn, conversation_id=conversation_id,
                                       operator_id=operator.id, kind="transfer", text=text,
                                       now=change.now)
        change.emit(NoteAdded(conversation_id=conversation_id, at=change.now,
                              operator_id=operator.id, note_id=note_id))
