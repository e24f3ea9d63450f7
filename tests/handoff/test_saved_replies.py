"""Saved replies (`/api/saved-replies`): every operator reads and searches them by
language; only managers and admins write them; one shortcut per language; bad input is
a 4xx with its reason. On SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable

from relevo.app.settings import Settings
from relevo.bot.types import Role
from tests.conftest import started
from tests.handoff.helpers import add_operator, build_app

GREETING = {"language": "es", "shortcut": "hola", "title": "Saludo",
            "text": "¡Hola {name}! ¿En qué te ayudo?"}


async def test_managers_write_saved_replies_and_everyone_reads_them(
    make_settings: Callable[..., Settings],
) -> None:
    app = build_app(make_settings)
    async with started(app) as client:
        bea = await add_operator(app, "Bea", role=Role.MANAGER)
        ana = await add_operator(app, "Ana")
        added = await client.post("/api/saved-replies", json=GREETING, headers=bea.headers)
        for shortcut, language, text in (("envio", "es", "El envío tarda 2-3 días."),
                                         ("hello", "en", "Hello {name}!")):
            more = await client.post("/api/saved-replies", headers=bea.headers, json={
                "language": language, "shortcut": shortcut, "title": shortcut, "text": text})
            assert more.status_code == 201, more.text
        spanish = await client.get("/api/saved-replies?language=es-MX", headers=ana.headers)
        searched = await client.get("/api/saved-replies?language=es&q=ENVIO", headers=ana.headers)
        by_operator = await client.post("/api/saved-replies", json={**GREETING, "shortcut": "x"},
                                        headers=ana.headers)
        twice = await client.post("/api/saved-replies", json=GREETING, headers=bea.headers)
        bad = await client.post("/api/saved-replies", headers=bea.headers,
                                json={**GREETING, "shortcut": "Hola mundo"})
        reply_id = added.json()["saved_reply"]["id"]
        edited = await client.patch(f"/api/saved-replies/{reply_id}", headers=bea.headers,
                                    json={"title": "Bienvenida"})
        clash = await client.patch(f"/api/saved-replies/{reply_id}", headers=bea.headers,
                                   json={"shortcut": "envio"})
        nulled = await client.patch(f"/api/saved-replies/{reply_id}", headers=bea.headers,
                                    json={"text": None})
        refused_delete = await client.delete(f"/api/saved-replies/{reply_id}",
                                             headers=ana.headers)
        deleted = await client.delete(f"/api/saved-replies/{reply_id}", headers=bea.headers)
        gone = await client.delete(f"/api/saved-replies/{reply_id}", headers=bea.headers)
        left = await client.get("/api/saved-replies", headers=ana.headers)
        admin = await add_operator(app, "Ada", role=Role.ADMIN)
        audited = await client.get("/api/audit?action=saved_reply.", headers=admin.headers)
    assert added.status_code == 201, added.text
    assert added.json()["saved_reply"]["created_by"] == bea.id
    assert [(r["shortcut"], r["text"]) for r in spanish.json()["saved_replies"]] == [
        ("envio", "El envío tarda 2-3 días."), ("hola", "¡Hola {name}! ¿En qué te ayudo?")]
    assert [r["shortcut"] for r in searched.json()["saved_replies"]] == ["envio"]
    assert by_operator.status_code == 403
    assert "saved_replies:manage" in by_operator.json()["detail"]
    assert twice.status_code == 409
    assert twice.json() == {"detail": "a saved reply /hola already exists in es"}
    assert bad.status_code == 422
    assert edited.status_code == 200 and edited.json()["saved_reply"]["title"] == "Bienvenida"
    assert clash.status_code == 409
    assert nulled.status_code == 422
    assert refused_delete.status_code == 403
    assert deleted.json() == {"deleted": reply_id}
    assert gone.status_code == 404
    assert [r["shortcut"] for r in left.json()["saved_replies"]] == ["envio", "hello"]
    # Every change is in the audit log, by whom, oldest last; refused ones are not.
    trail = [(e["action"], e["actor"]["label"]) for e in audited.json()["entries"]]
    assert [action for action, _ in trail] == [
        "saved_reply.remove", "saved_reply.update", "saved_reply.create",
        "saved_reply.create", "saved_reply.create"]
    assert {label for _, label in trail} == {"Bea"}
    update = audited.json()["entries"][1]
    assert (update["before"], update["after"]) == ({"title": "Saludo"}, {"title": "Bienvenida"})


async def test_the_new_console_routes_are_in_openapi_with_typed_bodies(
    make_settings: Callable[..., Settings],
) -> None:
    app = build_app(make_settings)
    async with started(app) as client:
        schema = (await client.get("/openapi.json")).json()
    paths = schema["paths"]

    def body(path: str, method: str) -> str:
        content = paths[path][method]["requestBody"]["content"]["application/json"]
        return str(content["schema"]["$ref"]).rsplit("/", 1)[-1]

    assert body("/api/saved-replies", "post") == "SavedReplyBody"
    assert body("/api/saved-replies/{reply_id}", "patch") == "SavedReplyChange"
    assert "delete" in paths["/api/saved-replies/{reply_id}"]
    assert body("/api/conversations/{conversation_id}/typing", "post") == "TypingBody"
    listing = {p["name"] for p in paths["/api/conversations"]["get"]["parameters"]}
    assert {"state", "q", "limit", "offset"} <= listing
    fields = schema["components"]["schemas"]["SavedReplyBody"]["properties"]
    assert fields["shortcut"]["pattern"] == "^[a-z0-9][a-z0-9_-]{0,63}$"
