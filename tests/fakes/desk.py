"""A scripted `OperatorDesk` for tests of the operator surfaces (Slack): the real one
is `relevo.handoff.desk.HandoffDesk`. It records every call, answers lookups from the
operators and conversations a test gives it, and refuses on cue
(`desk.refuse("claim", Refused(...))`), so each test states what the desk says."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from relevo.bot.types import (
    Assignment,
    ConversationState,
    HandoffSnapshot,
    MessageRef,
    NoteRef,
    OperatorKind,
    OperatorRef,
    Origin,
    PoolRef,
    Presence,
    QueueLine,
    RefusalKind,
    Refused,
    Surface,
)

NOW = datetime(2026, 3, 4, 10, 0, tzinfo=UTC)


def operator(operator_id: int, name: str, kind: OperatorKind = OperatorKind.INTERNAL,
             presence: Presence = Presence.ONLINE) -> OperatorRef:
    return OperatorRef(id=operator_id, name=name, label=f"{name} · {kind.value}", kind=kind,
                       presence=presence, max_concurrent=3)


@dataclass
class FakeDesk:
    operators_by_id: dict[int, OperatorRef] = field(default_factory=dict)
    slack_users: dict[str, int] = field(default_factory=dict)  # Slack user id → operator id
    snapshots: dict[int, HandoffSnapshot] = field(default_factory=dict)
    waiting: list[QueueLine] = field(default_factory=list)
    calls: list[tuple[str, tuple[Any, ...]]] = field(default_factory=list)
    _refusals: dict[str, Refused] = field(default_factory=dict)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def add(self, ref: OperatorRef, *, slack_user: str | None = None) -> OperatorRef:
        self.operators_by_id[ref.id] = ref
        if slack_user is not None:
            self.slack_users[slack_user] = ref.id
        return ref

    def refuse(self, action: str, refusal: Refused) -> None:
        """The next call of `action` is refused with `refusal`."""
        self._refusals[action] = refusal

    def called(self, action: str) -> list[tuple[Any, ...]]:
        return [args for name, args in self.calls if name == action]

    def _call(self, action: str, *args: Any) -> Refused | None:
        self.calls.append((action, args))
        return self._refusals.pop(action, None)

    # --- the OperatorDesk protocol --------------------------------------------------------

    async def find_operator(self, surface: Surface, key: str) -> OperatorRef | Refused:
        operator_id: int | None = None
        if surface == Surface.SLACK:
            operator_id = self.slack_users.get(key)
        elif surface == Surface.ID and key.isdigit():
            operator_id = int(key)
        found = self.operators_by_id.get(operator_id or 0)
        return found or Refused(RefusalKind.NOT_FOUND, f"no operator for this {surface.value}")

    async def seen(self, operator_id: int) -> None:
        self.calls.append(("seen", (operator_id,)))

    async def operators(self) -> tuple[OperatorRef, ...]:
        return tuple(self.operators_by_id[i] for i in sorted(self.operators_by_id))

    def label(self, operator_id: int | None) -> str | None:
        found = self.operators_by_id.get(operator_id or 0)
        return found.label if found is not None else None

    async def claim(self, operator_id: int, conversation_id: int) -> Assignment | Refused:
        refused = self._call("claim", operator_id, conversation_id)
        return refused or Assignment(conversation_id, ConversationState.ASSIGNED, operator_id)

    async def reply(
        self, operator_id: int, conversation_id: int, text: str, origin: Origin
    ) -> MessageRef | Refused:
        refused = self._call("reply", operator_id, conversation_id, text, origin)
        return refused or MessageRef(next(self._ids), conversation_id, None, operator_id, text,
                                     NOW)

    async def note(
        self, operator_id: int, conversation_id: int, text: str, origin: Origin | None = None
    ) -> NoteRef | Refused:
        refused = self._call("note", operator_id, conversation_id, text, origin)
        return refused or NoteRef(next(self._ids), conversation_id, operator_id, "note", text,
                                  NOW)

    async def transfer(
        self, operator_id: int, conversation_id: int, *, to_operator_id: int | None = None,
        pool: PoolRef | None = None, note: str | None = None,
    ) -> Assignment | Refused:
        refused = self._call("transfer", operator_id, conversation_id, to_operator_id, pool,
                             note)
        return refused or Assignment(conversation_id, ConversationState.ASSIGNED,
                                     to_operator_id)

    async def return_to_bot(self, operator_id: int, conversation_id: int) -> Assignment | Refused:
        refused = self._call("return_to_bot", operator_id, conversation_id)
        return refused or Assignment(conversation_id, ConversationState.BOT)

    async def resolve(self, operator_id: int, conversation_id: int) -> Assignment | Refused:
        refused = self._call("resolve", operator_id, conversation_id)
        return refused or Assignment(conversation_id, ConversationState.RESOLVED)

    async def set_presence(self, operator_id: int, presence: Presence) -> OperatorRef | Refused:
        refused = self._call("set_presence", operator_id, presence)
        if refused is not None:
            return refused
        changed = replace(self.operators_by_id[operator_id], presence=presence)
        self.operators_by_id[operator_id] = changed
        return changed

    async def snapshot(self, conversation_id: int) -> HandoffSnapshot | Refused:
        found = self.snapshots.get(conversation_id)
        if found is None:
            return Refused(RefusalKind.NOT_FOUND, f"conversation {conversation_id} does not exist")
        return found

    async def queue(self) -> tuple[QueueLine, ...]:
        return tuple(self.waiting)
