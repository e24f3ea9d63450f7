"""After a restart the handoff picks up where it was, from the database alone: the
queue (with positions and offers), who holds which conversation, and the CSAT
question still waiting for the shopper's answer."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

from relevo.app.settings import Settings
from relevo.bot import replies
from tests.conftest import started
from tests.handoff.helpers import (
    Op,
    add_operator,
    build_app,
    go_online,
    new_shopper,
    say,
    settle,
    transcript,
)


async def conversations(client: httpx.AsyncClient, op: Op, state: str) -> list[dict[str, Any]]:
    response = await client.get(f"/api/conversations?state={state}", headers=op.headers)
    assert response.status_code == 200, response.text
    return list(response.json()["conversations"])


async def test_queue_assignments_and_pending_csat_survive_a_restart(
    make_settings: Callable[..., Settings],
) -> None:
    before = build_app(make_settings)
    async with started(before) as client:
        ana = await add_operator(before, "Ana", max_concurrent=1)
        await go_online(client, ana)
        rated = await new_shopper(client)
        rated_id = await say(before, client, rated, "I want a person")
        assert (await client.post(f"/api/conversations/{rated_id}/claim",
                                  headers=ana.headers)).status_code == 200
        assert (await client.post(f"/api/conversations/{rated_id}/resolve",
                                  headers=ana.headers)).status_code == 200
        held = await new_shopper(client)
        held_id = await say(before, client, held, "I want a person")
        assert (await client.post(f"/api/conversations/{held_id}/claim",
                                  headers=ana.headers)).status_code == 200
        waiting = await new_shopper(client)
        waiting_id = await say(before, client, waiting, "I want a person")  # Ana is full

    after = build_app(make_settings)
    async with started(after) as client:
        await settle(after)
        queued = await conversations(client, ana, "queued")
        mine = await conversations(client, ana, "mine")
        me = (await client.get("/api/operators/me", headers=ana.headers)).json()["operator"]
        await say(after, client, rated, "4")
        rating = (await client.get(f"/api/conversations/{rated_id}",
                                   headers=ana.headers)).json()["csat"]
        thanked = (await transcript(client, rated))[-1]["text"]
        # The rebuilt queue moves on: Ana's slot frees up, the waiting shopper is offered.
        assert (await client.post(f"/api/conversations/{held_id}/resolve",
                                  headers=ana.headers)).status_code == 200
        await settle(after)
        offered = await conversations(client, ana, "queued")
    assert [(c["id"], c["position"]) for c in queued] == [(waiting_id, 1)]
    assert queued[0]["queued_at"] is not None
    assert [c["id"] for c in mine] == [held_id]
    assert (me["assigned"], me["load"]) == ([held_id], 1)
    assert rating is not None and rating["score"] == 4
    assert thanked == replies.text("csat_thanks", "en")
    assert [(c["id"], c["offered_to_me"]) for c in offered] == [(waiting_id, True)]
