"""Handoff keeps its truth in storage: an operator's slots are arbitrated by the
database across processes, and the in-memory view can be dropped at any moment with
no change in what anyone sees."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from fastapi import FastAPI

from relevo.app.settings import Settings
from relevo.bot.bus import InProcessBus
from relevo.bot.store import operators as operator_store
from relevo.bot.store.db import Database
from relevo.bot.store.schema import conversations, csat_responses, handoffs
from relevo.bot.types import Refused
from relevo.handoff.desk import HandoffDesk
from relevo.handoff.holding import ActionError
from relevo.handoff.service import Handoff
from tests.conftest import postgres_database, started
from tests.handoff.helpers import (
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


@asynccontextmanager
async def process(app: FastAPI, clock: ManualClock) -> AsyncIterator[Handoff]:
    """A second process on the app's database: its own connections, bus and memory."""
    first = service(app)
    database = Database(first.database.url)
    other = Handoff(database, InProcessBus(), first.settings, on_outbound=lambda: None,
                    clock=clock)
    async with database.read() as conn:
        await other.state.load(conn)
    try:
        yield other
    finally:
        await database.close()


async def test_concurrent_routes_and_claims_in_other_processes_respect_capacity(
    make_settings: Callable[..., Settings],
) -> None:
    clock = ManualClock()
    app = build_app(make_settings, clock)
    async with started(app) as client:
        ana = await add_operator(app, "Ana", max_concurrent=2)
        bob = await add_operator(app, "Bob", max_concurrent=2)
        cids = [await say(app, client, await new_shopper(client), "I want a person")
                for _ in range(6)]  # nobody online: all six wait
        async with service(app).database.write() as conn:
            await operator_store.set_presence(conn, ana.id, "online", now=clock())
        async with (process(app, clock) as p1, process(app, clock) as p2,
                    process(app, clock) as p3, process(app, clock) as p4,
                    process(app, clock) as p5, process(app, clock) as p6):
            others = [p1, p2, p3, p4, p5, p6]
            # Each process sees Ana online and free: only storage can stop six offers.
            routed = await asyncio.gather(*(
                p.router.decide(cid) for p, cid in zip(others, cids, strict=True)
            ))
            offered = [r.conversation_id for r in routed if r.outcome == "offered"]
            waiting = [cid for cid in cids if cid not in offered]
            # Bob is offline: nobody offers him anything, but he may claim; four
            # processes each think he has two free slots.
            claims = await asyncio.gather(*(
                _claim(p, bob.id, cid)
                for p, cid in zip(others[:len(waiting)], waiting, strict=True)
            ), return_exceptions=True)
        async with service(app).database.read() as conn:
            offers = (await conn.execute(
                sa.select(sa.func.count()).select_from(handoffs)
                .join(conversations, conversations.c.id == handoffs.c.conversation_id)
                .where(handoffs.c.offered_to == ana.id, conversations.c.state == "queued")
            )).scalar_one()
            bobs = (await conn.execute(
                sa.select(sa.func.count()).select_from(conversations)
                .where(conversations.c.assigned_operator_id == bob.id,
                       conversations.c.state == "assigned")
            )).scalar_one()
    assert len(offered) == 2 and offers == 2
    assert bobs == 2
    refusals = [c for c in claims if isinstance(c, ActionError)]
    assert len(refusals) == 2
    assert all("you already have 2 conversations" in r.detail for r in refusals)


async def _claim(handoff: Handoff, operator_id: int, conversation_id: int) -> dict[str, Any]:
    operator = handoff.state.operators.get(operator_id)
    assert operator is not None
    return await handoff.actions.claim(operator, conversation_id)


