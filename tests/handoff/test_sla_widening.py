"""A queued conversation that nobody in its rule pools could be offered opens to the
next pool of its cascade (the widest pool, which has experts too) once
`widen_after_seconds` have passed, and is offered there."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

from relevo.app.settings import Settings
from tests.conftest import started
from tests.handoff.helpers import (
    ManualClock,
    Op,
    add_operator,
    build_app,
    go_online,
    new_shopper,
    run_timers,
    say,
)


async def seen_by(client: httpx.AsyncClient, op: Op, cid: int) -> dict[str, Any]:
    response = await client.get(f"/api/conversations/{cid}", headers=op.headers)
    assert response.status_code == 200, response.text
    return dict(response.json()["conversation"])


async def test_a_queued_conversation_nobody_was_offered_widens_to_the_next_pool(
    make_settings: Callable[..., Settings],
) -> None:
    clock = ManualClock()
    app = build_app(make_settings, clock, sla={"widen_after_seconds": 60})
    async with started(app) as client:
        await add_operator(app, "Ana")  # in-house, the rules' pool: offline
        eva = await add_operator(app, "Eva", "expert")  # only in the widest pool: online
        await go_online(client, eva)
        shopper = await new_shopper(client)
        cid = await say(app, client, shopper, "I want a person")
        queued = await seen_by(client, eva, cid)
        clock.advance(59)
        await run_timers(app)
        before_the_deadline = await seen_by(client, eva, cid)
        clock.advance(1)
        await run_timers(app)
        widened = await seen_by(client, eva, cid)
        claimed = await client.post(f"/api/conversations/{cid}/claim", headers=eva.headers)
    assert (queued["state"], queued["offered_to"]) == ("queued", None)
    assert before_the_deadline["offered_to"] is None
    assert widened["offered_to"] == eva.id and widened["offered_to_me"]
    assert claimed.status_code == 200, claimed.text
