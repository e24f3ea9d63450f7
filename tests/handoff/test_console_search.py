"""The console's lists beyond the open queue (`GET /api/conversations?state=resolved|all
&q=&offset=`): search by the contact's name, e-mail, phone or id, the conversation's id
and the messages' text, case- and accent-insensitive, one page at a time; what an
operator finds is what their kind may see, and masked shopper data cannot be searched.
Also the contact's conversations in the detail (the console's sidebar). On SQLite and
PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import sqlalchemy as sa
from fastapi import FastAPI

from relevo.app.settings import Settings
from relevo.bot.store.schema import contacts
from relevo.bot.types import OperatorKind, Role
from tests.conftest import started
from tests.handoff.helpers import Op, add_operator, build_app, go_online, new_shopper, say, service


async def set_contact(app: FastAPI, client: httpx.AsyncClient, op: Op, cid: int,
                      **values: Any) -> int:
    detail = await client.get(f"/api/conversations/{cid}", headers=op.headers)
    contact_id = int(detail.json()["contact"]["id"])
    async with service(app).database.write() as conn:
        await conn.execute(sa.update(contacts).where(contacts.c.id == contact_id).values(**values))
    return contact_id


async def found(client: httpx.AsyncClient, op: Op, query: str = "", state: str = "all",
                **params: Any) -> list[int]:
    response = await client.get("/api/conversations", headers=op.headers,
                                params={"state": state, "q": query, **params})
    assert response.status_code == 200, response.text
    return [c["id"] for c in response.json()["conversations"]]


async def test_search_finds_by_contact_conversation_id_and_text(
    make_settings: Callable[..., Settings],
) -> None:
    app = build_app(make_settings)
    async with started(app) as client:
        ana = await add_operator(app, "Ana")
        boss = await add_operator(app, "Bea", role=Role.MANAGER)
        await go_online(client, ana)
        maria = await new_shopper(client)
        served = await say(app, client, maria, "I want a person")
        for action in ("claim", "resolve"):
            done = await client.post(f"/api/conversations/{served}/{action}", headers=ana.headers)
            assert done.status_code == 200, done.text
        await set_contact(app, client, boss, served, display_name="María García",
                          email="Maria.Garcia@example.com", phone="+34 612 345 678")
        other = await say(app, client, await new_shopper(client, "es"),
                          "¿cuánto tarda el envío?", "es")
        results = {
            "name without accents": await found(client, boss, "garcia"),
            "name with other accents": await found(client, boss, "MÁRÍA"),
            "e-mail": await found(client, boss, "maria.garcia@EXAMPLE"),
            "phone as typed": await found(client, boss, "612-345"),
            "conversation id": await found(client, boss, f"#{other}"),
            "text without accents": await found(client, boss, "ENVIO"),
            "nothing": await found(client, boss, "zzz%"),
            "resolved": await found(client, boss, state="resolved"),
            "all": await found(client, boss),
            "open": await found(client, boss, state="open"),
        }
        first_page = await client.get("/api/conversations?state=all&limit=1",
                                      headers=boss.headers)
        second_page = await client.get("/api/conversations?state=all&limit=1&offset=1",
                                       headers=boss.headers)
        bad = await client.get("/api/conversations?state=everything", headers=boss.headers)
    assert results == {
        "name without accents": [served], "name with other accents": [served],
        "e-mail": [served], "phone as typed": [served], "conversation id": [other],
        "text without accents": [other], "nothing": [], "resolved": [served],
        "all": [other, served], "open": [],
    }
    assert [c["id"] for c in first_page.json()["conversations"]] == [other]
    assert first_page.json()["next_offset"] == 1
    assert [c["id"] for c in second_page.json()["conversations"]] == [served]
    assert second_page.json()["next_offset"] is None
    assert bad.status_code == 422
    assert "state: must be one of" in bad.json()["detail"]


async def test_search_keeps_to_what_the_operator_may_see(
    make_settings: Callable[..., Settings],
) -> None:
    app = build_app(make_settings)
    async with started(app) as client:
        ana = await add_operator(app, "Ana")
        eli = await add_operator(app, "Eli", OperatorKind.EXPERT)  # masked: an external kind
        ivo = await add_operator(app, "Ivo")  # internal, no manager role
        await go_online(client, ana)
        resolved = await say(app, client, await new_shopper(client),
                             "I want a person, the blue case")
        for action in ("claim", "resolve"):
            done = await client.post(f"/api/conversations/{resolved}/{action}",
                                     headers=ana.headers)
            assert done.status_code == 200, done.text
        await go_online(client, ana, "offline")
        queued = await say(app, client, await new_shopper(client), "I want a person, blue case")
        await set_contact(app, client, ivo, queued, display_name="Lucía Pérez",
                          email="lucia@example.com")
        by_ivo = {q: await found(client, ivo, q)
                  for q in ("blue case", "perez", "#" + str(resolved))}
        by_eli = {q: await found(client, eli, q) for q in ("blue case", "perez", "lucia@")}
        by_ana = await found(client, ana, "blue case", state="resolved")
        listed = await client.get("/api/conversations?state=all&q=blue", headers=eli.headers)
    # Ivo reaches open conversations, not one Ana resolved.
    assert by_ivo == {"blue case": [queued], "perez": [queued], "#" + str(resolved): []}
    # Eli sees Lucía masked, so her name and e-mail are not searchable for him.
    assert by_eli == {"blue case": [queued], "perez": [], "lucia@": []}
    assert listed.json()["conversations"][0]["contact"]["display_name"] == "Lucía P."
    assert by_ana == [resolved]  # her own, resolved


async def test_the_detail_lists_the_contacts_conversations_and_tags(
    make_settings: Callable[..., Settings],
) -> None:
    app = build_app(make_settings)
    async with started(app) as client:
        ana = await add_operator(app, "Ana")
        await go_online(client, ana)
        shopper = await new_shopper(client)
        first = await say(app, client, shopper, "I want a person")
        for action in ("claim", "resolve"):
            done = await client.post(f"/api/conversations/{first}/{action}", headers=ana.headers)
            assert done.status_code == 200, done.text
        second = await say(app, client, shopper, "I want a person again")
        await set_contact(app, client, ana, second, tags=["vip", "basket:89.90"])
        detail = (await client.get(f"/api/conversations/{second}", headers=ana.headers)).json()
    assert second != first
    assert [c["id"] for c in detail["contact_conversations"]] == [second, first]
    assert [c["state"] for c in detail["contact_conversations"]] == ["queued", "resolved"]
    assert detail["contact"]["tags"] == ["vip", "basket:89.90"]
    assert [ch["channel"] for ch in detail["contact"]["channels"]] == ["web"]
