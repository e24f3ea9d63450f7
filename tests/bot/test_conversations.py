"""The conversation state machine (legal moves, recorded; illegal moves refused) and
its one owner, bot/conversations.py (events after the commit, nothing on rollback)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from relevo.bot.bus import InProcessBus
from relevo.bot.conversations import Conversations
from relevo.bot.store import contacts as contact_store
from relevo.bot.store import conversations as conversation_store
from relevo.bot.store import messages as message_store
from relevo.bot.store import operators as operator_store
from relevo.bot.store import outbox as outbox_store
from relevo.bot.store.db import Database
from relevo.bot.store.migrate import upgrade
from relevo.bot.types import (
    ConversationAssigned,
    ConversationQueued,
    ConversationResolved,
    ConversationReturnedToBot,
    Event,
    IllegalTransition,
    MessageStored,
    OperatorKind,
    Origin,
)
from relevo.bot.types import ConversationState as S

NOW = datetime(2026, 11, 24, 22, 0, tzinfo=UTC)


@pytest.fixture
async def database(database_url: str) -> AsyncIterator[Database]:
    db = Database(database_url)
    await upgrade(db)
    yield db
    await db.close()


async def open_conversation(database: Database, user: str = "u1") -> int:
    async with database.write() as conn:
        identity = await contact_store.resolve_identity(conn, "web", user, now=NOW)
        conversation, created = await conversation_store.open_for_contact(
            conn, identity.contact_id, channel="web", locale="en", now=NOW
        )
    assert created
    return conversation.id


async def add_operators(database: Database, count: int) -> list[int]:
    ids = []
    async with database.write() as conn:
        for i in range(count):
            row, _ = await operator_store.add(
                conn, name=f"Op {i}", kind=OperatorKind.INTERNAL, email=None,
                languages=["en"], skills=[], max_concurrent=3, now=NOW,
            )
            ids.append(row.id)
    return ids


async def test_the_full_path_is_recorded_with_actor_and_reason(database: Database) -> None:
    conversation_id = await open_conversation(database)
    [operator_id] = await add_operators(database, 1)
    path = [
        (S.QUEUED, "bot", "the shopper asked for a person"),
        (S.ASSIGNED, "operator:7", "claimed"),
        (S.BOT, "operator:7", "returned to the bot"),
        (S.QUEUED, "bot", "out of scope"),
        (S.ASSIGNED, "operator:8", "claimed"),
        (S.RESOLVED, "operator:8", "resolved"),
    ]
    for to_state, actor, reason in path:
        async with database.write() as conn:
            await conversation_store.transition(
                conn, conversation_id, to_state, actor=actor, reason=reason, now=NOW,
                operator_id=operator_id,
            )
    async with database.read() as conn:
        log = await conversation_store.transitions_of(conn, conversation_id)
    assert [(r["from_state"], r["to_state"], r["actor"], r["reason"]) for r in log] == [
        ("bot", "queued", "bot", "the shopper asked for a person"),
        ("queued", "assigned", "operator:7", "claimed"),
        ("assigned", "bot", "operator:7", "returned to the bot"),
        ("bot", "queued", "bot", "out of scope"),
        ("queued", "assigned", "operator:8", "claimed"),
        ("assigned", "resolved", "operator:8", "resolved"),
    ]
    assert all(r["at"] == NOW for r in log)


@pytest.mark.parametrize(
    ("path", "illegal"),
    [
        ([], S.ASSIGNED),  # bot -> assigned skips the queue
        ([S.QUEUED, S.ASSIGNED, S.RESOLVED], S.BOT),  # resolved is final
        ([S.QUEUED, S.ASSIGNED, S.RESOLVED], S.QUEUED),
        ([S.QUEUED], S.QUEUED),
    ],
)
async def test_illegal_transitions_raise_and_change_nothing(
    database: Database, path: list[S], illegal: S
) -> None:
    conversation_id = await open_conversation(database)
    for to_state in path:
        async with database.write() as conn:
            await conversation_store.transition(
                conn, conversation_id, to_state, actor="t", reason="t", now=NOW
            )
    with pytest.raises(IllegalTransition):
        async with database.write() as conn:
            await conversation_store.transition(
                conn, conversation_id, illegal, actor="t", reason="t", now=NOW
            )
    async with database.read() as conn:
        conversation = await conversation_store.get(conn, conversation_id)
        log = await conversation_store.transitions_of(conn, conversation_id)
    assert conversation is not None
    assert conversation.state == (path[-1] if path else S.BOT)
    assert len(log) == len(path)


async def test_of_two_concurrent_claims_exactly_one_wins(database: Database) -> None:
    conversation_id = await open_conversation(database)
    async with database.write() as conn:
        await conversation_store.transition(
            conn, conversation_id, S.QUEUED, actor="bot", reason="handoff", now=NOW
        )

    async def claim(operator_id: int) -> bool:
        try:
            async with database.write() as conn:
                await conversation_store.transition(
                    conn, conversation_id, S.ASSIGNED, actor=f"operator:{operator_id}",
                    reason="claimed", now=NOW, expected_from=S.QUEUED, operator_id=operator_id,
                )
        except IllegalTransition:
            return False
        return True

    first, second = await add_operators(database, 2)
    results = await asyncio.gather(claim(first), claim(second))
    assert sorted(results) == [False, True]


async def test_one_open_conversation_per_contact_even_under_concurrency(
    database: Database,
) -> None:
    async with database.write() as conn:
        identity = await contact_store.resolve_identity(conn, "web", "u1", now=NOW)

    async def open_one() -> int:
        async with database.write() as conn:
            conversation, _ = await conversation_store.open_for_contact(
                conn, identity.contact_id, channel="web", locale="en", now=NOW
            )
            return conversation.id

    ids = await asyncio.gather(*(open_one() for _ in range(5)))
    assert len(set(ids)) == 1


# --- the owner: bot/conversations.py ---------------------------------------------------


class Heard:
    """The bus as a subscriber sees it, and how often the outbox was woken."""

    def __init__(self) -> None:
        self.bus = InProcessBus()
        self.events: list[Event] = []
        self.wakes = 0
        self.bus.subscribe(self._on, name="test")

    async def _on(self, event: Event) -> None:
        self.events.append(event)

    def wake(self) -> None:
        self.wakes += 1


@pytest.fixture
async def heard() -> AsyncIterator[Heard]:
    listener = Heard()
    yield listener
    await listener.bus.close()


async def shopper(database: Database) -> tuple[int, int]:
    conversation_id = await open_conversation(database)
    async with database.read() as conn:
        conversation = await conversation_store.get(conn, conversation_id)
    assert conversation is not None
    return conversation.id, conversation.contact_id


async def test_a_change_publishes_its_events_in_order_after_the_commit_and_wakes_the_outbox(
    database: Database, heard: Heard
) -> None:
    conversation_id, contact_id = await shopper(database)
    owner = Conversations(database, heard.bus, wake=heard.wake, clock=lambda: NOW)
    committed: list[bool] = []
    async with owner.change() as change:
        queued = await change.transition(conversation_id, S.QUEUED, actor="bot",
                                         reason="the shopper asked for a person")
        told = await change.tell_shopper(conversation_id=conversation_id,
                                         contact_id=contact_id, channel="web",
                                         text="A person will answer you.", locale="en")
        change.on_commit(lambda: committed.append(True))
        await heard.bus.drain()
        assert heard.events == [] and heard.wakes == 0 and committed == []
    await heard.bus.drain()
    assert isinstance(queued, ConversationQueued)
    assert (queued.from_state, queued.to_state, queued.at) == (S.BOT, S.QUEUED, NOW)
    assert told is not None and told.event is not None
    assert heard.events == [queued, told.event]
    assert told.event.message_id == told.message_id
    assert heard.wakes == 1 and committed == [True]
    async with database.read() as conn:
        stored = await message_store.get(conn, told.message_id)
        pending = await outbox_store.backlog(conn)
    assert stored is not None and stored.text == "A person will answer you."
    assert pending == 1


async def test_a_rolled_back_change_stores_publishes_and_wakes_nothing(
    database: Database, heard: Heard
) -> None:
    conversation_id, contact_id = await shopper(database)
    owner = Conversations(database, heard.bus, wake=heard.wake, clock=lambda: NOW)
    committed: list[bool] = []
    with pytest.raises(RuntimeError):
        async with owner.change() as change:
            await change.transition(conversation_id, S.QUEUED, actor="bot", reason="handoff")
            await change.tell_shopper(conversation_id=conversation_id, contact_id=contact_id,
                                      channel="web", text="never sent", locale="en")
            change.on_commit(lambda: committed.append(True))
            raise RuntimeError("the caller failed after writing")
    await heard.bus.drain()
    assert heard.events == [] and heard.wakes == 0 and committed == []
    async with database.read() as conn:
        conversation = await conversation_store.get(conn, conversation_id)
        log = await conversation_store.transitions_of(conn, conversation_id)
        pending = await outbox_store.backlog(conn)
    assert conversation is not None and conversation.state == S.BOT
    assert log == [] and pending == 0


@pytest.mark.parametrize(
    ("to_state", "event_type"),
    [(S.ASSIGNED, ConversationAssigned), (S.RESOLVED, ConversationResolved),
     (S.BOT, ConversationReturnedToBot), (S.QUEUED, ConversationQueued)],
)
async def test_each_transition_returns_the_event_of_its_kind(
    database: Database, heard: Heard, to_state: S, event_type: type
) -> None:
    conversation_id, _ = await shopper(database)
    [operator_id] = await add_operators(database, 1)
    owner = Conversations(database, heard.bus, wake=heard.wake, clock=lambda: NOW)
    async with owner.change() as change:
        await change.transition(conversation_id, S.QUEUED, actor="bot", reason="handoff")
    if to_state != S.QUEUED:
        async with owner.change() as change:
            event = await change.transition(conversation_id, to_state, actor="operator:1",
                                            reason="why", operator_id=operator_id)
    else:
        async with owner.change() as change:
            await change.transition(conversation_id, S.ASSIGNED, actor="operator:1",
                                    reason="claimed", operator_id=operator_id)
        async with owner.change() as change:
            event = await change.transition(conversation_id, S.QUEUED, actor="sla",
                                            reason="why")
    assert type(event) is event_type
    assert event.to_state == to_state and event.reason == "why"
    if isinstance(event, ConversationAssigned):
        assert event.operator_id == operator_id


async def test_a_reply_told_twice_with_the_same_origin_is_stored_and_announced_once(
    database: Database, heard: Heard
) -> None:
    conversation_id, contact_id = await shopper(database)
    owner = Conversations(database, heard.bus, wake=heard.wake, clock=lambda: NOW)
    told = []
    for _ in range(2):
        async with owner.change() as change:
            told.append(await change.tell_shopper(
                conversation_id=conversation_id, contact_id=contact_id, channel="web",
                text="On its way!", locale="en", origin=Origin("slack", "C1:1712.0001"),
            ))
    await heard.bus.drain()
    first, second = told
    assert first is not None and second is not None
    assert not first.duplicate and second.duplicate
    assert second.message_id == first.message_id
    assert [type(e) for e in heard.events] == [MessageStored] and heard.wakes == 1
    async with database.read() as conn:
        assert await outbox_store.backlog(conn) == 1
        assert len(await message_store.for_conversation(conn, conversation_id)) == 1


async def test_no_address_on_the_channel_stores_nothing(database: Database, heard: Heard) -> None:
    conversation_id, contact_id = await shopper(database)
    owner = Conversations(database, heard.bus, wake=heard.wake, clock=lambda: NOW)
    async with owner.change() as change:
        told = await change.tell_shopper(conversation_id=conversation_id, contact_id=contact_id,
                                         channel="telegram", text="hello", locale="en")
    await heard.bus.drain()
    assert told is None and heard.events == [] and heard.wakes == 0
