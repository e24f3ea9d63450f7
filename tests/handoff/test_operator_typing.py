"""`POST /api/conversations/{id}/typing`: the assigned operator's typing becomes the bus
event `OperatorTyping` (with the name the shopper sees on replies), for the channels to
show; nobody else may send it. On SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable

from relevo.app.settings import Settings
from relevo.bot.types import Event, OperatorTyping
from tests.conftest import started
from tests.handoff.helpers import add_operator, build_app, go_online, new_shopper, say, service
from tests.settle import settle, wait_until


async def test_the_assigned_operators_typing_is_published(
    make_settings: Callable[..., Settings],
) -> None:
    app = build_app(make_settings)
    seen: list[OperatorTyping] = []

    async def collect(event: Event) -> None:
        if isinstance(event, OperatorTyping):
            seen.append(event)

    async with started(app) as client:
        subscription = service(app).bus.subscribe(collect, name="test-typing")
        ana = await add_operator(app, "Ana")
        bob = await add_operator(app, "Bob")
        await go_online(client, ana)
        cid = await say(app, client, await new_shopper(client), "I want a person")
        url = f"/api/conversations/{cid}/typing"
        before_claim = await client.post(url, json={"active": True}, headers=ana.headers)
        claimed = await client.post(f"/api/conversations/{cid}/claim", headers=ana.headers)
        assert claimed.status_code == 200, claimed.text
        typing = await client.post(url, json={"active": True}, headers=ana.headers)
        await wait_until(lambda: len(seen) == 1, "the typing event")
        # The test clock stands still: this one comes within a second of the first.
        again = await client.post(url, json={"active": True}, headers=ana.headers)
        by_bob = await client.post(url, json={"active": True}, headers=bob.headers)
        stopped = await client.post(url, json={"active": False}, headers=ana.headers)
        await wait_until(lambda: len(seen) == 2, "the stop event")
        bad = await client.post(url, json={"active": "maybe"}, headers=ana.headers)
        await settle(app)
        await subscription.close()
    assert before_claim.status_code == 403  # offered, not yet hers
    assert typing.status_code == 202
    assert typing.json() == {"conversation_id": cid, "active": True, "published": True}
    assert again.json()["published"] is False  # at most one "typing" a second reaches the bus
    assert by_bob.status_code == 403
    assert by_bob.json()["detail"].startswith(f"conversation {cid} is not assigned to you")
    assert stopped.status_code == 202
    assert bad.status_code == 422
    assert [(e.conversation_id, e.operator_id, e.name, e.active) for e in seen] == [
        (cid, ana.id, "Ana · agent", True), (cid, ana.id, "Ana · agent", False)]
    assert seen[0].contact_id > 0
