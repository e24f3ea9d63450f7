"""The queue (position, estimated wait, drain, after hours) and SLA timers driven by a
controlled clock."""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa

from relevo.app.settings import Settings
from relevo.bot import replies
from relevo.bot.store.schema import contacts, conversations
from tests.conftest import started
from tests.handoff.helpers import (
    SATURDAY_NIGHT,
    ManualClock,
    add_operator,
    build_app,
    go_online,
    new_shopper,
    say,
    service,
    settle,
    transcript,
)


async def test_position_wait_and_drain_when_an_operator_frees_up(
    make_settings: Callable[..., Settings],
) -> None:
    app = build_app(make_settings, queue={"position_step": 1})
    async with started(app) as client:
        ana = await add_operator(app, "Ana", max_concurrent=1)
        await go_online(client, ana)
        shoppers, ids = [], []
        for _ in range(4):
            shopper = await new_shopper(client, "es")
            ids.append(await say(app, client, shopper, "quiero una persona", "es"))
            shoppers.append(shopper)
        handoff = service(app)
        assert handoff.state.queue.get(ids[0]).offered_to == ana.id  # type: ignore[union-attr]
        told = [(await transcript(client, s))[-1]["text"] for s in shoppers[1:]]
        # Ana's only slot holds the first (offered): each waits one more handling time
        # (the default 300 s until there are resolved conversations to learn from).
        assert [t.split("posición ")[1].split(" ")[0] for t in told] == ["1", "2", "3"]
        assert ["unos 5 min" in told[0], "unos 10 min" in told[1], "unos 15 min" in told[2]] \
            == [True, True, True]

        await client.post(f"/api/conversations/{ids[0]}/claim", headers=ana.headers)
        resolved = await client.post(f"/api/conversations/{ids[0]}/resolve",
                                     headers=ana.headers)
        assert resolved.status_code == 200
        await settle(app)
        # Ana is free: the queue drained to her at once, and the others moved up.
        assert handoff.state.queue.get(ids[1]).offered_to == ana.id  # type: ignore[union-attr]
        positions = [handoff.state.queue.position(handoff.state.queue.get(i))  # type: ignore[arg-type]
                     for i in ids[2:]]
        assert positions == [1, 2]
        updates = [(await transcript(client, s))[-1]["text"] for s in shoppers[2:]]
        assert updates[0].startswith("Novedad: ahora estás en la posición 1")
        assert updates[1].startswith("Novedad: ahora estás en la posición 2")


async def test_priority_goes_before_waiting_time(make_settings: Callable[..., Settings]) -> None:
    app = build_app(make_settings)
    async with started(app) as client:
        ana = await add_operator(app, "Ana", max_concurrent=1)
        await go_online(client, ana)
        first = await new_shopper(client)
        await say(app, client, first, "a person please")
        plain = await new_shopper(client)
        plain_id = await say(app, client, plain, "a person please")
        vip = await new_shopper(client)
        vip_id = await say(app, client, vip, "hello")
        handoff = service(app)
        async with handoff.database.write() as conn:
            contact_id = (await conn.execute(sa.select(conversations.c.contact_id).where(
                conversations.c.id == vip_id))).scalar_one()
            await conn.execute(sa.update(contacts).where(contacts.c.id == contact_id)
                               .values(tags=["vip"]))
        await say(app, client, vip, "a person please")
        queued = await client.get("/api/conversations?state=queued", headers=ana.headers)
    order = [c["id"] for c in queued.json()["conversations"] if c["offered_to"] is None]
    assert order == [vip_id, plain_id]
    assert queued.json()["conversations"][0]["priority"] == 20


