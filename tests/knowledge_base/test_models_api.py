"""`/api/kb/preview`, `/api/kb/replay` and `/api/kb/models` over HTTP through the app,
on both databases: what the bot answers now and with a draft (the real embedded NLU on
the demo shop), the answers a draft changes with regressions flagged, retraining and
the version history, and each role refused what it may not do."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from relevo.app import create_app
from relevo.app.settings import Settings
from relevo.bot.types import Role
from tests.conftest import started
from tests.handoff.helpers import add_operator, new_shopper, say
from tests.settle import wait_until

# The demo shop's delivery-times article rewritten about gift wrapping: its own
# questions move to it, and shoppers asking about delivery times lose their answer.
GIFT_WRAP_DRAFT: dict[str, Any] = {
    "intent": "shipping_times",
    "topic": "shipping",
    "tags": ["gifts"],
    "title": {"en": "Gift wrapping", "es": "Envolver para regalo"},
    "questions": {
        "en": ["Do you offer gift wrapping?", "Can you gift wrap my order?",
               "Is gift wrapping available?"],
        "es": ["¿Envolvéis para regalo?", "¿Podéis envolver mi pedido para regalo?",
               "¿Tenéis papel de regalo?"],
    },
    "answer": {"en": "Gift wrapping costs 2 euros.", "es": "Envolver para regalo cuesta 2 euros."},
}


def embedded_app(make_settings: Callable[..., Settings], tmp_path: Path) -> Any:
    return create_app(make_settings(
        nlu={"backend": "embedded", "model_path": str(tmp_path / "nlu-model.npz")}))


async def test_preview_and_replay_show_what_a_draft_would_change(
    make_settings: Callable[..., Settings], tmp_path: Path
) -> None:
    app = embedded_app(make_settings, tmp_path)
    async with started(app) as client:
        ana = await add_operator(app, "Ana", role=Role.OPERATOR)  # kb:propose is enough
        shopper = await new_shopper(client)
        await say(app, client, shopper, "How long does delivery take?")
        await say(app, client, await new_shopper(client), "¿Cuánto tarda en llegar un pedido?")

        preview = await client.post("/api/kb/preview", headers=ana.headers, json={
            "text": "How long does delivery take?", "locale": "en", "article": GIFT_WRAP_DRAFT})
        assert preview.status_code == 200, preview.text
        current, draft = preview.json()["current"], preview.json()["draft"]
        assert (current["decision"], current["intent"], current["title"]) == (
            "answer", "shipping_times", "Delivery times")
        assert "business days" in current["text"]
        assert draft["intent"] != "shipping_times" or draft["decision"] != "answer"

        wrapped = await client.post("/api/kb/preview", headers=ana.headers, json={
            "text": "do you offer gift wrapping", "article": GIFT_WRAP_DRAFT})
        assert wrapped.json()["draft"] == {
            "decision": "answer", "intent": "shipping_times", "title": "Gift wrapping",
            "text": "Gift wrapping costs 2 euros.",
            "confidence": wrapped.json()["draft"]["confidence"]}
        alone = await client.post("/api/kb/preview", headers=ana.headers,
                                  json={"text": "do you offer gift wrapping"})
        assert alone.json()["draft"] is None
        assert alone.json()["current"]["intent"] != "shipping_times"

        replay = await client.post("/api/kb/replay", headers=ana.headers,
                                   json={"article": GIFT_WRAP_DRAFT})
        assert replay.status_code == 200, replay.text
        body = replay.json()
        assert body["checked"] == 8  # the draft's 6 questions + the 2 shoppers'
        changes = {change["text"]: change for change in body["changes"]}
        lost = changes["How long does delivery take?"]
        assert (lost["source"], lost["locale"], lost["expected"]) == (
            "shopper", "en", "shipping_times")
        assert lost["before"]["decision"] == "answer"
        assert lost["before"]["intent"] == "shipping_times"
        assert lost["regression"] is True
        assert changes["¿Cuánto tarda en llegar un pedido?"]["regression"] is True
        gained = changes["Do you offer gift wrapping?"]
        assert (gained["source"], gained["expected"], gained["regression"]) == (
            "article", "shipping_times", False)
        assert gained["after"] == {"decision": "answer", "intent": "shipping_times",
                                   "confidence": gained["after"]["confidence"]}


async def test_a_reviewer_retrains_and_the_versions_are_listed(
    make_settings: Callable[..., Settings]
) -> None:
    app = create_app(make_settings())
    async with started(app) as client:
        rita = await add_operator(app, "Rita", role=Role.REVIEWER)
        empty = (await client.get("/api/kb/models", headers=rita.headers)).json()
        assert empty == {"serving": None, "training": False, "last_failure": None,
                         "history": []}

        asked = await client.post("/api/kb/models", headers=rita.headers)
        assert (asked.status_code, asked.json()) == (202, {"requested": True})

        async def finished() -> dict[str, Any] | None:
            status = (await client.get("/api/kb/models", headers=rita.headers)).json()
            done = status["history"] and status["history"][0]["status"] != "training"
            return status if done and not status["training"] else None

        status = await wait_until(finished, "the retrain to finish")
        [version] = status["history"]
        assert version["status"] == "ready" and version["error"] is None
        assert version["articles"] > 50 and version["examples"] > version["articles"]
        assert status["serving"]["version"] == version["version"]
        assert status["last_failure"] is None


async def test_each_role_is_refused_what_it_may_not_do(
    make_settings: Callable[..., Settings]
) -> None:
    app = create_app(make_settings())
    async with started(app) as client:
        operator = await add_operator(app, "Olga", role=Role.OPERATOR)
        editor = await add_operator(app, "Eva", role=Role.EDITOR)
        for who, role in ((operator, "operator"), (editor, "editor")):
            refused = await client.post("/api/kb/models", headers=who.headers)
            assert refused.status_code == 403
            assert refused.json() == {
                "detail": f"your roles ({role}) may not do this: it needs kb:review"}
        for method, path, body in (
            ("POST", "/api/kb/preview", {"text": "hi"}),
            ("POST", "/api/kb/replay", {"article": GIFT_WRAP_DRAFT}),
            ("GET", "/api/kb/models", None),
            ("POST", "/api/kb/models", None),
        ):
            anonymous = await client.request(method, path, json=body)
            assert anonymous.status_code == 401, path
        assert (await client.get("/api/kb/models", headers=operator.headers)).status_code == 200


async def test_an_invalid_draft_is_refused_naming_the_field(
    make_settings: Callable[..., Settings]
) -> None:
    app = create_app(make_settings())
    async with started(app) as client:
        eva = await add_operator(app, "Eva", role=Role.EDITOR)
        cases = {
            "answer.en": {**GIFT_WRAP_DRAFT, "answer": {"en": " ", "es": "Sí."}},
            "title.es": {**GIFT_WRAP_DRAFT, "title": {"en": "Gift wrapping"}},
            "topic": {**GIFT_WRAP_DRAFT, "topic": "weather"},
            "intent": {**GIFT_WRAP_DRAFT, "intent": "Gift Wrap"},
        }
        for field, article in cases.items():
            for path, body in (("/api/kb/replay", {"article": article}),
                               ("/api/kb/preview", {"text": "hola", "article": article})):
                refused = await client.post(path, headers=eva.headers, json=body)
                assert refused.status_code == 422, (field, refused.text)
                assert refused.json()["field"] == field
                assert refused.json()["detail"].startswith(f"{field}: ")
        missing = await client.post("/api/kb/preview", headers=eva.headers, json={"text": ""})
        assert missing.status_code == 422


async def test_models_routes_are_in_the_openapi_schema(
    make_settings: Callable[..., Settings]
) -> None:
    app = create_app(make_settings())
    paths = app.openapi()["paths"]
    for path, method in (("/api/kb/preview", "post"), ("/api/kb/replay", "post"),
                         ("/api/kb/models", "get"), ("/api/kb/models", "post")):
        operation = paths[path][method]
        assert operation["summary"]
        assert {"401", "403"} <= set(operation["responses"])
    assert "422" in paths["/api/kb/replay"]["post"]["responses"]


