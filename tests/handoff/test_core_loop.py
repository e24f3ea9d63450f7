"""A shopper asks for a person; an operator claims, replies (signed), resolves; CSAT."""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa

from relevo.app.settings import Settings
from relevo.bot import replies
from relevo.bot.store.schema import csat_responses, routing_decisions
from tests.conftest import started
from tests.handoff.helpers import (
    add_operator,
    build_app,
    go_online,
    new_shopper,
    say,
    service,
    settle,
    transcript,
)


async def test_shopper_to_operator_and_back_with_csat(
    make_settings: Callable[..., Settings],
) -> None:
    app = build_app(make_settings)
    async with started(app) as client:
        lucia = await add_operator(app, "Lucía", "expert", skills=("product",))
        await go_online(client, lucia)
        shopper = await new_shopper(client, "es")
        await say(app, client, shopper, "¿Cuánto tarda el envío?", "es")
        conversation_id = await say(app, client, shopper, "Quiero hablar con una persona", "es")

        queued = await client.get("/api/conversations?state=queued", headers=lucia.headers)
        assert [c["id"] for c in queued.json()["conversations"]] == [conversation_id]
        assert queued.json()["conversations"][0]["offered_to_me"] is True

        claimed = await client.post(f"/api/conversations/{conversation_id}/claim",
                                    headers=lucia.headers)
        assert claimed.status_code == 200, claimed.text
        again = await client.post(f"/api/conversations/{conversation_id}/claim",
                                  headers=lucia.headers)
        assert again.status_code == 409

        sent = await client.post(f"/api/conversations/{conversation_id}/messages",
                                 json={"text": "¡Hola! Te ayudo yo."}, headers=lucia.headers)
        assert sent.status_code == 201, sent.text
        await settle(app)
        history = await transcript(client, shopper)
        signed = [m for m in history if m["author"]["kind"] == "operator"]
        assert signed[-1]["author"]["name"] == "Lucía · especialista"
        assert signed[-1]["text"] == "¡Hola! Te ayudo yo."

        detail = await client.get(f"/api/conversations/{conversation_id}",
                                  headers=lucia.headers)
        body = detail.json()
        assert body["conversation"]["topic"] == "product"
        assert body["routing"][0]["hits"]
        assert any(m["meta"] and m["meta"].get("intent") == "shipping_times"
                   for m in body["messages"])

        resolved = await client.post(f"/api/conversations/{conversation_id}/resolve",
                                     headers=lucia.headers)
        assert resolved.status_code == 200, resolved.text
        assert resolved.json()["points_awarded"] == 10
        await settle(app)
        history = await transcript(client, shopper)
        assert history[-1]["text"] == replies.text("csat_question", "es").format(
            name="Lucía · especialista")

        await say(app, client, shopper, "5", "es")
        history = await transcript(client, shopper)
        assert history[-1]["text"].startswith("¡Gracias por tu valoración")
        async with service(app).database.read() as conn:
            rating = (await conn.execute(sa.select(csat_responses))).one()
            decisions = (await conn.execute(sa.select(routing_decisions))).all()
        assert (rating.score, rating.operator_id, rating.operator_kind) == (5, lucia.id, "expert")
        assert decisions[0].outcome == "offered"
        me = await client.get("/api/operators/me", headers=lucia.headers)
        assert me.json()["operator"]["points"] == 15
