"""The handoff tier's `OperatorDesk`: the one door the console API, Slack and the CLI
use for operators — who they are, what they do, what they see.

A façade over `Handoff` (its state, `Actions` and router): it resolves the operator,
calls the action, and turns the outcome into the small frozen values of
`relevo.bot.types`. A refused action is a `Refused` value, never an exception. A reply
or note with an `Origin` already stored returns what that origin wrote first.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from relevo.bot.store import conversations as conversation_store
from relevo.bot.store import messages as message_store
from relevo.bot.store import origins
from relevo.bot.store.schema import operator_notes, operators
from relevo.bot.text import language_of
from relevo.bot.types import (
    Assignment,
    ConversationState,
    HandoffSnapshot,
    MessageRef,
    NoteRef,
    OperatorRef,
    Origin,
    PoolRef,
    Presence,
    QueueLine,
    RefusalKind,
    Refused,
    Surface,
)
from relevo.handoff import store
from relevo.handoff.actions import ActionError
from relevo.handoff.config import Pool
from relevo.handoff.operators import OperatorState, signed_name
from relevo.handoff.rules import pool_from_json
from relevo.handoff.service import Handoff

log = logging.getLogger("relevo.handoff.desk")

T = TypeVar("T")
MAX_ORIGIN_KEY = 200

# `Actions` still refuses with an `ActionError` carrying a status; this is the only
# place that reads it, until the actions return `Refused` themselves.
_KIND_OF_STATUS = {404: RefusalKind.NOT_FOUND, 409: RefusalKind.CONFLICT,
                   403: RefusalKind.FORBIDDEN, 422: RefusalKind.INVALID}


def _refused(exc: ActionError) -> Refused:
    return Refused(_KIND_OF_STATUS.get(exc.status, RefusalKind.INVALID), exc.detail)


def operator_ref(operator: OperatorState) -> OperatorRef:
    return OperatorRef(
        id=operator.id, name=operator.name, label=label_of(operator), kind=operator.kind,
        presence=operator.presence, languages=tuple(sorted(operator.languages)),
        skills=tuple(sorted(operator.skills)), load=operator.load,
        max_concurrent=operator.max_concurrent, assigned=tuple(sorted(operator.assigned)),
        offered=tuple(sorted(operator.offered)),
    )


def label_of(operator: OperatorState) -> str:
    """"Lucía · expert": the name and kind, as the shop's default language says it."""
    return signed_name(operator.name, operator.kind, None)


def _assignment(result: dict[str, Any]) -> Assignment:
    return Assignment(
        conversation_id=int(result["conversation_id"]),
        state=ConversationState(result["state"]),
        operator_id=result.get("operator_id"),
        outcome=result.get("outcome"),
        position=result.get("position"),
        points_awarded=int(result.get("points_awarded") or 0),
    )


