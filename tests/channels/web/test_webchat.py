"""A shopper's web chat session over HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import httpx
import sqlalchemy as sa

from relevo.app import create_app
from relevo.app.settings import Settings
from relevo.bot.store.schema import messages, outbox, web_sessions
from tests.conftest import started
from tests.fakes.nlu import shop_kb, shop_nlu
from tests.settle import settle, wait_until


async def new_visitor(client: httpx.AsyncClient) -> dict[str, str]:
    response = await client.post("/webchat/sessions")
    assert response.status_code == 201
    return {"Authorization": f"Bearer {response.json()['visitor_token']}"}


async def transcript(client: httpx.AsyncClient, headers: dict[str, str]) -> list[dict[str, Any]]:
    response = await client.get("/webchat/messages", headers=headers)
    assert response.status_code == 200
    return response.json()["messages"]


async def test_bot_answers_a_product_question_in_the_shoppers_language(
    make_settings: Callable[..., Settings],
) -> None:
    app = create_app(make_settings(), nlu=shop_nlu(), knowledge_base=shop_kb())
    async with started(app) as client:
        visitor = await new_visitor(client)
        sent = await client.post(
            "/webchat/messages",
            json={"text": "¿Cuánto tarda el envío?", "locale": "es"},
            headers=visitor,
        )
        assert sent.status_code == 202
        body = sent.json()
        assert set(body) == {"conversation_id", "message_id"}
        await settle(app)
        history = await transcript(client, visitor)
    assert [m["author"]["kind"] for m in history] == ["shopper", "bot"]
    assert history[0]["id"] == body["message_id"]
    assert history[1]["text"] == "Los pedidos llegan en 2-3 días laborables."
    assert set(history[1]) == {"id", "author", "text", "created_at", "feedback"}


async def test_asking_for_a_person_queues_and_tells_the_shopper(
    make_settings: Callable[..., Settings],
) -> None:
    app = create_app(make_settings(), nlu=shop_nlu(), knowledge_base=shop_kb())
    async with started(app) as client:
        visitor = await new_visitor(client)
        sent = await client.post(
            "/webchat/messages",
            json={"text": "Quiero hablar con una persona", "locale": "es"},
            headers=visitor,
        )
        await settle(app)
        history = await transcript(client, visitor)
        async with app.state.relevo.database.read() as conn:
            state = (
                await conn.execute(sa.text("SELECT id, state, handoff_reason FROM conversations"))
            ).one()
    assert state.id == sent.json()["conversation_id"]
    assert history[-1]["author"]["kind"] == "system"
    assert "persona" in history[-1]["text"]
    assert state.state == "queued"
    assert state.handoff_reason == "the shopper asked for a person"


async def test_with_no_nlu_every_message_goes_to_a_person_in_english_by_default(
    make_settings: Callable[..., Settings],
) -> None:
    app = create_app(make_settings())
    async with started(app) as client:
        visitor = await new_visitor(client)
        await client.post("/webchat/messages", json={"text": "hello?"}, headers=visitor)
        await settle(app)
        history = await transcript(client, visitor)
    assert "person" in history[-1]["text"]


async def test_two_misses_in_a_row_hand_off(make_settings: Callable[..., Settings]) -> None:
    app = create_app(make_settings(), nlu=shop_nlu(), knowledge_base=shop_kb())
    async with started(app) as client:
        visitor = await new_visitor(client)
        for text in ("blorp", "zzzt"):
            await client.post("/webchat/messages", json={"text": text}, headers=visitor)
            await settle(app)
        history = await transcript(client, visitor)
    kinds = [m["author"]["kind"] for m in history]
    assert kinds == ["shopper", "bot", "shopper", "system"]
    assert "another way" in history[1]["text"]


async def test_out_of_scope_hands_off_at_once(make_settings: Callable[..., Settings]) -> None:
    app = create_app(make_settings(), nlu=shop_nlu(), knowledge_base=shop_kb())
    async with started(app) as client:
        visitor = await new_visitor(client)
        await client.post(
            "/webchat/messages", json={"text": "what's the weather like?"}, headers=visitor
        )
        await settle(app)
        history = await transcript(client, visitor)
    assert history[-1]["author"]["kind"] == "system"


async def test_ambiguous_question_offers_options_and_the_number_picks_one(
    make_settings: Callable[..., Settings],
) -> None:
    app = create_app(make_settings(), nlu=shop_nlu(), knowledge_base=shop_kb())
    async with started(app) as client:
        visitor = await new_visitor(client)
        await client.post("/webchat/messages", json={"text": "charger?"}, headers=visitor)
        await settle(app)
        await client.post("/webchat/messages", json={"text": "the second"}, headers=visitor)
        await settle(app)
        history = await transcript(client, visitor)
    assert history[1]["quick_replies"] == [
        {"title": "Charger compatibility", "payload": "charger_compatibility"},
        {"title": "Fast charging", "payload": "fast_charging"},
    ]
    assert "1. Charger compatibility" in history[1]["text"]
    assert "2. Fast charging" in history[1]["text"]
    assert history[3]["text"] == "Fast charging needs a 20 W adapter."


async def test_a_repeated_client_message_id_stores_nothing_new(
    make_settings: Callable[..., Settings],
) -> None:
    app = create_app(make_settings(), nlu=shop_nlu(), knowledge_base=shop_kb())
    async with started(app) as client:
        visitor = await new_visitor(client)
        payload = {"text": "shipping?", "client_message_id": "c-1"}
        first = await client.post("/webchat/messages", json=payload, headers=visitor)
        again = await client.post("/webchat/messages", json=payload, headers=visitor)
        await settle(app)
        history = await transcript(client, visitor)
    assert first.json() == again.json()
    assert [m["author"]["kind"] for m in history] == ["shopper", "bot"]


async def test_the_same_message_replayed_concurrently_is_stored_and_answered_once(
    make_settings: Callable[..., Settings],
) -> None:
    app = create_app(make_settings(), nlu=shop_nlu(), knowledge_base=shop_kb())
    async with started(app) as client:
        visitor = await new_visitor(client)
        payload = {"text": "shipping?", "client_message_id": "same"}
        responses = await asyncio.gather(
            *(client.post("/webchat/messages", json=payload, headers=visitor) for _ in range(3))
        )
        await settle(app)
        async with app.state.relevo.database.read() as conn:
            stored = (await conn.execute(sa.select(sa.func.count()).select_from(messages))).scalar()
            queued = (await conn.execute(sa.select(sa.func.count()).select_from(outbox))).scalar()
    assert {r.status_code for r in responses} == {202}
    assert len({r.text for r in responses}) == 1
    assert stored == 2  # the question and one answer
    assert queued == 1


async def test_two_visitors_choosing_the_same_client_id_do_not_collide(
    make_settings: Callable[..., Settings],
) -> None:
    app = create_app(make_settings(), nlu=shop_nlu(), knowledge_base=shop_kb())
    async with started(app) as client:
        alice, bob = await new_visitor(client), await new_visitor(client)
        payload = {"text": "shipping?", "client_message_id": "1"}
        a = await client.post("/webchat/messages", json=payload, headers=alice)
        b = await client.post("/webchat/messages", json=payload, headers=bob)
    assert a.json()["message_id"] != b.json()["message_id"]


async def test_a_visitor_cannot_read_another_visitors_conversation(
    make_settings: Callable[..., Settings],
) -> None:
    app = create_app(make_settings(), nlu=shop_nlu(), knowledge_base=shop_kb())
    async with started(app) as client:
        alice, bob = await new_visitor(client), await new_visitor(client)
        await client.post("/webchat/messages", json={"text": "my secret order"}, headers=alice)
        await settle(app)
        seen_by_bob = await transcript(client, bob)
        seen_by_alice = await transcript(client, alice)
    assert seen_by_bob == []
    assert seen_by_alice[0]["text"] == "my secret order"


async def test_poll_after_returns_only_newer_messages(
    make_settings: Callable[..., Settings],
) -> None:
    app = create_app(make_settings(), nlu=shop_nlu(), knowledge_base=shop_kb())
    async with started(app) as client:
        visitor = await new_visitor(client)
        sent = await client.post("/webchat/messages", json={"text": "shipping"}, headers=visitor)
        await settle(app)
        after = sent.json()["message_id"]
        response = await client.get(f"/webchat/messages?after={after}", headers=visitor)
    newer = response.json()["messages"]
    assert [m["author"]["kind"] for m in newer] == ["bot"]
    assert all(m["id"] > after for m in newer)


async def test_bad_input_gets_a_reason_and_stores_nothing(
    make_settings: Callable[..., Settings],
) -> None:
    app = create_app(make_settings(webchat={"max_text_length": 20}))
    async with started(app) as client:
        visitor = await new_visitor(client)
        json_headers = {**visitor, "Content-Type": "application/json"}
        cases = [
            (await client.post("/webchat/messages", content=b"{not json", headers=json_headers)),
            (await client.post("/webchat/messages", json={}, headers=visitor)),
            (await client.post("/webchat/messages", json={"text": "   \n"}, headers=visitor)),
            (await client.post("/webchat/messages", json={"text": "x" * 21}, headers=visitor)),
            (await client.post("/webchat/messages", json={"text": 5}, headers=visitor)),
            (await client.post("/webchat/messages", json={"text": "hi"})),
            (
                await client.post(
                    "/webchat/messages",
                    json={"text": "hi"},
                    headers={"Authorization": "Bearer forged"},
                )
            ),
            (await client.get("/webchat/messages?after=-1", headers=visitor)),
            (await client.get("/webchat/messages?after=abc", headers=visitor)),
        ]
        health = await client.get("/healthz")
        history = await transcript(client, visitor)
    statuses = [r.status_code for r in cases]
    assert statuses == [400, 422, 422, 422, 422, 401, 401, 422, 422]
    reasons = [r.json()["detail"] for r in cases]
    assert all(isinstance(reason, str) and reason for reason in reasons)
    assert "empty" in reasons[2]
    assert "20 characters" in reasons[3]
    assert "expired" in reasons[6]
    assert history == []
    assert health.status_code == 200


async def test_an_expired_visitor_token_is_refused(
    make_settings: Callable[..., Settings],
) -> None:
    """The same app that served the token (and cached its session) refuses it once the
    session's time is up: the cache honours the expiry."""
    app = create_app(make_settings(webchat={"session_ttl_seconds": 2}))
    async with started(app) as client:
        visitor = await new_visitor(client)
        fresh = await client.get("/webchat/messages", headers=visitor)

        async def refused() -> httpx.Response | None:
            response = await client.get("/webchat/messages", headers=visitor)
            return response if response.status_code == 401 else None

        response = await wait_until(refused, "the cached visitor session to expire")
    assert fresh.status_code == 200
    assert response.status_code == 401
    assert "expired" in response.json()["detail"]


