"""`/api/kb/articles…` over HTTP with operator tokens of each role, on both databases:
who may do what (table-driven, every route), the edit → review → publish story, the
409 that carries the newer revision, 422 that names the field, XSS stored verbatim."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from relevo.app.settings import Settings
from relevo.bot.types import Role
from tests.conftest import started
from tests.handoff.helpers import Op, add_operator, build_app

GIFT: dict[str, Any] = {
    "intent": "gift_wrapping", "topic": "orders", "tags": ["gifts"],
    "title": {"en": "Gift wrapping", "es": "Envolver para regalo"},
    "questions": {"en": ["Can you gift wrap my order?"],
                  "es": ["¿Podéis envolverlo para regalo?"]},
    "answer": {"en": "Yes, for 2 euros.", "es": "Sí, por 2 euros."},
}
A = "/api/kb/articles"


def content(**changes: Any) -> dict[str, Any]:
    return {**{k: v for k, v in GIFT.items() if k != "intent"}, **changes}


@dataclass
class Kb:
    client: httpx.AsyncClient
    staff: dict[str, Op]

    async def call(self, role: str, method: str, url: str, body: Any = None) -> httpx.Response:
        return await self.client.request(method, url, json=body,
                                         headers=self.staff[role].headers)


@pytest.fixture
async def kb(make_settings: Callable[..., Settings]) -> AsyncIterator[Kb]:
    app: FastAPI = build_app(make_settings)
    async with started(app) as client:
        staff = {role.value: await add_operator(app, role.value.title(), role=role)
                 for role in Role}
        yield Kb(client, staff)


# Every articles route, the scope it needs, and a request that is valid in the scene
# (`gift_wrapping` exists as a draft at revision 1).
EDIT, REVIEW, PROPOSE = "kb:edit", "kb:review", "kb:propose"
ROUTES = (
    ("GET", A, None, PROPOSE),
    ("GET", f"{A}/gift_wrapping", None, PROPOSE),
    ("GET", f"{A}/gift_wrapping/revisions", None, PROPOSE),
    ("GET", f"{A}/gift_wrapping/revisions/1", None, PROPOSE),
    ("GET", f"{A}/gift_wrapping/diff?from=1&to=1", None, PROPOSE),
    ("POST", A, {**GIFT, "intent": "new_one"}, EDIT),
    ("PUT", f"{A}/gift_wrapping", {**content(), "base_revision": 1}, EDIT),
    ("POST", f"{A}/gift_wrapping/restore", {"revision": 1, "base_revision": 1}, EDIT),
    ("POST", f"{A}/gift_wrapping/submit", {}, EDIT),
    ("POST", f"{A}/gift_wrapping/reject", {"note": "no"}, REVIEW),
    ("POST", f"{A}/gift_wrapping/publish", {}, REVIEW),
    ("POST", f"{A}/gift_wrapping/archive", {}, REVIEW),
)
HOLDERS = {PROPOSE: set(Role), EDIT: {Role.EDITOR, Role.ADMIN},
           REVIEW: {Role.REVIEWER, Role.ADMIN}}


@pytest.mark.parametrize(("method", "url", "body", "scope"), ROUTES,
                         ids=[f"{m} {u}" for m, u, _, _ in ROUTES])
async def test_each_role_without_the_scope_is_refused(
    kb: Kb, method: str, url: str, body: Any, scope: str
) -> None:
    assert (await kb.call("admin", "POST", A, GIFT)).status_code == 201
    for role in Role:
        answer = await kb.call(role.value, method, url, body)
        if role in HOLDERS[scope]:
            assert answer.status_code not in (401, 403), (role, answer.text)
            continue
        assert answer.status_code == 403, (role, answer.text)
        assert answer.json() == {
            "detail": f"your roles ({role.value}) may not do this: it needs {scope}"}
    nobody = await kb.client.request(method, url, json=body)
    assert nobody.status_code == 401


async def test_an_editor_writes_a_reviewer_sends_back_then_publishes(kb: Kb) -> None:
    created = await kb.call("editor", "POST", A, {**GIFT, "note": "first"})
    assert created.status_code == 201, created.text
    assert created.json()["owner"] == {"id": kb.staff["editor"].id, "name": "Editor"}
    assert (created.json()["status"], created.json()["head_revision"]) == ("draft", 1)
    saved = await kb.call("editor", "PUT", f"{A}/gift_wrapping", {
        **content(answer={"en": "Yes, 3 euros.", "es": "Sí, 3 euros."}), "base_revision": 1})
    assert saved.status_code == 200, saved.text
    assert (await kb.call("editor", "POST", f"{A}/gift_wrapping/submit", {})).status_code == 200
    queue = await kb.call("reviewer", "GET", f"{A}?status=in_review")
    assert [a["intent"] for a in queue.json()["articles"]] == ["gift_wrapping"]
    rejected = await kb.call("reviewer", "POST", f"{A}/gift_wrapping/reject",
                             {"note": "say when"})
    assert rejected.json()["status"] == "draft"
    not_yet = await kb.call("reviewer", "POST", f"{A}/gift_wrapping/publish", {})
    assert not_yet.status_code == 409, not_yet.text
    await kb.call("editor", "POST", f"{A}/gift_wrapping/submit", {"note": "done"})
    published = await kb.call("reviewer", "POST", f"{A}/gift_wrapping/publish",
                              {"revision": 2, "note": "ok"})
    assert published.status_code == 200, published.text
    body = published.json()
    assert (body["status"], body["published_revision"]) == ("published", 2)
    assert body["published"]["answer"]["en"] == "Yes, 3 euros."
    assert body["model"] == {"requested": False}  # no publisher wired: the next start
    assert [e["action"] for e in body["events"]] == [
        "create", "save", "submit", "reject", "submit", "publish"]
    assert body["events"][-1]["actor"] == {"id": kb.staff["reviewer"].id, "name": "Reviewer"}
    revisions = (await kb.call("operator", "GET", f"{A}/gift_wrapping/revisions")).json()
    assert [(r["number"], r["published"]) for r in revisions["revisions"]] == [
        (2, True), (1, False)]
    diff = (await kb.call("operator", "GET", f"{A}/gift_wrapping/diff?from=1&to=2")).json()
    assert [c["field"] for c in diff["changes"]] == ["answer.en", "answer.es"]
    assert diff["changes"][0]["diff"][-2:] == ["-Yes, for 2 euros.", "+Yes, 3 euros."]


async def test_a_stale_save_gets_409_with_the_newer_revision(kb: Kb) -> None:
    await kb.call("editor", "POST", A, GIFT)
    first = await kb.call("admin", "PUT", f"{A}/gift_wrapping", {
        **content(title={"en": "Wrapping", "es": "Envoltorio"}), "base_revision": 1})
    assert first.status_code == 200
    late = await kb.call("editor", "PUT", f"{A}/gift_wrapping", {
        **content(answer={"en": "Mine.", "es": "Mío."}), "base_revision": 1})
    assert late.status_code == 409
    assert late.json()["detail"].startswith(
        "article 'gift_wrapping' changed since revision 1: revision 2 by Admin at ")
    assert late.json()["current"]["number"] == 2
    assert late.json()["current"]["content"]["title"]["en"] == "Wrapping"
    head = (await kb.call("editor", "GET", f"{A}/gift_wrapping")).json()
    assert (head["head_revision"], head["content"]["answer"]["en"]) == (2, "Yes, for 2 euros.")


async def test_restore_makes_a_new_draft_revision(kb: Kb) -> None:
    await kb.call("editor", "POST", A, GIFT)
    await kb.call("editor", "PUT", f"{A}/gift_wrapping",
                  {**content(tags=["oops"]), "base_revision": 1})
    restored = await kb.call("editor", "POST", f"{A}/gift_wrapping/restore",
                             {"revision": 1, "base_revision": 2})
    assert restored.status_code == 200, restored.text
    assert (restored.json()["head_revision"], restored.json()["content"]["tags"]) == (
        3, ["gifts"])
    three = (await kb.call("editor", "GET", f"{A}/gift_wrapping/revisions/3")).json()
    assert three["note"] == "restored revision 1"


@pytest.mark.parametrize(("body", "field"), [
    ({**GIFT, "questions": {"en": ["Wrap?"], "es": []}}, "questions.es"),
    ({**GIFT, "answer": {"en": "", "es": "Sí."}}, "answer.en"),
    ({**GIFT, "intent": "Gift!"}, "intent"),
    ({**GIFT, "topic": "weather"}, "topic"),
    ({**GIFT, "tags": ["Bad Tag"]}, "tags"),
    ({**GIFT, "title": {"en": "Gift wrapping"}}, "title.es"),
    ({**GIFT, "answer": {"en": 5, "es": "Sí."}}, "answer.en"),  # not a string at all
    # the safe formatting subset: links are http(s) or mailto only
    ({**GIFT, "answer": {"en": "[Track](javascript:alert(1))", "es": "Sí."}}, "answer.en"),
    ({**GIFT, "answer": {"en": "Yes.", "es": "[aquí](data:text/html,x)"}}, "answer.es"),
])
async def test_an_invalid_article_is_422_naming_the_field(
    kb: Kb, body: dict[str, Any], field: str
) -> None:
    refused = await kb.call("editor", "POST", A, body)
    assert refused.status_code == 422, refused.text
    assert refused.json()["field"] == field
    assert refused.json()["detail"].startswith(f"{field}: ")
    assert (await kb.call("editor", "GET", A)).json() == {"articles": []}


async def test_a_save_may_repeat_the_intent_but_not_rename(kb: Kb) -> None:
    await kb.call("editor", "POST", A, GIFT)
    same = await kb.call("editor", "PUT", f"{A}/gift_wrapping",
                         {**content(), "intent": "gift_wrapping", "base_revision": 1})
    renamed = await kb.call("editor", "PUT", f"{A}/gift_wrapping",
                            {**content(), "intent": "wrapping", "base_revision": 2})
    assert same.status_code == 200, same.text
    assert (renamed.status_code, renamed.json()["field"]) == (422, "intent")


async def test_missing_articles_and_revisions_are_404(kb: Kb) -> None:
    missing = await kb.call("editor", "GET", f"{A}/nope")
    assert (missing.status_code, missing.json()) == (
        404, {"detail": "article 'nope' does not exist"})
    await kb.call("editor", "POST", A, GIFT)
    assert (await kb.call("editor", "GET", f"{A}/gift_wrapping/revisions/9")).status_code \
        == 404
    duplicate = await kb.call("editor", "POST", A, GIFT)
    assert duplicate.status_code == 409


async def test_an_xss_payload_is_stored_verbatim_and_returned_as_json(kb: Kb) -> None:
    payload = '<img src=x onerror="window.__xss=1"><script>alert(1)</script>'
    created = await kb.call("editor", "POST", A, {
        **GIFT, "answer": {"en": payload, "es": "Sí."}, "title": {"en": payload, "es": "x"}})
    assert created.status_code == 201, created.text
    assert created.headers["content-type"] == "application/json"
    shown = (await kb.call("operator", "GET", f"{A}/gift_wrapping")).json()
    assert shown["content"]["answer"]["en"] == payload
    assert shown["title"]["en"] == payload


async def test_the_list_filters_by_status_topic_language_owner_and_text(kb: Kb) -> None:
    await kb.call("editor", "POST", A, GIFT)
    await kb.call("admin", "POST", A, {
        **GIFT, "intent": "store_hours", "topic": "store", "title": {"en": "Opening hours"},
        "questions": {"en": ["When are you open?"]}, "answer": {"en": "9 to 5."}})

    async def intents(query: str, role: str = "editor") -> list[str]:
        listed = await kb.call(role, "GET", f"{A}?{query}")
        assert listed.status_code == 200, listed.text
        return [a["intent"] for a in listed.json()["articles"]]

    assert await intents("") == ["gift_wrapping", "store_hours"]
    assert await intents("topic=store") == ["store_hours"]
    assert await intents("language=es") == ["gift_wrapping"]
    assert await intents("owner=me") == ["gift_wrapping"]
    assert await intents(f"owner={kb.staff['admin'].id}") == ["store_hours"]
    assert await intents("q=opening") == ["store_hours"]
    assert await intents("status=published") == []
    summary = (await kb.call("editor", "GET", f"{A}?q=gift")).json()["articles"][0]
    assert summary["languages"] == ["en", "es"]
    assert (summary["helpful"], summary["not_helpful"], summary["published_revision"]) == (
        0, 0, None)
    assert (await kb.call("editor", "GET", f"{A}?status=nope")).status_code == 422
