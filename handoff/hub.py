"""Live updates for the operator console: bus events → each operator's open sockets.

Small JSON notices (`{"type": "queue" | "offered" | "assigned" | "message" | …,
"conversation_id": …}`); the console fetches what changed over the REST API, so a
missed notice costs a refresh, never data. Queue-wide notices go to every operator;
messages go to the conversation's operator and to whoever has it open.

What a notice names follows `relevo.handoff.visibility`: an operator told of a
conversation out of their reach gets the notice without its ids (`{"type": "queue"}`:
refresh your lists), so an ambassador's socket never learns the ids of conversations
offered to others. A closed conversation is out of reach for kinds that see only their
own; for the others its ids may still come (what they may read is the API's to decide).
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from typing import Any

from relevo.bot.protocols import Bus, Subscription
from relevo.bot.types import (
    ConversationAssigned,
    ConversationOffered,
    ConversationQueued,
    ConversationResolved,
    ConversationReturnedToBot,
    Event,
    MessageReceived,
    MessageStored,
    NoteAdded,
    OperatorReminded,
    PresenceChanged,
    QueueChanged,
)
from relevo.handoff.state import HandoffState
from relevo.handoff.visibility import (
    Reach,
    Whereabouts,
    may_see,
    reach,
    whereabouts_in_memory,
)

log = logging.getLogger("relevo.handoff.hub")

Notice = dict[str, Any]


class ConsoleHub:
    def __init__(self, state: HandoffState) -> None:
        self._state = state
        self._sockets: dict[int, set[asyncio.Queue[Notice]]] = defaultdict(set)
        self._watching: dict[int, set[asyncio.Queue[Notice]]] = defaultdict(set)
        self._owner: dict[asyncio.Queue[Notice], int] = {}  # socket → its operator
        self._subscription: Subscription | None = None

    def subscribe(self, bus: Bus) -> None:
        self._subscription = bus.subscribe(self.handle, name="handoff-console")

    async def close(self) -> None:
        if self._subscription is not None:
            await self._subscription.close()

    def open(self, operator_id: int) -> asyncio.Queue[Notice]:
        queue: asyncio.Queue[Notice] = asyncio.Queue(maxsize=500)
        self._sockets[operator_id].add(queue)
        self._owner[queue] = operator_id
        return queue

    def close_socket(self, operator_id: int, queue: asyncio.Queue[Notice]) -> None:
        self._sockets[operator_id].discard(queue)
        if not self._sockets[operator_id]:
            del self._sockets[operator_id]
        self._owner.pop(queue, None)
        self.watch(queue, None)

    def watch(self, queue: asyncio.Queue[Notice], conversation_id: int | None) -> None:
        """The socket shows this conversation (None: none): it gets its messages."""
        for cid in [c for c, qs in self._watching.items() if queue in qs]:
            self._watching[cid].discard(queue)
            if not self._watching[cid]:
                del self._watching[cid]
        if conversation_id is not None:
            self._watching[conversation_id].add(queue)

    def connected(self, operator_id: int) -> bool:
        return bool(self._sockets.get(operator_id))

    async def handle(self, event: Event) -> None:
        self.dispatch(event)

    def dispatch(self, event: Event) -> int:
        """Push the notice for `event`; returns how many sockets got it."""
        cid = event.conversation_id
        if isinstance(event, ConversationOffered):
            sent = self._to(event.operator_id, {"type": "offered", "conversation_id": cid,
                                                "priority": event.priority,
                                                "reason": event.reason})
            return sent + self._everyone({"type": "queue", "conversation_id": cid})
        if isinstance(event, ConversationAssigned):
            return self._everyone({"type": "assigned", "conversation_id": cid,
                                   "operator_id": event.operator_id})
        if isinstance(event, ConversationQueued | QueueChanged):
            return self._everyone({"type": "queue", "conversation_id": cid})
        if isinstance(event, ConversationResolved | ConversationReturnedToBot):
            return self._everyone({"type": "closed", "conversation_id": cid,
                                   "state": event.to_state.value})
        if isinstance(event, MessageReceived | MessageStored):
            return self._about(cid, {"type": "message", "conversation_id": cid,
                                     "message_id": event.message_id})
        if isinstance(event, NoteAdded):
            return self._about(cid, {"type": "note", "conversation_id": cid,
                                     "note_id": event.note_id})
        if isinstance(event, OperatorReminded):
            return self._to(event.operator_id, {
                "type": "reminder", "conversation_id": cid,
                "waiting_seconds": round(event.waiting_seconds),
            })
        if isinstance(event, PresenceChanged):
            return self._to(event.operator_id, {"type": "presence",
                                                "presence": event.presence})
        return 0

    def may_know(self, operator_id: int, conversation_id: int) -> bool:
        """May this operator's socket be told this conversation's id?"""
        return self._may_know(operator_id, whereabouts_in_memory(self._state, conversation_id))

    def _may_know(self, operator_id: int, where: Whereabouts | None) -> bool:
        operator = self._state.operators.get(operator_id)
        if operator is None:
            return False
        if where is None:  # closed or with the bot
            return reach(operator) != Reach.OFFERED_OR_ASSIGNED
        return may_see(operator, where)

    def _about(self, conversation_id: int, notice: Notice) -> int:
        targets = {q for q in self._watching.get(conversation_id, ())
                   if self.may_know(self._owner.get(q, 0), conversation_id)}
        assignment = self._state.assignments.get(conversation_id)
        if assignment is not None:
            targets |= self._sockets.get(assignment.operator_id, set())
        entry = self._state.queue.get(conversation_id)
        if entry is not None and entry.offered_to is not None:
            targets |= self._sockets.get(entry.offered_to, set())
        return self._push(targets, notice)

    def _to(self, operator_id: int, notice: Notice) -> int:
        return self._push(self._sockets.get(operator_id, set()), notice)

    def _everyone(self, notice: Notice) -> int:
        # Where the conversation is, looked up once for every operator's socket.
        where = whereabouts_in_memory(self._state, notice["conversation_id"])
        told: set[asyncio.Queue[Notice]] = set()
        untold: set[asyncio.Queue[Notice]] = set()
        for operator_id, queues in self._sockets.items():
            (told if self._may_know(operator_id, where) else untold).update(queues)
        # Out of reach: that something changed, not what (the lists refresh).
        return self._push(told, notice) + self._push(untold, {"type": notice["type"]})

    @staticmethod
    def _push(queues: set[asyncio.Queue[Notice]], notice: Notice) -> int:
        sent = 0
        for queue in queues:
            try:
                queue.put_nowait(notice)
                sent += 1
            except asyncio.QueueFull:  # a stuck console catches up on its next refresh
                log.warning("console socket queue full; notice dropped")
        return sent
