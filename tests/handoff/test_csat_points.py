"""CSAT stored per operator and kind; community points paid once per event."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import sqlalchemy as sa
from fastapi import FastAPI

from relevo.app.settings import Settings
from relevo.bot.store.schema import points_events
from relevo.bot.types import OperatorKind
from relevo.handoff import points
from tests.conftest import started
from tests.handoff.helpers import (
    Op,
    add_operator,
    build_app,
    go_online,
    new_shopper,
    say,
    service,
    transcript,
)


async def served_and_rated(
    app: FastAPI, client: httpx.AsyncClient, op: Op, score: str, thanks: bool = False
) -> int:
    shopper = await new_shopper(client)
    cid = await say(app, client, shopper, "I want a person")
    assert (await client.post(f"/api/conversations/{cid}/claim", headers=op.headers)).is_success
    await client.post(f"/api/conversations/{cid}/messages", json={"text": "Done!"},
                      headers=op.headers)
    if thanks:
        await say(app, client, shopper, "thank you so much!")
        await say(app, client, shopper, "Thanks again")
    assert (await client.post(f"/api/conversations/{cid}/resolve", headers=op.headers)).is_success
    await say(app, client, shopper, score)
    return cid


async def test_csat_is_stored_per_operator_kind(make_settings: Callable[..., Settings]) -> None:
    app = build_app(make_settings, rules=[{"name": "anyone", "pool": {}}])
    async with started(app) as client:
        # A manager: reading other operators' ratings needs ratings:read.
        ana = await add_operator(app, "Ana", OperatorKind.INTERNAL, role="manager")
        eva = await add_operator(app, "Eva", OperatorKind.EXPERT)
        for op in (ana, eva):
            await go_online(client, op)
        await go_online(client, eva, "offline")
        await served_and_rated(app, client, ana, "3")
        await served_and_rated(app, client, ana, "5/5")
        await go_online(client, ana, "offline")
        await go_online(client, eva)
        await served_and_rated(app, client, eva, "⭐⭐⭐⭐")
        shopper = await new_shopper(client)
        await say(app, client, shopper, "7")  # no CSAT pending: just a message to the bot
        summary = (await client.get("/api/csat", headers=ana.headers)).json()
    assert summary["by_kind"] == {
        "internal": {"count": 2, "average": 4.0},
        "expert": {"count": 1, "average": 4.0},
    }
    assert [(o["name"], o["kind"], o["count"]) for o in summary["by_operator"]] == [
        ("Ana", "internal", 2), ("Eva", "expert", 1)
    ]


async def test_a_non_score_reply_goes_to_the_bot_and_the_rating_is_still_awaited(
    make_settings: Callable[..., Settings],
) -> None:
    app = build_app(make_settings)
    async with started(app) as client:
        ana = await add_operator(app, "Ana")
        await go_online(client, ana)
        shopper = await new_shopper(client)
        cid = await say(app, client, shopper, "I want a person")
        await client.post(f"/api/conversations/{cid}/claim", headers=ana.headers)
        await client.post(f"/api/conversations/{cid}/resolve", headers=ana.headers)
        await say(app, client, shopper, "shipping?")
        await say(app, client, shopper, "4")
        history = await transcript(client, shopper)
        summary = (await client.get("/api/csat", headers=ana.headers)).json()
    assert history[-3]["text"] == "Orders arrive in 2-3 working days."
    assert summary["by_kind"] == {"internal": {"count": 1, "average": 4.0}}


async def test_points_are_paid_once_per_event_and_levels_and_badges_follow(
    make_settings: Callable[..., Settings],
) -> None:
    app = build_app(make_settings, rules=[{"name": "anyone", "pool": {}}], points={
        "levels": [{"name": "Rookie", "min_points": 0}, {"name": "Star", "min_points": 18}],
        "badges": [{"name": "Thanked", "event": "thanks", "count": 1}],
    })
    async with started(app) as client:
        eva = await add_operator(app, "Eva", OperatorKind.AMBASSADOR)
        ana = await add_operator(app, "Ana", OperatorKind.INTERNAL)
        await go_online(client, eva)
        cid = await served_and_rated(app, client, eva, "5", thanks=True)
        # Resolving or rating again pays nothing more (an ambassador cannot even reach a
        # conversation no longer assigned to her: 404).
        again = await client.post(f"/api/conversations/{cid}/resolve", headers=eva.headers)
        assert again.status_code == 404
        handoff = service(app)
        async with handoff.database.write() as conn:
            repeat = await points.award(
                conn, handoff.settings.points, operator_id=eva.id,
                kind=OperatorKind.AMBASSADOR, conversation_id=cid, event="resolved",
                now=handoff.now(),
            )
            events = (await conn.execute(
                sa.select(points_events.c.event, points_events.c.points)
                .order_by(points_events.c.id)
            )).all()
        board = (await client.get("/api/leaderboard", headers=ana.headers)).json()
        me = (await client.get("/api/operators/me", headers=eva.headers)).json()["operator"]
    assert repeat == 0
    assert [tuple(e) for e in events] == [("thanks", 3), ("resolved", 10), ("csat_high", 5)]
    assert me["points"] == 18 and me["level"] == "Star"
    assert [b["name"] for b in me["badges"]] == ["Thanked"]
    assert [(r["name"], r["points"]) for r in board["leaderboard"]] == [("Eva", 18)]
    # In-house agents earn no community points.
    assert all(r["kind"] != "internal" for r in board["leaderboard"])
