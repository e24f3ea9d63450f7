"""The handoff tier's `OperatorDesk`: refusals are values of the four kinds and change
nothing; a reply or note with an origin already stored returns the first one and
stores nothing new (sequential and concurrent); the snapshot and the queue read the
handoff state. On SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import sqlalchemy as sa
from fastapi import FastAPI

from relevo.app.settings import Settings
from relevo.bot.store.schema import messages, operator_notes, outbox
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
    RefusalKind,
    Refused,
    Surface,
)
from relevo.handoff.desk import HandoffDesk
from tests.conftest import started
from tests.handoff.helpers import add_operator, build_app, new_shopper, say, service


def desk_of(app: FastAPI) -> HandoffDesk:
    desk: HandoffDesk = app.state.relevo.desk
    return desk


async def operator_messages(app: FastAPI, conversation_id: int) -> list[str]:
    async with service(app).database.read() as conn:
        rows = await conn.execute(
            sa.select(messages.c.text).where(messages.c.conversation_id == conversation_id,
                                            messages.c.author_kind == "operator")
            .order_by(messages.c.id))
        return [r.text for r in rows]


async def test_each_refusal_is_a_value_of_its_kind_and_changes_nothing(
    make_settings: Callable[..., Settings],
) -> None:
    app = build_app(make_settings)
    async with started(app) as client:
        ana = await add_operator(app, "Ana")
        ben = await add_operator(app, "Ben")
        desk = desk_of(app)
        cid = await say(app, client, await new_shopper(client), "I want a person")
        refusals = {
            "unknown conversation": await desk.claim(ana.id, 999_999),
            "unknown operator": await desk.claim(999_999, cid),
            "not yours": await desk.reply(ana.id, cid, "Hi", Origin("console", "r1")),
            "empty text": await desk.note(ana.id, cid, "   "),
            "two targets": await desk.transfer(ana.id, cid, to_operator_id=ben.id,
                                               pool=PoolRef(kinds=(OperatorKind.EXPERT,))),
        }
        assert isinstance(await desk.claim(ben.id, cid), Assignment)
        refusals["claimed by another"] = await desk.claim(ana.id, cid)
        state = await desk.snapshot(cid)
    kinds = {name: r.kind if isinstance(r, Refused) else r for name, r in refusals.items()}
    assert kinds == {
        "unknown conversation": RefusalKind.NOT_FOUND,
        "unknown operator": RefusalKind.NOT_FOUND,
        "not yours": RefusalKind.FORBIDDEN,
        "empty text": RefusalKind.INVALID,
        "two targets": RefusalKind.INVALID,
        "claimed by another": RefusalKind.CONFLICT,
    }
    assert refusals["claimed by another"] == Refused(
        RefusalKind.CONFLICT, f"conversation {cid} was already claimed by Ben")
    assert isinstance(state, HandoffSnapshot)
    assert (state.state, state.assigned_operator_id) == (ConversationState.ASSIGNED, ben.id)
    assert await operator_messages(app, cid) == []


async def test_the_same_origin_twice_is_one_message(
    make_settings: Callable[..., Settings],
) -> None:
    app = build_app(make_settings)
    async with started(app) as client:
        ana = await add_operator(app, "Ana", OperatorKind.EXPERT)
        desk = desk_of(app)
        cid = await say(app, client, await new_shopper(client), "I want a person")
        await desk.claim(ana.id, cid)
        origin = Origin("slack", "C0SUPPORT01:1764000500.000200")
        first = await desk.reply(ana.id, cid, "On it", origin)
        again = await desk.reply(ana.id, cid, "On it (edited)", origin)
        racing = await asyncio.gather(*(
            desk.reply(ana.id, cid, "Both at once", Origin("console", "retry-7"))
            for _ in range(2)
        ))
        other = await desk.reply(ana.id, cid, "Another", Origin("console", "retry-8"))
        async with service(app).database.read() as conn:
            queued = (await conn.execute(
                sa.select(sa.func.count()).select_from(outbox)
                .join(messages, messages.c.id == outbox.c.message_id)
                .where(messages.c.author_kind == "operator"))).scalar_one()
        texts = await operator_messages(app, cid)
    assert isinstance(first, MessageRef) and isinstance(again, MessageRef)
    assert again == first
    assert (first.text, first.author_name, first.operator_id) == ("On it", "Ana · expert",
                                                                   ana.id)
    assert racing[0] == racing[1]
    assert isinstance(other, MessageRef) and other.id != first.id
    assert texts == ["On it", "Both at once", "Another"]
    assert queued == 3


async def test_the_same_origin_twice_is_one_note(make_settings: Callable[..., Settings]) -> None:
    app = build_app(make_settings)
    async with started(app) as client:
        ana = await add_operator(app, "Ana")
        desk = desk_of(app)
        cid = await say(app, client, await new_shopper(client), "I want a person")
        origin = Origin("slack", "C0SUPPORT01:1.2")
        notes = [await desk.note(ana.id, cid, "VIP", origin) for _ in range(2)]
        async with service(app).database.read() as conn:
            stored = (await conn.execute(sa.select(operator_notes.c.text))).all()
    assert isinstance(notes[0], NoteRef) and notes[0] == notes[1]
    assert [r.text for r in stored] == ["VIP"]


async def test_operators_are_found_by_surface_and_see_the_queue(
    make_settings: Callable[..., Settings],
) -> None:
    app = build_app(make_settings)
    async with started(app) as client:
        ana = await add_operator(app, "Ana", OperatorKind.EXPERT)
        desk = desk_of(app)
        by_token = await desk.find_operator(Surface.API_TOKEN, ana.token)
        by_id = await desk.find_operator(Surface.ID, str(ana.id))
        nobody = await desk.find_operator(Surface.SLACK, "U0NOBODY001")
        cid = await say(app, client, await new_shopper(client), "I want a person")
        queue = await desk.queue()
        online = await desk.set_presence(ana.id, Presence.ONLINE)
        label = desk.label(ana.id)
    assert isinstance(by_token, OperatorRef) and by_token == by_id
    assert (by_token.name, by_token.kind, by_token.presence) == (
        "Ana", OperatorKind.EXPERT, Presence.OFFLINE)
    assert nobody == Refused(RefusalKind.NOT_FOUND, "no operator for this slack")
    assert [line.conversation_id for line in queue] == [cid]
    assert isinstance(online, OperatorRef) and online.presence == Presence.ONLINE
    assert label == "Ana · expert"


async def test_a_console_retry_with_the_same_idempotency_key_sends_one_message(
    make_settings: Callable[..., Settings],
) -> None:
    app = build_app(make_settings)
    async with started(app) as client:
        ana = await add_operator(app, "Ana")
        cid = await say(app, client, await new_shopper(client), "I want a person")
        await client.post(f"/api/conversations/{cid}/claim", headers=ana.headers)
        headers = {**ana.headers, "Idempotency-Key": "0b6c-retry"}
        answers = [await client.post(f"/api/conversations/{cid}/messages",
                                     json={"text": "Hello"}, headers=headers) for _ in range(2)]
        plain = await client.post(f"/api/conversations/{cid}/messages", json={"text": "Hello"},
                                  headers=ana.headers)
        texts = await operator_messages(app, cid)
    assert [a.status_code for a in answers] == [201, 201]
    assert answers[0].json() == answers[1].json()
    assert plain.json()["message"]["id"] != answers[0].json()["message"]["id"]
    assert texts == ["Hello", "Hello"]
