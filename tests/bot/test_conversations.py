"""The conversation state machine: legal moves, recorded; illegal moves refused."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from relevo.bot.store import contacts as contact_store
from relevo.bot.store import conversations as conversation_store
from relevo.bot.store import operators as operator_store
from relevo.bot.store.db import Database
from relevo.bot.store.migrate import upgrade
from relevo.bot.types import ConversationState as S
from relevo.bot.types import IllegalTransition, OperatorKind

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
