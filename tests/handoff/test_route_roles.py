"""Every HTTP route of the app × every role (and no credentials) → the status expected.

The table below is the contract of least privilege (README: Roles and scopes). A route
the app serves without a row here, or a row for a route it does not serve, fails
`test_the_table_covers_every_route`, so a new route cannot ship unchecked. Public routes
(shoppers, providers, the console's log-in page, operations) are listed in `PUBLIC`.

The scene: operators of each role (all in-house, `internal`, so kind rules stay out of
the way; `test_visibility.py` covers kinds) and one conversation resolved by someone
else, which only roles with `conversations:all` (manager, admin) may reach: the others
get 404 on every route under it, as for an id that was never used.

People who hold several roles (`COMBOS`) are asked too: their scopes add up, so a route
answers them as it answers the most powerful of their roles *for that route*
(`with_combos`), never as their "highest" role alone: an editor who is also a reviewer
reviews, an operator who is also an editor edits but does not review.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import websockets
from fastapi import FastAPI

from relevo.app import create_app
from relevo.app.settings import Settings, load_settings
from relevo.bot.types import Role
from tests.conftest import started
from tests.handoff.helpers import Op, add_operator, build_app, go_online, new_shopper, say
from tests.serve import serving
from tests.settle import settle

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64

NOBODY = "none"
# Several roles held at once: principal (also a saved-reply shortcut) → its roles.
COMBOS: dict[str, tuple[Role, ...]] = {
    "editor-reviewer": (Role.EDITOR, Role.REVIEWER),
    "operator-editor": (Role.OPERATOR, Role.EDITOR),
    "reviewer-manager": (Role.REVIEWER, Role.MANAGER),
}
PRINCIPALS = (*(role.value for role in Role), *COMBOS, NOBODY)
ADMIN, MANAGER = Role.ADMIN.value, Role.MANAGER.value


def everyone(status: int) -> dict[str, int]:
    """Every role gets `status`; no credentials, 401."""
    return with_combos({**{role.value: status for role in Role}, NOBODY: 401})


def only(allowed: dict[str, int], others: int) -> dict[str, int]:
    """The roles named get their status, the other roles `others`; no credentials, 401.
    A person of several roles gets the status of the first of them allowed (a 404 of
    an allowed role is "not found" once let through, not "out of reach")."""
    expect = {**{role.value: others for role in Role}, NOBODY: 401, **allowed}
    combos = {principal: next((allowed[r.value] for r in roles if r.value in allowed), others)
              for principal, roles in COMBOS.items()}
    return {**expect, **combos}


def with_combos(expect: dict[str, int]) -> dict[str, int]:
    """`expect` with what each person of several roles gets: their scopes add up, so the
    furthest any of their roles gets — let through (any status but 403/404) beats
    forbidden (403, in reach but not allowed), which beats out of reach (404)."""

    def progress(status: int) -> int:
        return {404: 0, 403: 1}.get(status, 2)

    combos = {principal: max((expect[role.value] for role in roles), key=progress)
              for principal, roles in COMBOS.items()}
    return {**expect, **combos}


# Routes under /conversations/{id} for a conversation resolved by another operator.
def reaching(status: int) -> dict[str, int]:
    return only({ADMIN: status, MANAGER: status}, 404)


@dataclass(frozen=True)
class Row:
    method: str  # GET, POST, …, or WS for a WebSocket
    route: str  # as the app declares it
    expect: dict[str, int]
    url: str = ""  # the request, `{name}` filled from the scene (default: `route`)
    body: Any = None


C = "/api/conversations/{conversation_id}"
KB = "/api/kb/articles"
CLUSTER, NO_CLUSTER = "/api/kb/clusters/{cluster_id}", "/api/kb/clusters/999999"
EDITOR, REVIEWER = Role.EDITOR.value, Role.REVIEWER.value
KB_CONTENT = {"topic": "store", "title": {"en": "Scene"}, "questions": {"en": ["scene?"]},
              "answer": {"en": "A scene."}}
KB_ARTICLE = {**KB_CONTENT, "intent": "kb_scene"}
ROWS = (
    Row("GET", "/api/operators/me", everyone(200)),
    Row("POST", "/api/operators/me/presence", everyone(200), body={"status": "offline"}),
    Row("GET", "/api/operators/me/signatures", everyone(200)),
    Row("PUT", "/api/operators/me/signatures", everyone(200),
        body={"signatures": {"es": {"title": "especialista"}}}),
    Row("GET", "/api/operators", everyone(200)),
    Row("GET", "/api/leaderboard", everyone(200)),
    Row("GET", "/api/csat", everyone(200)),  # others' ratings only with ratings:read
    Row("GET", "/api/conversations", everyone(200)),  # filtered by reach
    Row("GET", C, reaching(200)),
    Row("GET", C + "/suggestions", reaching(200)),
    Row("POST", C + "/claim", reaching(409)),  # in reach, but resolved
    Row("POST", C + "/messages", reaching(409), body={"text": "hello"}),
    Row("POST", C + "/notes", reaching(201), body={"text": "for the record"}),
    Row("POST", C + "/resolve", reaching(409)),
    Row("POST", C + "/return-to-bot", reaching(409)),
    Row("POST", C + "/transfer", reaching(409), body={"pool": {"kinds": ["internal"]}}),
    # In reach, but not assigned to the one typing.
    Row("POST", C + "/typing", reaching(403), body={"active": True}),
    # A file the shopper sent, for those who may read the conversation.
    Row("GET", C + "/messages/{message_id}/attachments/{index}", reaching(200),
        url=C + "/messages/{attachment_message_id}/attachments/0"),
    # Saved replies: everyone reads them, managers and admins write them.
    Row("GET", "/api/saved-replies", everyone(200)),
    Row("POST", "/api/saved-replies", only({ADMIN: 201, MANAGER: 201}, 403),
        body={"language": "en", "shortcut": "hi-{principal}", "title": "Hi", "text": "Hi!"}),
    Row("PATCH", "/api/saved-replies/{reply_id}", only({ADMIN: 200, MANAGER: 200}, 403),
        url="/api/saved-replies/{saved_reply_id}", body={"title": "Hello"}),
    Row("DELETE", "/api/saved-replies/{reply_id}", only({ADMIN: 200, MANAGER: 200}, 403),
        url="/api/saved-replies/{own_reply_id}"),
    Row("POST", "/api/operators", only({ADMIN: 201}, 403),
        body={"name": "Newcomer", "kind": "expert"}),
    Row("PATCH", "/api/operators/{operator_id}", only({ADMIN: 200}, 403),
        url="/api/operators/{edited_id}", body={"max_concurrent": 4, "role": "reviewer"}),
    Row("DELETE", "/api/operators/{operator_id}", only({ADMIN: 200}, 403),
        url="/api/operators/{removed_id}"),
    Row("WS", "/api/ws", everyone(101)),
    # GDPR and the audit log: admins only.
    Row("GET", "/api/contacts/{contact_id}/export", only({ADMIN: 200}, 403)),
    Row("POST", "/api/contacts/{contact_id}/erase", only({ADMIN: 200}, 403),
        url="/api/contacts/{erased_contact_id}/erase"),
    Row("GET", "/api/audit", only({ADMIN: 200}, 403)),
    # The knowledge base's articles (knowledge_base/api.py; tests/knowledge_base prove the
    # workflow): everyone reads, editors and admins write drafts, reviewers and admins
    # review. The scene's article `kb_scene` is a draft at revision 1 nobody may publish
    # unsubmitted but an admin (reviewer and editor at once).
    Row("GET", KB, everyone(200)),
    Row("GET", KB + "/{intent}", everyone(200), url=KB + "/kb_scene"),
    Row("GET", KB + "/{intent}/revisions", everyone(200), url=KB + "/kb_scene/revisions"),
    Row("GET", KB + "/{intent}/revisions/{number}", everyone(200),
        url=KB + "/kb_scene/revisions/1"),
    Row("GET", KB + "/{intent}/diff", everyone(200), url=KB + "/kb_scene/diff?from=1&to=1"),
    Row("POST", KB, only({ADMIN: 201, EDITOR: 201}, 403),
        body={**KB_ARTICLE, "intent": "kb_{principal}"}),
    Row("PUT", KB + "/{intent}", only({ADMIN: 409, EDITOR: 409}, 403),  # stale on purpose
        url=KB + "/kb_scene", body={**KB_CONTENT, "base_revision": 99}),
    Row("POST", KB + "/{intent}/restore", only({ADMIN: 409, EDITOR: 409}, 403),
        url=KB + "/kb_scene/restore", body={"revision": 1, "base_revision": 99}),
    Row("POST", KB + "/{intent}/submit", only({ADMIN: 404, EDITOR: 404}, 403),
        url=KB + "/kb_none/submit", body={}),
    Row("POST", KB + "/{intent}/reject", only({ADMIN: 409, REVIEWER: 409}, 403),
        url=KB + "/kb_scene/reject", body={"note": "no"}),
    Row("POST", KB + "/{intent}/publish", only({ADMIN: 409, REVIEWER: 409}, 403),
        url=KB + "/kb_scene/publish", body={"revision": 99}),
    Row("POST", KB + "/{intent}/archive", only({ADMIN: 404, REVIEWER: 404}, 403),
        url=KB + "/kb_none/archive", body={}),
    # The unanswered-question inbox (knowledge_base/inbox_api.py): everyone reads and
    # proposes, editors work clusters, reviewers decline proposals. No cluster exists.
    Row("GET", "/api/kb/clusters", everyone(200)),
    Row("GET", CLUSTER, everyone(404), url=NO_CLUSTER),
    Row("POST", CLUSTER + "/resolve", only({ADMIN: 404, EDITOR: 404}, 403),
        url=NO_CLUSTER + "/resolve", body={"article": "kb_scene"}),
    Row("POST", CLUSTER + "/dismiss", only({ADMIN: 404, EDITOR: 404}, 403),
        url=NO_CLUSTER + "/dismiss", body={"reason": "spam"}),
    Row("POST", CLUSTER + "/proposals", everyone(404), url=NO_CLUSTER + "/proposals",
        body={"answer": "We ship on Saturdays."}),
    Row("POST", "/api/kb/proposals/{proposal_id}/decline",
        only({ADMIN: 404, REVIEWER: 404}, 403), url="/api/kb/proposals/999999/decline",
        body={}),
    # The knowledge base's preview and models (kb:propose reads, kb:review retrains);
    # the retrain comes last: it swaps the models the rows above are served by.
    Row("POST", "/api/kb/preview", everyone(200), body={"text": "shipping?"}),
    Row("POST", "/api/kb/replay", everyone(200), body={"article": {
        "intent": "gift_wrap", "topic": "product", "title": {"en": "Gift wrap"},
        "questions": {"en": ["Do you gift wrap?"]}, "answer": {"en": "Yes."}}}),
    Row("GET", "/api/kb/models", everyone(200)),
    Row("POST", "/api/kb/models", only({ADMIN: 202, Role.REVIEWER.value: 202}, 403)),
)

# Routes without operator credentials: shoppers, providers (signed), log-in, operations.
PUBLIC = {
    ("GET", "/"), ("GET", "/widget.js"), ("GET", "/console/audit.js"),
    ("GET", "/console/compose.js"), ("GET", "/console/render.js"), ("GET", "/console/alerts.js"),
    ("GET", "/console/formatting.js"),
    ("GET", "/editor"), ("GET", "/editor/editor.js"), ("GET", "/editor/editor.css"),
    ("GET", "/editor/formatting.js"),
    ("GET", "/console/profile.js"),
    ("POST", "/webchat/sessions"), ("POST", "/webchat/messages"),
    ("GET", "/webchat/messages"), ("WS", "/webchat/ws"),
    ("POST", "/webchat/link"), ("POST", "/webchat/link/confirm"),
    ("POST", "/webchat/attachments"),
    ("POST", "/webhooks/telegram"), ("POST", "/webhooks/twilio/whatsapp"),
    ("POST", "/webhooks/twilio/whatsapp/status"), ("POST", "/slack/events"),
    ("GET", "/console"), ("GET", "/console/console.js"), ("GET", "/console/console.css"),
    ("POST", "/console/session"), ("DELETE", "/console/session"),
    ("POST", "/model/parse"), ("GET", "/healthz"), ("GET", "/metrics"),
    ("GET", "/openapi.json"), ("GET", "/docs"), ("GET", "/docs/oauth2-redirect"),
    ("GET", "/redoc"),
}


def served_routes(app: FastAPI) -> set[tuple[str, str]]:
    """(method, path) of every route the app serves; WebSockets as `WS`."""
    from fastapi import routing

    contexts: Iterator[Any] = (
        routing.iter_route_contexts(app.routes) if hasattr(routing, "iter_route_contexts")
        else iter(app.routes)  # FastAPI before included routers were kept whole
    )
    served = set()
    for route in contexts:
        methods = set(route.methods or ()) - {"HEAD"} if route.methods else {"WS"}
        served |= {(method, str(route.path)) for method in methods}
    return served


def every_channel_app(tmp_path: Path) -> FastAPI:
    """The app with every optional channel configured: all its routes (never started)."""
    nowhere = "http://127.0.0.1:9"
    settings = load_settings(
        os.devnull, database_url=f"sqlite+aiosqlite:///{tmp_path / 'routes.db'}",
        nlu={"backend": "none"},
        telegram={"api_base_url": nowhere, "bot_token": "7000000001:AAFakeTokenForRelevoTests",
                  "webhook_secret": "a-webhook-secret"},
        twilio={"api_base_url": nowhere, "account_sid": "AC" + "0" * 32,
                "auth_token": "f" * 32, "whatsapp_from": "whatsapp:+14155238886",
                "public_base_url": "https://shop.example.com",
                "media_dir": str(tmp_path / "media")},
        slack={"api_base_url": nowhere + "/api/", "bot_token": "xoxb-1-2-fake",
               "signing_secret": "a-signing-secret", "channel": "C0SUPPORT01"},
    )
    return create_app(settings)


def test_the_table_covers_every_route(tmp_path: Path) -> None:
    served = served_routes(every_channel_app(tmp_path))
    table = {(row.method, row.route) for row in ROWS}
    assert sorted(served - PUBLIC - table) == [], "routes without a row in ROWS"
    assert sorted(table - served) == [], "rows for routes the app does not serve"
    assert sorted(PUBLIC - served) == [], "PUBLIC names routes the app does not serve"
    assert not PUBLIC & table


@dataclass
class Scene:
    principals: dict[str, Op | None]
    values: dict[str, int]
    # Values that differ per principal (each deletes a saved reply of its own).
    own: dict[str, dict[str, int]]


async def _scene(app: FastAPI, client: httpx.AsyncClient) -> Scene:
    staff = {role.value: await add_operator(app, role.value.title(), role=role) for role in Role}
    for principal, roles in COMBOS.items():
        staff[principal] = await add_operator(app, principal.title(), roles=roles)
    principals: dict[str, Op | None] = {**staff, NOBODY: None}
    holder = await add_operator(app, "Hal")
    await go_online(client, holder)
    cid, attachment_message_id = await _with_a_photo(app, client)
    for action in ("claim", "resolve"):
        done = await client.post(f"/api/conversations/{cid}/{action}", headers=holder.headers)
        assert done.status_code == 200, done.text
    await go_online(client, holder, "offline")
    other = await say(app, client, await new_shopper(client), "hello")
    detail = await client.get(f"/api/conversations/{cid}", headers=staff[ADMIN].headers)
    erased = await client.get(f"/api/conversations/{other}", headers=staff[ADMIN].headers)
    replies = [await _saved_reply(client, staff[ADMIN], shortcut)
               for shortcut in ("kept", *PRINCIPALS)]
    article = await client.post(KB, headers=staff[ADMIN].headers, json=KB_ARTICLE)
    assert article.status_code == 201, article.text
    return Scene(principals, {
        "saved_reply_id": replies[0],
        "conversation_id": cid,
        "attachment_message_id": attachment_message_id,
        "contact_id": detail.json()["contact"]["id"],
        "erased_contact_id": erased.json()["contact"]["id"],
        "edited_id": (await add_operator(app, "Edith")).id,
        "removed_id": (await add_operator(app, "Remy")).id,
    }, {principal: {"own_reply_id": reply} for principal, reply in zip(
        PRINCIPALS, replies[1:], strict=True)})


async def _with_a_photo(app: FastAPI, client: httpx.AsyncClient) -> tuple[int, int]:
    """A shopper asks for a person with a photo attached: the conversation and message."""
    shopper = await new_shopper(client)
    uploaded = await client.post("/webchat/attachments?name=box.png", content=PNG,
                                 headers={**shopper, "Content-Type": "image/png"})
    assert uploaded.status_code == 201, uploaded.text
    sent = await client.post("/webchat/messages", headers=shopper, json={
        "text": "I want a person", "attachments": [uploaded.json()["id"]]})
    assert sent.status_code == 202, sent.text
    await settle(app)
    return int(sent.json()["conversation_id"]), int(sent.json()["message_id"])


async def _saved_reply(client: httpx.AsyncClient, admin: Op, shortcut: str) -> int:
    added = await client.post("/api/saved-replies", headers=admin.headers, json={
        "language": "es", "shortcut": shortcut, "title": shortcut, "text": "Hola {name}"})
    assert added.status_code == 201, added.text
    return int(added.json()["saved_reply"]["id"])


async def _socket_status(address: str, op: Op | None) -> int:
    query = f"?token={op.token}" if op is not None else ""
    try:
        async with websockets.connect(f"ws://{address}/api/ws{query}") as socket:
            hello = json.loads(await socket.recv())
            return 101 if hello.get("type") == "hello" else 0
    except websockets.exceptions.InvalidStatus as refused:
        return int(refused.response.status_code)


async def _status(
    client: httpx.AsyncClient, address: str, row: Row, scene: Scene, principal: str
) -> int:
    op = scene.principals[principal]
    if row.method == "WS":
        return await _socket_status(address, op)
    url = (row.url or row.route).format(**scene.values, **scene.own[principal])
    headers = op.headers if op is not None else {}
    body = row.body
    if isinstance(body, dict):  # "{principal}" in a body: one value per principal
        body = {k: v.format(principal=principal.replace("-", "_")) if isinstance(v, str) else v
                for k, v in body.items()}
    response = await client.request(row.method, url, headers=headers, json=body)
    return response.status_code


async def test_every_route_answers_every_role_as_the_table_says(
    make_settings: Callable[..., Settings], tmp_path: Path,
) -> None:
    media = {"media_dir": str(tmp_path / "media")}
    app = build_app(lambda **options: make_settings(webchat=media, **options))
    async with started(app) as client:
        scene = await _scene(app, client)
        async with serving(app, lifespan=False) as address:
            wrong = [
                f"{principal:>8} {row.method} {row.route}: {status}, expected {expected}"
                for row in ROWS
                for principal in PRINCIPALS
                if (status := await _status(client, address, row, scene, principal))
                != (expected := row.expect[principal])
            ]
    assert wrong == []


@pytest.mark.parametrize("row", ROWS, ids=lambda row: f"{row.method} {row.route}")
def test_every_row_names_every_principal(row: Row) -> None:
    assert set(row.expect) == set(PRINCIPALS)