async def test_a_session_expired_in_the_database_is_refused(
    make_settings: Callable[..., Settings],
) -> None:
    app = create_app(make_settings(webchat={"session_ttl_seconds": 1}))
    async with started(app) as client:
        visitor = await new_visitor(client)
        async with app.state.relevo.database.write() as conn:
            await conn.execute(
                sa.update(web_sessions).values(expires_at=datetime(2000, 1, 1, tzinfo=UTC))
            )
        fresh_app_view = create_app(make_settings())
        async with started(fresh_app_view) as other_client:
            response = await other_client.get("/webchat/messages", headers=visitor)
    assert response.status_code == 401
    assert "expired" in response.json()["detail"]


async def test_a_new_message_after_resolution_opens_a_new_conversation(
    make_settings: Callable[..., Settings],
) -> None:
    app = create_app(make_settings(), nlu=shop_nlu(), knowledge_base=shop_kb())
    async with started(app) as client:
        visitor = await new_visitor(client)
        first = await client.post("/webchat/messages", json={"text": "human"}, headers=visitor)
        await settle(app)
        async with app.state.relevo.database.write() as conn:
            await conn.execute(sa.text("UPDATE conversations SET state = 'resolved'"))
        second = await client.post("/webchat/messages", json={"text": "shipping"}, headers=visitor)
        await settle(app)
        history = await transcript(client, visitor)
    assert first.json()["conversation_id"] != second.json()["conversation_id"]
    assert len(history) == 4  # the earlier conversation stays visible to the shopper


