"""What operators do: claim, reply, note, transfer, return to the bot, resolve, presence.

Each action checks, then writes in one change of the conversation (state change,
messages, notes, CSAT request, points); once it is committed the in-memory indexes
follow and the events go out. A refused action raises an `ActionError` with the
HTTP status and one readable reason, and changes nothing.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from relevo.bot import replies
from relevo.bot.clock import Clock, utc_now
from relevo.bot.conversations import Change, Conversations
from relevo.bot.store import conversations as conversation_store
from relevo.bot.store import operators as operator_store
from relevo.bot.store import origins
from relevo.bot.store.conversations import ConversationRow
from relevo.bot.store.db import Database
from relevo.bot.types import (
    Author,
    AuthorKind,
    ConversationState,
    IllegalTransition,
    NoteAdded,
    Origin,
    PresenceChanged,
    QueueChanged,
)
from relevo.handoff import capacity, csat, points, store
from relevo.handoff.config import HandoffSettings, Pool
from relevo.handoff.holding import (
    ActionError,
    Released,
    clean,
    mine,
    mine_or_queued,
    not_found,
    release,
    tell_joined,
)
from relevo.handoff.operators import OperatorState, Presence
from relevo.handoff.queue import QueueEntry
from relevo.handoff.router import HandoffRouter
from relevo.handoff.state import Assignment, HandoffState
from relevo.handoff.transfer import Transfers

log = logging.getLogger("relevo.handoff.actions")

S = ConversationState
__all__ = ["ActionError", "Actions"]


class Actions:
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
        self._state = state
        self._router = router
        self._clock = clock
        self._transfers = Transfers(conversations, state, router, clock)

    # --- claim ---------------------------------------------------------------------------

    async def claim(self, operator: OperatorState, conversation_id: int) -> dict[str, Any]:
        await self._state.ready(self._db)
        async with self._state.locks.hold(conversation_id):
            now = self._clock()
            async with self._db.read() as conn:
                conversation = await conversation_store.get(conn, conversation_id)
            if conversation is None:
                raise not_found(conversation_id)
            if conversation.state != S.QUEUED:
                raise self._not_claimable(conversation, operator)
            entry = self._state.queue.get(conversation_id)
            freed: list[OperatorState] = []
            try:
                async with self._conversations.change(now) as change:
                    # The conversation offered to them keeps its slot: not counted.
                    slots = await capacity.take(change.conn, operator.id, conversation_id)
                    if slots is not None and not slots.free:
                        raise ActionError(
                            409, f"you already have {slots.load} conversations "
                                 f"(your maximum is {slots.max_concurrent})"
                        )
                    await change.transition(
                        conversation_id, S.ASSIGNED, actor=f"operator:{operator.id}",
                        reason="claimed", expected_from=S.QUEUED, operator_id=operator.id,
                    )
                    await store.save_handoff(
                        change.conn, conversation_id, now=now, assigned_at=now,
                        offered_to=None, offered_at=None, offers=[], waiting_since=now,
                        reminded_at=None, after_hours=False,
                    )
                    await operator_store.mark_assigned(change.conn, operator.id, now=now)
                    await tell_joined(change, conversation, operator)
                    change.on_commit(
                        lambda: freed.extend(self._take(conversation, operator, now))
                    )
            except IllegalTransition:
                # Lost the race to another process: explain who has it now.
                async with self._db.read() as conn:
                    current = await conversation_store.get(conn, conversation_id)
                raise self._not_claimable(current or conversation, operator) from None
        await self._after_queue_change(entry, freed[0] if freed else None)
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
    ) -> list[OperatorState]:
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
        return [freed] if freed is not None and freed.id != operator.id else []

    # --- reply and notes -----------------------------------------------------------------

    async def reply(
        self, operator: OperatorState, conversation_id: int, text: str, *,
        origin: Origin | None = None,
    ) -> dict[str, Any]:
        text = clean(text)
        async with self._state.locks.hold(conversation_id):
            async with self._conversations.change(self._clock()) as change:
                conn, now = change.conn, change.now
                conversation = await mine(conn, operator, conversation_id, "reply to")
                author = Author(AuthorKind.OPERATOR, operator.author_name(conversation.locale),
                                operator.id)
                told = await change.tell_shopper(
                    conversation_id=conversation_id, contact_id=conversation.contact_id,
                    channel=conversation.channel, locale=conversation.locale, text=text,
                    author=author, meta={"operator_kind": operator.kind.value}, origin=origin,
                )
                if told is None:
                    raise ActionError(409, "the shopper has no address on this channel")
                handoff = await store.get_handoff(conn, conversation_id)
                await store.save_handoff(
                    conn, conversation_id, now=now, waiting_since=None, reminded_at=None,
                    first_reply_at=(handoff.first_reply_at if handoff and
                                    handoff.first_reply_at else now),
                )
                await conversation_store.touch(conn, conversation_id, now=now)
                await operator_store.touch(conn, [operator.id], now=now)
                change.on_commit(lambda: self._replied(conversation_id))
        return {
            "id": told.message_id,
            "conversation_id": conversation_id,
            "author": {"kind": "operator", "name": author.name, "operator_id": operator.id},
            "text": text,
            "created_at": told.at.isoformat(),
        }

    def _replied(self, conversation_id: int) -> None:
        assignment = self._state.assignments.get(conversation_id)
        if assignment is not None:
            assignment.waiting_since = assignment.reminded_at = None

    async def note(
        self, operator: OperatorState, conversation_id: int, text: str, *,
        origin: Origin | None = None,
    ) -> dict[str, Any]:
        text = clean(text)
        async with self._conversations.change(self._clock()) as change:
            now = change.now
            if await conversation_store.get(change.conn, conversation_id) is None:
                raise not_found(conversation_id)
            note_id = await store.add_note(change.conn, conversation_id=conversation_id,
                                           operator_id=operator.id, kind="note", text=text,
                                           now=now)
            if origin is not None:  # a second note of this origin fails the commit
                await origins.set_note_origin(change.conn, note_id, origin)
            change.emit(NoteAdded(conversation_id=conversation_id, at=now,
                                  operator_id=operator.id, note_id=note_id))
        return {"id": note_id, "conversation_id": conversation_id, "operator_id": operator.id,
                "kind": "note", "text": text, "at": now.isoformat()}

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
        note_text = clean(note) if note and note.strip() else None
        await self._state.ready(self._db)
        if to_operator_id is not None and pool is None:
            return await self._transfers.to_operator(operator, conversation_id, to_operator_id,
                                                     note_text)
        if pool is not None and to_operator_id is None:
            return await self._transfers.to_pool(operator, conversation_id, pool, note_text)
        raise ActionError(422, "give exactly one of operator_id or pool")

    # --- return to bot, resolve ------------------------------------------------------------

    async def return_to_bot(self, operator: OperatorState, conversation_id: int) -> dict[str, Any]:
        await self._state.ready(self._db)
        async with self._state.locks.hold(conversation_id):
            released: list[Released] = []
            async with self._conversations.change(self._clock()) as change:
                conversation = await mine_or_queued(change.conn, operator, conversation_id,
                                                    "return to the bot")
                await change.transition(
                    conversation_id, S.BOT, actor=f"operator:{operator.id}",
                    reason="returned to the bot", expected_from=conversation.state,
                )
                await change.tell_shopper(
                    conversation_id=conversation_id, contact_id=conversation.contact_id,
                    channel=conversation.channel, locale=conversation.locale,
                    text=replies.text("returned_to_bot", conversation.locale),
                    meta={"handoff": "returned_to_bot"},
                )
                change.on_commit(lambda: released.append(
                    release(self._state, self._router, conversation_id, operator)
                ))
        await self._after_queue_change(released[0][1], released[0][0])
        return {"conversation_id": conversation_id, "state": S.BOT.value}

    async def resolve(self, operator: OperatorState, conversation_id: int) -> dict[str, Any]:
        await self._state.ready(self._db)
        async with self._state.locks.hold(conversation_id):
            released: list[Released] = []
            awarded = 0
            async with self._conversations.change(self._clock()) as change:
                conversation = await mine_or_queued(change.conn, operator, conversation_id,
                                                    "resolve")
                await change.transition(
                    conversation_id, S.RESOLVED, actor=f"operator:{operator.id}",
                    reason="resolved", expected_from=conversation.state,
                )
                if conversation.state == S.ASSIGNED:
                    awarded = await self._ask_csat(change, conversation, operator)
                change.on_commit(lambda: released.append(
                    self._resolved(conversation, operator, awarded, change.now)
                ))
        await self._after_queue_change(released[0][1], released[0][0])
        return {"conversation_id": conversation_id, "state": S.RESOLVED.value,
                "points_awarded": awarded}

    async def _ask_csat(
        self, change: Change, conversation: ConversationRow, operator: OperatorState
    ) -> int:
        """Resolved by its operator: ask the shopper's rating, award the points."""
        await csat.request(change.conn, conversation_id=conversation.id,
                           contact_id=conversation.contact_id, operator_id=operator.id,
                           operator_kind=operator.kind, now=change.now)
        change.on_commit(lambda: self._state.asked_contacts.add(conversation.contact_id))
        awarded = await points.award(
            change.conn, self._settings.points, operator_id=operator.id, kind=operator.kind,
            conversation_id=conversation.id, event="resolved", now=change.now,
        )
        await change.tell_shopper(
            conversation_id=conversation.id, contact_id=conversation.contact_id,
            channel=conversation.channel, locale=conversation.locale,
            text=replies.text("csat_question", conversation.locale).format(
                name=operator.author_name(conversation.locale)
            ),
            meta=csat.question_meta(operator.id, conversation.locale),
        )
        return awarded

    def _resolved(
        self, conversation: ConversationRow, operator: OperatorState, awarded: int,
        now: datetime,
    ) -> Released:
        released = release(self._state, self._router, conversation.id, operator)
        assignment_started = self._state.assignments.pop(conversation.id, None)
        if assignment_started is not None:
            self._state.handle_times.add((now - assignment_started.assigned_at).total_seconds())
        operator.points += awarded
        return released

    # --- presence ------------------------------------------------------------------------

    async def set_presence(self, operator: OperatorState, presence: Presence) -> dict[str, Any]:
        await self._state.ready(self._db)
        withdrawn: list[int] = []
        async with self._conversations.change(self._clock()) as change:
            now = change.now
            await operator_store.set_presence(change.conn, operator.id, presence.value, now=now)
            if presence != Presence.ONLINE:
                await store.withdraw_offers(change.conn, operator.id, now=now)
            change.on_commit(
                lambda: withdrawn.extend(self._presence_set(operator, presence, now))
            )
            change.emit(PresenceChanged(conversation_id=0, at=now, operator_id=operator.id,
                                        presence=presence.value))
        if presence == Presence.ONLINE:
            await self._router.drain_and_refresh([operator.id])
        elif withdrawn:
            await self._router.drain_and_refresh()
        return operator.public()

    def _presence_set(
        self, operator: OperatorState, presence: Presence, now: datetime
    ) -> list[int]:
        """The index follows the new presence; returns the offers withdrawn."""
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
        return withdrawn

    # --- helpers -------------------------------------------------------------------------

    async def _after_queue_change(
        self, entry: QueueEntry | None, freed: OperatorState | None
    ) -> None:
        """Someone left the queue or an operator has room again: drain at once, then tell
        the shoppers still waiting if their place changed materially."""
        await self._router.drain_and_refresh(
            [freed.id] if freed is not None else None,
            lanes=[entry.lane] if entry is not None else (),
        )
        if entry is not None:
            await self._conversations.publish(QueueChanged(
                conversation_id=entry.conversation_id, at=self._clock(), position=None
            ))