class HandoffDesk:
    """`OperatorDesk` over a running `Handoff`."""

    def __init__(self, handoff: Handoff) -> None:
        self._handoff = handoff

    # --- who ------------------------------------------------------------------------------

    async def find_operator(self, surface: Surface, key: str) -> OperatorRef | Refused:
        found = await self._find(surface, key)
        if found is None:
            return Refused(RefusalKind.NOT_FOUND, f"no operator for this {surface.value}")
        return operator_ref(found)

    async def _find(self, surface: Surface, key: str) -> OperatorState | None:
        handoff = self._handoff
        if surface == Surface.API_TOKEN:
            return await handoff.authenticate(key, None) if key else None
        if surface == Surface.CONSOLE_SESSION:
            return await handoff.authenticate(None, key) if key else None
        if surface == Surface.ID:
            return await self._operator(int(key)) if key.isdigit() else None
        async with handoff.database.read() as conn:  # Surface.SLACK
            found = await conn.execute(
                sa.select(operators.c.id).where(operators.c.slack_user_id == key,
                                                operators.c.active == sa.true())
            )
            operator_id = found.scalar_one_or_none()
        return await self._operator(int(operator_id)) if operator_id is not None else None

    async def _operator(self, operator_id: int) -> OperatorState | None:
        known = self._handoff.state.operators.get(operator_id)
        return known if known is not None else await self._handoff.load_operator(operator_id)

    async def _acting(self, operator_id: int) -> OperatorState | Refused:
        operator = await self._operator(operator_id)
        if operator is None:
            return Refused(RefusalKind.NOT_FOUND, f"operator {operator_id} does not exist")
        return operator

    async def seen(self, operator_id: int) -> None:
        operator = await self._operator(operator_id)
        if operator is not None:
            await self._handoff.seen(operator)

    async def operators(self) -> tuple[OperatorRef, ...]:
        everyone = sorted(self._handoff.state.operators.by_id.values(), key=lambda o: o.id)
        return tuple(operator_ref(o) for o in everyone)

    def label(self, operator_id: int | None) -> str | None:
        operator = self._handoff.state.operators.get(operator_id or 0)
        return label_of(operator) if operator is not None else None

    # --- what they do --------------------------------------------------------------------

    async def _do(self, action: Awaitable[T]) -> T | Refused:
        try:
            return await action
        except ActionError as exc:
            return _refused(exc)

    async def _assign(
        self, operator_id: int,
        action: Callable[[OperatorState], Awaitable[dict[str, Any]]],
    ) -> Assignment | Refused:
        """Run an action that moves a conversation as `operator_id`, as an Assignment."""
        operator = await self._acting(operator_id)
        if isinstance(operator, Refused):
            return operator
        done = await self._do(action(operator))
        return done if isinstance(done, Refused) else _assignment(done)

    async def claim(self, operator_id: int, conversation_id: int) -> Assignment | Refused:
        return await self._assign(
            operator_id, lambda operator: self._handoff.actions.claim(operator, conversation_id)
        )

    async def reply(
        self, operator_id: int, conversation_id: int, text: str, origin: Origin
    ) -> MessageRef | Refused:
        if not origin.key or len(origin.key) > MAX_ORIGIN_KEY:
            return Refused(RefusalKind.INVALID,
                           f"the idempotency key must have 1 to {MAX_ORIGIN_KEY} characters")
        first = await self._message_of(origin)
        if first is not None:
            return first
        operator = await self._acting(operator_id)
        if isinstance(operator, Refused):
            return operator
        try:
            done = await self._do(self._handoff.actions.reply(operator, conversation_id, text,
                                                             origin=origin))
        except IntegrityError:  # the same origin, committed meanwhile by another request
            first = await self._message_of(origin)
            if first is None:
                raise
            return first
        if isinstance(done, Refused):
            return done
        return (await self._message_of(origin)) or Refused(
            RefusalKind.NOT_FOUND, f"message {done['id']} does not exist")

    async def _message_of(self, origin: Origin) -> MessageRef | None:
        async with self._handoff.database.read() as conn:
            message_id = await origins.message_with_origin(conn, origin)
            message = await message_store.get(conn, message_id) if message_id else None
        if message is None:
            return None
        return MessageRef(id=message.id, conversation_id=message.conversation_id,
                          author_name=message.author.name, operator_id=message.author.operator_id,
                          text=message.text, created_at=message.created_at)

    async def note(
        self, operator_id: int, conversation_id: int, text: str, origin: Origin | None = None
    ) -> NoteRef | Refused:
        if origin is not None:
            first = await self._note_of(origin)
            if first is not None:
                return first
        operator = await self._acting(operator_id)
        if isinstance(operator, Refused):
            return operator
        try:
            done = await self._do(self._handoff.actions.note(operator, conversation_id, text,
                                                            origin=origin))
        except IntegrityError:
            first = await self._note_of(origin) if origin is not None else None
            if first is None:
                raise
            return first
        if isinstance(done, Refused):
            return done
        return NoteRef(id=int(done["id"]), conversation_id=conversation_id,
                       operator_id=operator.id, kind=str(done["kind"]), text=str(done["text"]),
                       at=datetime.fromisoformat(str(done["at"])))

    async def _note_of(self, origin: Origin) -> NoteRef | None:
        async with self._handoff.database.read() as conn:
            note_id = await origins.note_with_origin(conn, origin)
            row = (await conn.execute(
                sa.select(operator_notes).where(operator_notes.c.id == note_id)
            )).first() if note_id is not None else None
        if row is None:
            return None
        return NoteRef(id=int(row.id), conversation_id=int(row.conversation_id),
                       operator_id=int(row.operator_id), kind=str(row.kind), text=str(row.text),
                       at=row.at)

    async def transfer(
        self,
        operator_id: int,
        conversation_id: int,
        *,
        to_operator_id: int | None = None,
        pool: PoolRef | None = None,
        note: str | None = None,
    ) -> Assignment | Refused:
        target = Pool(kinds=pool.kinds, skills=pool.skills) if pool is not None else None
        return await self._assign(operator_id, lambda operator: self._handoff.actions.transfer(
            operator, conversation_id, to_operator_id=to_operator_id, pool=target, note=note,
        ))

    async def return_to_bot(self, operator_id: int, conversation_id: int) -> Assignment | Refused:
        return await self._assign(
            operator_id,
            lambda operator: self._handoff.actions.return_to_bot(operator, conversation_id),
        )

    async def resolve(self, operator_id: int, conversation_id: int) -> Assignment | Refused:
        return await self._assign(
            operator_id, lambda operator: self._handoff.actions.resolve(operator, conversation_id)
        )

    async def set_presence(self, operator_id: int, presence: Presence) -> OperatorRef | Refused:
        operator = await self._acting(operator_id)
        if isinstance(operator, Refused):
            return operator
        done = await self._do(self._handoff.actions.set_presence(operator, presence))
        return done if isinstance(done, Refused) else operator_ref(operator)

    # --- what they see -------------------------------------------------------------------

    async def snapshot(self, conversation_id: int) -> HandoffSnapshot | Refused:
        await self._handoff.state.ready(self._handoff.database)
        async with self._handoff.database.read() as conn:
            conversation = await conversation_store.get(conn, conversation_id)
            if conversation is None:
                return Refused(RefusalKind.NOT_FOUND,
                               f"conversation {conversation_id} does not exist")
            row = await store.get_handoff(conn, conversation_id)
            last_actor = None
            if conversation.state in (ConversationState.RESOLVED, ConversationState.BOT):
                transitions = await conversation_store.transitions_of(conn, conversation_id)
                if transitions:
                    last_actor = _operator_of_actor(str(transitions[-1]["actor"]))
        queue = self._handoff.state.queue
        entry = queue.get(conversation_id)
        pools = tuple(_pool_ref(p) for p in (row.pools if row is not None else ()) if p)
        return HandoffSnapshot(
            conversation_id=conversation_id, state=conversation.state,
            channel=conversation.channel, locale=conversation.locale,
            contact_id=conversation.contact_id, language=language_of(conversation.locale),
            handoff_reason=conversation.handoff_reason,
            assigned_operator_id=conversation.assigned_operator_id,
            priority=entry.priority if entry is not None else (row.priority if row else 0),
            position=queue.position(entry) if entry is not None else None,
            offered_to=entry.offered_to if entry is not None else None,
            after_hours=bool(entry and entry.after_hours),
            pools=pools, topic=row.topic if row is not None else None,
            last_actor_operator_id=last_actor,
        )

    async def queue(self) -> tuple[QueueLine, ...]:
        await self._handoff.state.ready(self._handoff.database)
        now = self._handoff.now()
        entries = sorted(self._handoff.state.queue.entries.values(), key=lambda e: e.key)
        return tuple(
            QueueLine(conversation_id=e.conversation_id, priority=e.priority,
                      waiting_seconds=max(0, int((now - e.queued_at).total_seconds())),
                      offered_to=e.offered_to)
            for e in entries
        )


def _pool_ref(data: dict[str, Any]) -> PoolRef:
    pool = pool_from_json(data)
    return PoolRef(kinds=tuple(pool.kinds), skills=tuple(pool.skills))


def _operator_of_actor(actor: str) -> int | None:
    """`operator:12` → 12 (the actor of a transition)."""
    kind, _, ident = actor.partition(":")
    return int(ident) if kind == "operator" and ident.isdigit() else None