async def test_metrics_count_messages_and_the_outbox_backlog(
    make_settings: Callable[..., Settings],
) -> None:
    app = create_app(make_settings(), nlu=shop_nlu(), knowledge_base=shop_kb())
    async with started(app) as client:
        visitor = await new_visitor(client)
        await client.post("/webchat/messages", json={"text": "shipping"}, headers=visitor)
        await settle(app)
        text = (await client.get("/metrics")).text
    assert 'relevo_messages_in_total{channel="web"} 1' in text
    assert 'relevo_messages_out_total{channel="web"} 1' in text
    assert "relevo_outbox_backlog 0" in text
    assert "relevo_delivery_failures_total 0" in text


async def test_messages_sent_in_a_burst_are_handled_in_order(
    make_settings: Callable[..., Settings],
) -> None:
    """The second message depends on what the bot did with the first (the options it
    offered): it must be decided after it, with what the first left behind."""
    app = create_app(make_settings(), nlu=shop_nlu(), knowledge_base=shop_kb())
    async with started(app) as client:
        visitor = await new_visitor(client)
        for text in ("charger?", "the second", "shipping?"):
            await client.post("/webchat/messages", json={"text": text}, headers=visitor)
        await settle(app)
        history = await transcript(client, visitor)
    answers = [m["text"] for m in history if m["author"]["kind"] == "bot"]
    assert len(answers) == 3
    assert "1. Charger compatibility" in answers[0]
    assert answers[1:] == [
        "Fast charging needs a 20 W adapter.",
        "Orders arrive in 2-3 working days.",
    ]
