"""What each operator kind may see (README: Roles and scopes): ambassadors and outsourced
operators only what is offered or assigned to them, the others the open conversations and
their own, managers everything; notes on one's own; shopper data masked for external
kinds; others' ratings for managers. Through the HTTP API, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import sqlalchemy as sa
from fastapi import FastAPI

from relevo.app.settings import Settings
from relevo.bot.store import conversations as conversation_store
from relevo.bot.store.schema import contacts
from relevo.bot.types import OperatorKind
from tests.conftest import started
from tests.handoff.helpers import Op, add_operator, build_app, go_online, new_shopper, say, service

ANYONE = [{"name": "anyone", "pool": {}}]  # every kind may be offered anything


def offered_to(app: FastAPI, conversation_id: int) -> int | None:
    entry = service(app).state.queue.get(conversation_id)
    return entry.offered_to if entry is not None else None


async def served_and_resolved(app: FastAPI, client: httpx.AsyncClient, op: Op) -> int:
    """A conversation `op` (the only one online) claims and resolves; `op` goes offline."""
    await go_online(client, op)
    cid = await say(app, client, await new_shopper(client), "I want a person")
    for action in ("claim", "resolve"):
        done = await client.post(f"/api/conversations/{cid}/{action}", headers=op.headers)
        assert done.status_code == 200, done.text
    await go_online(client, op, "offline")
    return cid


async def test_an_ambassador_reaches_only_what_is_offered_to_her(
    make_settings: Callable[..., Settings],
) -> None:
    app = build_app(make_settings, rules=ANYONE)
    async with started(app) as client:
        amy = await add_operator(app, "Amy", OperatorKind.AMBASSADOR, max_concurrent=1)
        abe = await add_operator(app, "Abe", OperatorKind.AMBASSADOR, max_concurrent=1)
        for op in (amy, abe):
            await go_online(client, op)
        first = await say(app, client, await new_shopper(client), "I want a person")
        second = await say(app, client, await new_shopper(client), "I want a person")
        mine, theirs = (first, second) if offered_to(app, first) == amy.id else (second, first)
        assert offered_to(app, theirs) == abe.id  # Amy had no room left
        own = await client.get(f"/api/conversations/{mine}", headers=amy.headers)
        other = await client.get(f"/api/conversations/{theirs}", headers=amy.headers)
        queued = await client.get("/api/conversations?state=queued", headers=amy.headers)
        refused = {
            action: (await client.post(f"/api/conversations/{theirs}/{action}",
                                       headers=amy.headers, json=body)).status_code
            for action, body in (("claim", None), ("resolve", None), ("return-to-bot", None),
                                 ("notes", {"text": "x"}), ("messages", {"text": "x"}))
        }
        suggestions = await client.get(f"/api/conversations/{theirs}/suggestions",
                                       headers=amy.headers)
        claimed = await client.post(f"/api/conversations/{mine}/claim", headers=amy.headers)
        after_claim = await client.get(f"/api/conversations/{mine}", headers=amy.headers)
    assert own.status_code == 200, own.text
    # As if it did not exist: the same 404 and words as for an id never used.
    assert other.status_code == 404
    assert other.json() == {"detail": f"conversation {theirs} does not exist"}
    assert [c["id"] for c in queued.json()["conversations"]] == [mine]
    assert refused == {"claim": 404, "resolve": 404, "return-to-bot": 404, "notes": 404,
                       "messages": 404}
    assert suggestions.status_code == 404
    assert claimed.status_code == 200 and after_claim.status_code == 200


async def test_an_outsourced_operator_sees_this_conversation_not_the_contacts_earlier_ones(
    make_settings: Callable[..., Settings],
) -> None:
    app = build_app(make_settings, rules=ANYONE)
    async with started(app) as client:
        hal = await add_operator(app, "Hal", OperatorKind.INTERNAL)
        olga = await add_operator(app, "Olga", OperatorKind.OUTSOURCED)
        await go_online(client, hal)
        shopper = await new_shopper(client)
        earlier = await say(app, client, shopper, "I want a person")
        for action in ("claim", "resolve"):
            await client.post(f"/api/conversations/{earlier}/{action}", headers=hal.headers)
        await go_online(client, hal, "offline")
        await say(app, client, shopper, "shipping?")  # a new conversation, with the bot
        await go_online(client, olga)
        later = await say(app, client, shopper, "I want a person")
        assert later != earlier and offered_to(app, later) == olga.id
        history = {op.id: {m["conversation_id"] for m in (await client.get(
            f"/api/conversations/{later}", headers=op.headers)).json()["messages"]}
            for op in (olga, hal)}
    assert history == {olga.id: {later}, hal.id: {earlier, later}}


async def _give_contact_details(app: FastAPI, conversation_id: int) -> None:
    async with service(app).database.write() as conn:
        conversation = await conversation_store.get(conn, conversation_id)
        assert conversation is not None
        await conn.execute(
            sa.update(contacts).where(contacts.c.id == conversation.contact_id).values(
                display_name="María García López", phone="+34 612 345 672",
                email="maria.garcia@example.com",
            )
        )


def _shopper_fields(detail: dict[str, Any], listed: dict[str, Any]) -> tuple[Any, ...]:
    contact = detail["contact"]
    return (contact["phone"], contact["email"], contact["display_name"],
            detail["conversation"]["contact"]["display_name"],
            listed["conversations"][0]["contact"]["display_name"])


async def test_personal_data_is_masked_for_external_kinds(
    make_settings: Callable[..., Settings],
) -> None:
    app = build_app(make_settings, rules=ANYONE)
    async with started(app) as client:
        olga = await add_operator(app, "Olga", OperatorKind.OUTSOURCED)
        ines = await add_operator(app, "Ines", OperatorKind.INTERNAL)
        await go_online(client, olga)
        cid = await say(app, client, await new_shopper(client), "I want a person")
        await _give_contact_details(app, cid)
        seen = {}
        for op in (olga, ines):
            detail = await client.get(f"/api/conversations/{cid}", headers=op.headers)
            listed = await client.get("/api/conversations?state=queued", headers=op.headers)
            seen[op.id] = _shopper_fields(detail.json(), listed.json())
    assert seen[olga.id] == ("+34 6•• ••• ••2", "m•••@example.com", "María G. L.",
                             "María G. L.", "María G. L.")
    assert seen[ines.id] == ("+34 612 345 672", "maria.garcia@example.com",
                             "María García López", "María García López", "María García López")


async def test_which_kinds_are_external_is_configurable(
    make_settings: Callable[..., Settings],
) -> None:
    app = build_app(make_settings, rules=ANYONE, external_kinds=["internal"])
    async with started(app) as client:
        olga = await add_operator(app, "Olga", OperatorKind.OUTSOURCED)
        ines = await add_operator(app, "Ines", OperatorKind.INTERNAL)
        await go_online(client, olga)
        cid = await say(app, client, await new_shopper(client), "I want a person")
        await _give_contact_details(app, cid)
        phones = {op.id: (await client.get(f"/api/conversations/{cid}", headers=op.headers))
                  .json()["contact"]["phone"] for op in (olga, ines)}
    assert phones == {olga.id: "+34 612 345 672", ines.id: "+34 6•• ••• ••2"}


async def test_a_conversation_resolved_by_another_is_out_of_reach_but_not_for_managers(
    make_settings: Callable[..., Settings],
) -> None:
    app = build_app(make_settings, rules=ANYONE)
    async with started(app) as client:
        hal = await add_operator(app, "Hal", OperatorKind.INTERNAL)
        eve = await add_operator(app, "Eve", OperatorKind.EXPERT)
        ian = await add_operator(app, "Ian", OperatorKind.INTERNAL)
        mia = await add_operator(app, "Mia", OperatorKind.INTERNAL, role="manager")
        cid = await served_and_resolved(app, client, hal)
        status, resolved_lists = {}, {}
        for op in (hal, eve, ian, mia):
            status[op.id] = (await client.get(f"/api/conversations/{cid}",
                                              headers=op.headers)).status_code
            listed = await client.get("/api/conversations?state=resolved", headers=op.headers)
            resolved_lists[op.id] = [c["id"] for c in listed.json()["conversations"]]
    assert status == {hal.id: 200, eve.id: 404, ian.id: 404, mia.id: 200}
    assert resolved_lists == {hal.id: [cid], eve.id: [], ian.id: [], mia.id: [cid]}


async def test_notes_go_only_on_ones_own_conversation_unless_a_manager(
    make_settings: Callable[..., Settings],
) -> None:
    app = build_app(make_settings, rules=ANYONE)
    async with started(app) as client:
        hal = await add_operator(app, "Hal", OperatorKind.INTERNAL)
        ian = await add_operator(app, "Ian", OperatorKind.INTERNAL)
        amy = await add_operator(app, "Amy", OperatorKind.AMBASSADOR)
        mia = await add_operator(app, "Mia", OperatorKind.INTERNAL, role="manager")
        await go_online(client, hal)
        cid = await say(app, client, await new_shopper(client), "I want a person")
        await client.post(f"/api/conversations/{cid}/claim", headers=hal.headers)
        notes = {op.id: await client.post(f"/api/conversations/{cid}/notes",
                                          json={"text": f"note by {op.id}"}, headers=op.headers)
                 for op in (hal, ian, amy, mia)}
        detail = await client.get(f"/api/conversations/{cid}", headers=hal.headers)
    assert {op_id: r.status_code for op_id, r in notes.items()} == {
        hal.id: 201, ian.id: 403, amy.id: 404, mia.id: 201}
    assert "not assigned to you" in notes[ian.id].json()["detail"]
    assert [n["text"] for n in detail.json()["notes"]] == [f"note by {hal.id}",
                                                           f"note by {mia.id}"]


async def test_others_ratings_need_the_manager_role(
    make_settings: Callable[..., Settings],
) -> None:
    app = build_app(make_settings, rules=ANYONE)
    async with started(app) as client:
        ana = await add_operator(app, "Ana", OperatorKind.INTERNAL)
        eva = await add_operator(app, "Eva", OperatorKind.EXPERT)
        mia = await add_operator(app, "Mia", OperatorKind.INTERNAL, role="manager")
        for op, score in ((ana, "2"), (eva, "5")):
            await go_online(client, op)
            cid = await say(app, client, shopper := await new_shopper(client), "I want a person")
            await client.post(f"/api/conversations/{cid}/claim", headers=op.headers)
            await client.post(f"/api/conversations/{cid}/resolve", headers=op.headers)
            await say(app, client, shopper, score)
            await go_online(client, op, "offline")
        summaries = {op.id: (await client.get("/api/csat", headers=op.headers)).json()
                     for op in (ana, eva, mia)}
    rated = {op_id: [(o["name"], o["average"]) for o in s["by_operator"]]
             for op_id, s in summaries.items()}
    assert rated == {ana.id: [("Ana", 2.0)], eva.id: [("Eva", 5.0)],
                     mia.id: [("Ana", 2.0), ("Eva", 5.0)]}
    assert summaries[eva.id]["by_kind"] == {"expert": {"count": 1, "average": 5.0}}
