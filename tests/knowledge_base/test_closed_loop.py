"""The editors' loop, end to end over HTTP with the real embedded NLU, on both databases:
questions the knowledge base cannot answer arrive from shoppers → they are clustered in
the inbox → an editor writes an article from a cluster, a reviewer publishes it → the
model retrains in the background and swaps in → the same questions, and paraphrases
never seen before, are answered by the bot."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
from fastapi import FastAPI

from relevo.app import create_app
from relevo.app.settings import Settings
from relevo.bot.types import Role
from tests.conftest import started
from tests.handoff.helpers import Op, add_operator, new_shopper, say, transcript
from tests.settle import wait_until

UNANSWERED = {
    "en": [
        "do you sell wholesale to shops", "can i get wholesale prices for my store",
        "i run a small shop, can i buy your products wholesale", "wholesale price list please",
        "how do i become a reseller of your products", "do you have a wholesale account for "
        "retailers", "minimum order quantity for wholesale", "are there trade prices for "
        "resellers", "we are a retailer and want to stock your products wholesale",
        "who do I contact about wholesale",
    ],
    "es": [
        "venden al por mayor a tiendas", "tienen precios de mayorista para mi tienda",
        "tengo una tienda, puedo comprar sus productos al por mayor",
        "lista de precios al por mayor", "como puedo ser distribuidor de sus productos",
        "tienen cuenta mayorista para revendedores", "pedido minimo para mayoristas",
        "hay precios especiales para revendedores", "somos una tienda y queremos vender "
        "sus productos, venden al por mayor", "con quien hablo para compras al por mayor",
    ],
}
NEVER_SEEN = {
    "en": ["is there a wholesale programme for stores", "reseller pricing for my shop?"],
    "es": ["quiero comprar al por mayor para mi negocio", "precio mayorista para revender"],
}
ANSWER = {
    "en": "Yes: shops can buy wholesale from 20 units. Write to **wholesale@voltia.shop**.",
    "es": "Sí: las tiendas compran al por mayor desde 20 unidades. Escribe a "
          "**wholesale@voltia.shop**.",
}


def loop_app(make_settings: Callable[..., Settings]) -> FastAPI:
    # the real embedded NLU on the demo shop (seeded into the database on start)
    settings = make_settings(nlu={"backend": "embedded", "model_path": ""},
                             handoff={"sla": {"tick_seconds": 60}})
    return create_app(settings)


NONE_OF_THOSE = {"en": "none of those", "es": "ninguna de esas"}


async def bot_reply(app: FastAPI, client: httpx.AsyncClient, text: str, locale: str) -> str:
    """What the bot answered a new shopper who asked `text`. The shopper reacts as one
    whose question went unanswered would: picks none of the options of a "which one?",
    votes 👎 under a wrong answer."""
    shopper = await new_shopper(client)
    await say(app, client, shopper, text, locale=locale)
    replies = [m for m in await transcript(client, shopper) if m["author"]["kind"] != "shopper"]
    if not replies:
        return ""
    first = replies[0]
    if first.get("quick_replies") and not first.get("feedback"):
        await say(app, client, shopper, NONE_OF_THOSE[locale], locale=locale)
    elif first.get("feedback") and ANSWER[locale] != first["text"]:
        await say(app, client, shopper, f"👎 #{first['id']}", locale=locale)
    return str(first["text"])


async def clusters_of(client: httpx.AsyncClient, editor: Op, language: str) -> list[Any]:
    found = await client.get("/api/kb/clusters", params={"language": language},
                             headers=editor.headers)
    assert found.status_code == 200, found.text
    return list(found.json()["clusters"])


async def examples_filed(client: httpx.AsyncClient, editor: Op, language: str) -> set[str]:
    texts: set[str] = set()
    for found in await clusters_of(client, editor, language):
        detail = await client.get(f"/api/kb/clusters/{found['id']}", headers=editor.headers)
        texts |= {example["text"] for example in detail.json()["examples"]}
    return texts


async def serving_version(client: httpx.AsyncClient, op: Op) -> int | None:
    models = (await client.get("/api/kb/models", headers=op.headers)).json()
    return None if models["serving"] is None else int(models["serving"]["version"])


async def wait_for_new_model(client: httpx.AsyncClient, op: Op, before: int | None) -> None:
    async def newer() -> bool:
        return (await serving_version(client, op)) != before

    await wait_until(newer, "the published article's model to be served", deadline_s=120)


async def test_unanswered_questions_become_an_article_the_bot_then_answers(
    make_settings: Callable[..., Settings],
) -> None:
    app = loop_app(make_settings)
    async with started(app) as client:
        editor = await add_operator(app, "Elena", role=Role.EDITOR, email="e@shop.test")
        reviewer = await add_operator(app, "Rui", role=Role.REVIEWER, email="r@shop.test")
        before = {lang: [await bot_reply(app, client, q, lang) for q in questions]
                  for lang, questions in UNANSWERED.items()}
        # the inbox clusters them per language; the editor takes the biggest cluster
        # the inbox clusters them per language; the editor writes one article from the
        # clusters' prefills (the examples as its questions) and resolves them with it
        filed = {lang: await examples_filed(client, editor, lang) for lang in UNANSWERED}
        questions: dict[str, list[str]] = {}
        taken: list[int] = []
        for language in UNANSWERED:
            for found in await clusters_of(client, editor, language):
                detail = (await client.get(f"/api/kb/clusters/{found['id']}",
                                           headers=editor.headers)).json()
                questions.setdefault(language, []).extend(
                    q for q in detail["prefill"]["questions"].get(language, [])
                    if q in UNANSWERED[language] and q not in questions.get(language, []))
                taken.append(int(found["id"]))
        created = await client.post("/api/kb/articles", headers=editor.headers, json={
            "intent": "wholesale", "topic": "orders", "tags": ["wholesale"],
            "title": {"en": "Wholesale for shops", "es": "Venta al por mayor"},
            "questions": questions, "answer": ANSWER, "note": "from the inbox"})
        assert created.status_code == 201, created.text
        for cluster_id in taken:
            resolved = await client.post(f"/api/kb/clusters/{cluster_id}/resolve",
                                         json={"article": "wholesale"}, headers=editor.headers)
            assert resolved.status_code == 200, resolved.text
        assert (await client.post("/api/kb/articles/wholesale/submit", json={},
                                  headers=editor.headers)).status_code == 200
        version = await serving_version(client, reviewer)
        published = await client.post("/api/kb/articles/wholesale/publish",
                                      json={"confirm": True}, headers=reviewer.headers)
        assert published.status_code == 200, published.text
        await wait_for_new_model(client, reviewer, version)
        after = {lang: [await bot_reply(app, client, q, lang) for q in questions]
                 for lang, questions in UNANSWERED.items()}
        paraphrases = {lang: [await bot_reply(app, client, q, lang) for q in questions]
                       for lang, questions in NEVER_SEEN.items()}
    for language in UNANSWERED:
        assert all(ANSWER[language] not in reply for reply in before[language])
        assert set(UNANSWERED[language]) <= filed[language]  # every one is in the inbox
        assert after[language] == [ANSWER[language]] * len(UNANSWERED[language])
        assert paraphrases[language] == [ANSWER[language]] * len(NEVER_SEEN[language])