async def test_after_hours_is_honest_and_the_bot_keeps_answering(
    make_settings: Callable[..., Settings],
) -> None:
    app = build_app(make_settings, ManualClock(SATURDAY_NIGHT))
    async with started(app) as client:
        ana = await add_operator(app, "Ana")  # offline
        shopper = await new_shopper(client)
        cid = await say(app, client, shopper, "I want to talk to a person")
        history = await transcript(client, shopper)
        assert "isn't available right now" in history[-1]["text"]
        assert "Monday at 09:00" in history[-1]["text"]
        await say(app, client, shopper, "shipping?")
        history = await transcript(client, shopper)
        assert history[-1]["text"] == "Orders arrive in 2-3 working days."
        # Ana comes online: the waiting conversation is offered to her at once.
        await go_online(client, ana)
        entry = service(app).state.queue.get(cid)
        assert entry is not None and entry.offered_to == ana.id
        # While someone can take it, the shopper's messages are for people, not the bot:
        # the shopper hears it was added to their request.
        before = len(await transcript(client, shopper))
        await say(app, client, shopper, "shipping?")
        after = [m["text"] for m in (await transcript(client, shopper))[before:]]
        assert after == ["shipping?", replies.text("queued_ack", "en")]


async def test_sla_reoffers_widens_reminds_and_reroutes(
    make_settings: Callable[..., Settings],
) -> None:
    clock = ManualClock()
    app = build_app(make_settings, clock, sla={
        "offer_seconds": 30, "max_offers": 2, "widen_after_seconds": 60,
        "reply_reminder_seconds": 100, "reroute_after_reminder_seconds": 50,
        "tick_seconds": 60,
    })
    async with started(app) as client:
        handoff = service(app)
        ana = await add_operator(app, "Ana")
        bea = await add_operator(app, "Bea")
        otto = await add_operator(app, "Otto", "outsourced")
        for op in (ana, bea, otto):
            await go_online(client, op)
        shopper = await new_shopper(client)
        cid = await say(app, client, shopper, "I want a person")
        entry = handoff.state.queue.get(cid)
        assert entry is not None
        first = entry.offered_to
        clock.advance(29)
        assert (await handoff.sla.tick())["reoffered"] == 0
        clock.advance(1)
        assert (await handoff.sla.tick())["reoffered"] == 1
        second = entry.offered_to
        assert {first, second} == {ana.id, bea.id}
        clock.advance(30)  # both agents ignored it: the wider pool (outsourced) gets it
        counts = await handoff.sla.tick()
        assert counts["widened"] >= 1 and entry.offered_to == otto.id

        claimed = await client.post(f"/api/conversations/{cid}/claim", headers=otto.headers)
        assert claimed.status_code == 200
        clock.advance(99)
        assert (await handoff.sla.tick())["reminded"] == 0
        clock.advance(1)
        assert (await handoff.sla.tick())["reminded"] == 1
        clock.advance(49)
        assert (await handoff.sla.tick())["rerouted"] == 0
        clock.advance(1)
        assert (await handoff.sla.tick())["rerouted"] == 1
        await settle(app)
        rerouted = handoff.state.queue.get(cid)
        async with handoff.database.read() as conn:
            state = (await conn.execute(sa.select(conversations.c.state).where(
                conversations.c.id == cid))).scalar_one()
        detail = (await client.get(f"/api/conversations/{cid}", headers=ana.headers)).json()
    assert state == "queued"
    assert rerouted is not None and rerouted.offered_to in {ana.id, bea.id}
    assert detail["routing"][-1]["trigger"] == "sla"
    assert otto.id in rerouted.offers  # not offered back to who let it wait


async def test_a_reply_stops_the_reminder_and_auto_away(
    make_settings: Callable[..., Settings],
) -> None:
    clock = ManualClock()
    app = build_app(make_settings, clock, sla={"reply_reminder_seconds": 100},
                    presence={"auto_away_seconds": 300})
    async with started(app) as client:
        handoff = service(app)
        ana = await add_operator(app, "Ana")
        await go_online(client, ana)
        shopper = await new_shopper(client)
        cid = await say(app, client, shopper, "I want a person")
        await client.post(f"/api/conversations/{cid}/claim", headers=ana.headers)
        clock.advance(90)
        await client.post(f"/api/conversations/{cid}/messages", json={"text": "Hi!"},
                          headers=ana.headers)
        clock.advance(90)
        assert (await handoff.sla.tick())["reminded"] == 0
        clock.advance(300)
        assert (await handoff.sla.tick())["away"] == 1
        assert handoff.state.operators.get(ana.id).presence == "away"  # type: ignore[union-attr]
        await client.get("/api/operators/me", headers=ana.headers)  # activity: back online
        assert handoff.state.operators.get(ana.id).presence == "online"  # type: ignore[union-attr]
