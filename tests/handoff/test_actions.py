"""Operator actions: atomic claims, replies only to one's own conversations, transfers,
return to the bot, and clear refusals that change nothing."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import sqlalchemy as sa

from relevo.app.settings import Settings
from relevo.bot.store.schema import conversation_transitions, messages, operator_notes
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


async def test_ten_concurrent_claims_have_exactly_one_winner(
    make_settings: Callable[..., Settings],
) -> None:
    app = build_app(make_settings)
    async with started(app) as client:
        operators = [await add_operator(app, f"Op {i}") for i in range(10)]
        shopper = await new_shopper(client)
        cid = await say(app, client, shopper, "I want a person")  # nobody online: waits
        responses = await asyncio.gather(*(
            client.post(f"/api/conversations/{cid}/claim", headers=op.headers)
            for op in operators
        ))
        statuses = sorted(r.status_code for r in responses)
        winner = next(op for op, r in zip(operators, responses, strict=True)
                      if r.status_code == 200)
        loser_reasons = {r.json()["detail"] for r in responses if r.status_code == 409}
        async with service(app).database.read() as conn:
            claims = (await conn.execute(
                sa.select(sa.func.count()).select_from(conversation_transitions).where(
                    conversation_transitions.c.to_state == "assigned")
            )).scalar_one()
        loads = {op.id: service(app).state.operators.get(op.id).load  # type: ignore[union-attr]
                 for op in operators}
    assert statuses == [200] + [409] * 9
    assert claims == 1
    assert all("already claimed by" in reason for reason in loser_reasons)
    assert loads == {op.id: int(op.id == winner.id) for op in operators}


async def test_refusals_are_clear_and_change_nothing(
    make_settings: Callable[..., Settings],
) -> None:
    app = build_app(make_settings)
    async with started(app) as client:
        ana = await add_operator(app, "Ana")
        bob = await add_operator(app, "Bob", "expert", skills=("product",))
        await go_online(client, ana)
        shopper = await new_shopper(client)
        cid = await say(app, client, shopper, "I want a person")
        assert (await client.post(f"/api/conversations/{cid}/claim",
                                  headers=ana.headers)).status_code == 200
        await settle(app)
        before = await transcript(client, shopper)
        cases = {
            "reply not yours": await client.post(
                f"/api/conversations/{cid}/messages", json={"text": "hi"}, headers=bob.headers),
            "claim claimed": await client.post(f"/api/conversations/{cid}/claim",
                                               headers=bob.headers),
            "resolve not yours": await client.post(f"/api/conversations/{cid}/resolve",
                                                   headers=bob.headers),
            "empty reply": await client.post(
                f"/api/conversations/{cid}/messages", json={"text": "  "}, headers=ana.headers),
            "unknown operator": await client.post(
                f"/api/conversations/{cid}/transfer", json={"operator_id": 999},
                headers=ana.headers),
            "empty pool": await client.post(
                f"/api/conversations/{cid}/transfer",
                json={"pool": {"kinds": ["ambassador"]}}, headers=ana.headers),
            "bad pool": await client.post(
                f"/api/conversations/{cid}/transfer",
                json={"pool": {"kinds": ["robot"]}}, headers=ana.headers),
            "both targets": await client.post(
                f"/api/conversations/{cid}/transfer",
                json={"operator_id": bob.id, "pool": {"kinds": ["expert"]}}, headers=ana.headers),
            "offline target": await client.post(
                f"/api/conversations/{cid}/transfer", json={"operator_id": bob.id},
                headers=ana.headers),
            "unknown conversation": await client.post("/api/conversations/999/claim",
                                                      headers=ana.headers),
            "no token": await client.post(f"/api/conversations/{cid}/claim"),
            "bad token": await client.post(f"/api/conversations/{cid}/claim",
                                           headers={"Authorization": "Bearer nope"}),
            "bad presence": await client.post("/api/operators/me/presence",
                                              json={"status": "asleep"}, headers=ana.headers),
        }
        assert (await client.post(f"/api/conversations/{cid}/resolve",
                                  headers=ana.headers)).status_code == 200
        cases["claim resolved"] = await client.post(f"/api/conversations/{cid}/claim",
                                                    headers=ana.headers)
        # Resolved by someone else: out of Bob's reach, as if it did not exist.
        cases["claim resolved by another"] = await client.post(
            f"/api/conversations/{cid}/claim", headers=bob.headers)
        cases["reply resolved"] = await client.post(
            f"/api/conversations/{cid}/messages", json={"text": "hi"}, headers=ana.headers)
        await settle(app)
        after = await transcript(client, shopper)
    statuses = {name: r.status_code for name, r in cases.items()}
    assert statuses == {
        "reply not yours": 403, "claim claimed": 409, "resolve not yours": 403,
        "empty reply": 422, "unknown operator": 404, "empty pool": 422, "bad pool": 422,
        "both targets": 422, "offline target": 409, "unknown conversation": 404,
        "no token": 401, "bad token": 401, "bad presence": 422, "claim resolved": 409,
        "claim resolved by another": 404, "reply resolved": 409,
    }
    for response in cases.values():
        assert isinstance(response.json()["detail"], str) and response.json()["detail"]
    assert "claimed by Ana" in cases["claim claimed"].json()["detail"]
    assert "resolved" in cases["claim resolved"].json()["detail"]
    # The same words as for an id never used: the 404 does not tell that it exists.
    assert cases["claim resolved by another"].json() == {
        "detail": f"conversation {cid} does not exist"}
    assert cases["unknown conversation"].json() == {"detail": "conversation 999 does not exist"}
    assert "ambassador" in cases["empty pool"].json()["detail"]
    # Only the CSAT question was added, by the resolve.
    assert len(after) == len(before) + 1


async def test_transfer_to_an_operator_and_to_a_pool_with_notes(
    make_settings: Callable[..., Settings],
) -> None:
    app = build_app(make_settings)
    async with started(app) as client:
        ana = await add_operator(app, "Ana")
        bea = await add_operator(app, "Bea")
        carl = await add_operator(app, "Carl", "outsourced")
        for op in (ana, bea, carl):
            await go_online(client, op)
        shopper = await new_shopper(client)
        cid = await say(app, client, shopper, "I want a person")
        offered_to = service(app).state.queue.get(cid).offered_to  # type: ignore[union-attr]
        first = ana if offered_to == ana.id else bea
        second = bea if first is ana else ana
        await client.post(f"/api/conversations/{cid}/claim", headers=first.headers)
        direct = await client.post(f"/api/conversations/{cid}/transfer",
                                   json={"operator_id": second.id, "note": "VIP, be nice"},
                                   headers=first.headers)
        assert direct.status_code == 200, direct.text
        assert direct.json()["operator_id"] == second.id
        to_pool = await client.post(f"/api/conversations/{cid}/transfer",
                                    json={"pool": {"kinds": ["outsourced"]}, "note": "billing"},
                                    headers=second.headers)
        assert to_pool.status_code == 200, to_pool.text
        assert to_pool.json()["operator_id"] == carl.id
        # Notes are for the conversation's operator: Carl takes it first.
        claimed = await client.post(f"/api/conversations/{cid}/claim", headers=carl.headers)
        assert claimed.status_code == 200, claimed.text
        note = await client.post(f"/api/conversations/{cid}/notes", json={"text": "private"},
                                 headers=carl.headers)
        assert note.status_code == 201
        await settle(app)
        history = await transcript(client, shopper)
        async with service(app).database.read() as conn:
            notes = (await conn.execute(sa.select(operator_notes.c.text))).scalars().all()
            private = (await conn.execute(
                sa.select(sa.func.count()).select_from(messages).where(
                    messages.c.text.contains("private"))
            )).scalar_one()
        detail = (await client.get(f"/api/conversations/{cid}", headers=carl.headers)).json()
    assert any("Bea" in m["text"] or "Ana" in m["text"] for m in history
               if m["author"]["kind"] == "system")
    assert notes[0].endswith("VIP, be nice") and notes[1].endswith("billing")
    assert notes[2] == "private"
    assert private == 0  # notes never reach the shopper
    assert detail["conversation"]["handoff_count"] == 3
    assert [d["trigger"] for d in detail["routing"]] == ["bot", "transfer", "transfer"]


async def test_return_to_bot_lets_the_bot_answer_again(
    make_settings: Callable[..., Settings],
) -> None:
    app = build_app(make_settings)
    async with started(app) as client:
        ana = await add_operator(app, "Ana")
        await go_online(client, ana)
        shopper = await new_shopper(client)
        cid = await say(app, client, shopper, "I want a person")
        await client.post(f"/api/conversations/{cid}/claim", headers=ana.headers)
        back = await client.post(f"/api/conversations/{cid}/return-to-bot", headers=ana.headers)
        assert back.status_code == 200
        await say(app, client, shopper, "shipping?")
        history = await transcript(client, shopper)
        me = (await client.get("/api/operators/me", headers=ana.headers)).json()["operator"]
    assert history[-1]["text"] == "Orders arrive in 2-3 working days."
    assert me["load"] == 0