async def _scenario(make_settings: Callable[..., Settings], *, drop: bool) -> dict[str, Any]:
    """Offer, queue of several, claim, resolve, CSAT answer — dropping the view at
    each awkward moment when `drop`. Returns what shoppers, operators and storage see."""
    clock = ManualClock()
    app = build_app(make_settings, clock)
    seen: dict[str, Any] = {}

    def maybe_drop() -> None:
        if drop:
            service(app).state.drop()

    async with started(app) as client:
        ana = await add_operator(app, "Ana", max_concurrent=1)
        await go_online(client, ana)
        desk = HandoffDesk(service(app))
        shoppers = [await new_shopper(client) for _ in range(4)]
        cids = [await say(app, client, shoppers[0], "I want a person")]
        maybe_drop()  # between the offer and the claim
        for shopper in shoppers[1:]:
            cids.append(await say(app, client, shopper, "I want a person"))
            maybe_drop()  # with a queue of several
        seen["queue"] = [line.conversation_id for line in await desk.queue()]
        snapshots = [await desk.snapshot(cid) for cid in cids]
        seen["positions"] = [s.position for s in snapshots if not isinstance(s, Refused)]
        seen["offered_to"] = [s.offered_to == ana.id for s in snapshots
                              if not isinstance(s, Refused)]
        claimed = await client.post(f"/api/conversations/{cids[0]}/claim", headers=ana.headers)
        seen["claim"] = claimed.status_code
        maybe_drop()
        other = await client.post(f"/api/conversations/{cids[1]}/claim", headers=ana.headers)
        seen["second_claim"] = (other.status_code, other.json().get("detail"))
        await client.post(f"/api/conversations/{cids[0]}/resolve", headers=ana.headers)
        await settle(app)
        maybe_drop()  # between the resolve and the CSAT answer
        seen["next_offer"] = [line.offered_to == ana.id for line in await desk.queue()]
        await say(app, client, shoppers[0], "5")
        maybe_drop()
        me = await client.get("/api/operators/me", headers=ana.headers)
        seen["points"] = me.json()["operator"]["points"]
        seen["transcripts"] = [[m["text"] for m in await transcript(client, s)]
                               for s in shoppers]
        async with service(app).database.read() as conn:
            seen["scores"] = list((await conn.execute(
                sa.select(csat_responses.c.conversation_id, csat_responses.c.score)
            )).all())
    seen["scores"] = [(cid - cids[0], score) for cid, score in seen["scores"]]
    return seen


@asynccontextmanager
async def another_database(url: str, tmp_path: Path) -> AsyncIterator[str]:
    if url.startswith("sqlite"):
        yield f"sqlite+aiosqlite:///{tmp_path / 'dropped.db'}"
        return
    async with postgres_database() as other:
        yield other


async def test_dropping_the_view_at_awkward_moments_changes_nothing(
    make_settings: Callable[..., Settings], database_url: str, tmp_path: Path,
) -> None:
    kept = await _scenario(make_settings, drop=False)
    async with another_database(database_url, tmp_path) as url:
        dropped = await _scenario(lambda **kw: make_settings(database_url=url, **kw), drop=True)
    assert kept["positions"] == [1, 1, 2, 3]
    assert kept["offered_to"] == [True, False, False, False]
    assert kept["second_claim"][0] == 409
    assert kept["scores"] == [(0, 5)]
    assert dropped == kept


async def test_a_second_process_sees_the_queue_and_claims_after_a_reload(
    make_settings: Callable[..., Settings],
) -> None:
    clock = ManualClock()
    app = build_app(make_settings, clock)
    async with started(app) as client:
        ana = await add_operator(app, "Ana")
        bob = await add_operator(app, "Bob")
        async with process(app, clock) as other:
            desk = HandoffDesk(other)
            cid = await say(app, client, await new_shopper(client), "I want a person")
            assert await desk.queue() == ()  # its view is behind: nothing told it yet
            other.state.drop()
            lines = await desk.queue()
            snapshot = await desk.snapshot(cid)
            assert [line.conversation_id for line in lines] == [cid]
            assert not isinstance(snapshot, Refused) and snapshot.position == 1
            claimed = await client.post(f"/api/conversations/{cid}/claim", headers=ana.headers)
            assert claimed.status_code == 200
            refused = await HandoffDesk(other).claim(bob.id, cid)
            other.state.drop()
            after = await desk.queue()
    assert isinstance(refused, Refused) and "already claimed by Ana" in refused.reason
    assert after == ()
