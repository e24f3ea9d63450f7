"""The shopper's language end to end, through the web chat: the message's own language
beats the browser's locale, a short answer keeps the conversation's language, the CSAT
thanks follows it too, and a language the shop does not speak is never used.
On SQLite and PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from fastapi import FastAPI

from relevo.app import create_app
from relevo.app.settings import Settings
from relevo.bot import replies
from tests.channels.support import rows
from tests.conftest import started
from tests.handoff.helpers import add_operator, build_app, go_online, new_shopper, say, transcript


@pytest.fixture
def demo_app(make_settings: Callable[..., Settings]) -> FastAPI:
    return create_app(make_settings(nlu={"backend": "embedded"}))


async def last_reply(app: FastAPI) -> Any:
    """The newest message relevo sent the shopper: text, locale and what it answered."""
    found = await rows(app, "SELECT text, locale FROM messages WHERE direction = 'outbound' "
                            "ORDER BY id DESC LIMIT 1")
    return found[0]


async def test_a_spanish_message_on_an_english_browser_gets_the_spanish_article(
    demo_app: FastAPI,
) -> None:
    async with started(demo_app) as client:
        kb = demo_app.state.relevo.knowledge_base
        shopper = await new_shopper(client, "en-US")
        await say(demo_app, client, shopper, "cuanto cuesta el envio a canarias?", "en-US")
        costs = (await transcript(client, shopper))[-1]
        # "ok" says nothing: the conversation's language (Spanish) still holds, although
        # the browser keeps saying English
        await say(demo_app, client, shopper, "ok", "en-US")
        after_ok = await last_reply(demo_app)
        (conversation,) = await rows(demo_app, "SELECT locale FROM conversations")
    assert costs["author"]["kind"] == "bot"
    assert costs["text"] == kb.answer("shipping_costs", "es")
    assert after_ok.locale == "es"
    assert after_ok.text in {kb.answer("goodbye", "es"), kb.answer("thanks", "es"),
                             replies.text("didnt_understand", "es")}
    assert conversation.locale == "es"


@pytest.mark.parametrize(
    ("text", "browser"),
    [("hola tengo un problema con mi pedido", "en"), ("where is my pedido", "es-ES")],
)
async def test_the_message_language_beats_the_browser_locale(
    demo_app: FastAPI, text: str, browser: str,
) -> None:
    async with started(demo_app) as client:
        kb = demo_app.state.relevo.knowledge_base
        shopper = await new_shopper(client, browser)
        await say(demo_app, client, shopper, text, browser)
        reply = await last_reply(demo_app)
        (stored,) = await rows(demo_app, "SELECT meta FROM messages WHERE direction = 'inbound'")
    expected = "es" if browser == "en" else "en"
    assert reply.locale == expected
    meta = stored.meta if isinstance(stored.meta, dict) else json.loads(stored.meta)
    assert meta["language"] == {"code": expected, "by": "message"}
    # an answer, or (unsure) "did you mean …?" / "please rephrase": in that language
    ranked = [p["intent"] for p in meta["parse"]["ranking"] if p["intent"] != "nlu_fallback"]
    assert reply.text in {
        kb.answer(meta["parse"]["intent"], expected),
        replies.text("suggest", expected).format(title=kb.title(ranked[0], expected)),
        replies.text("didnt_understand", expected),
    }


async def test_a_message_that_looks_italian_never_gets_italian_or_portuguese(
    demo_app: FastAPI,
) -> None:
    async with started(demo_app) as client:
        parsed = await client.post("/model/parse", json={"text": "ciao, il mio ordine"})
        portuguese = await client.post("/model/parse", json={"text": "olá, meu pedido chegou?"})
        shopper = await new_shopper(client, "it-IT")
        await say(demo_app, client, shopper, "ciao, il mio ordine", "it-IT")
        reply = await last_reply(demo_app)
        (conversation,) = await rows(demo_app, "SELECT locale FROM conversations")
    assert parsed.json()["locale"] in {"es", "en"}
    assert portuguese.json()["locale"] in {"es", "en"}
    # Italian is not spoken here: nothing in the message, the conversation or the
    # browser is a language the shop speaks, so the shop's default answers.
    assert reply.locale == "en"
    assert conversation.locale == "en"


async def test_the_csat_thanks_is_in_the_conversations_language_not_the_browsers(
    make_settings: Callable[..., Settings],
) -> None:
    app = build_app(make_settings)
    async with started(app) as client:
        ana = await add_operator(app, "Ana", max_concurrent=5)
        await go_online(client, ana)
        shopper = await new_shopper(client, "en")
        cid = await say(app, client, shopper, "quiero hablar con una persona", "en")
        await client.post(f"/api/conversations/{cid}/claim", headers=ana.headers)
        resolved = await client.post(f"/api/conversations/{cid}/resolve", headers=ana.headers)
        assert resolved.status_code == 200, resolved.text
        question = (await transcript(client, shopper))[-1]["text"]
        await say(app, client, shopper, "5", "en")
        thanks = (await transcript(client, shopper))[-1]["text"]
        view = (await client.get(f"/api/conversations/{cid}", headers=ana.headers)).json()
    assert question == replies.text("csat_question", "es").format(
        name=f"Ana · {replies.text('operator_kind_internal', 'es')}")
    assert view["csat"]["score"] == 5
    assert thanks == replies.text("csat_thanks", "es")


async def test_the_parse_api_answers_with_relevos_language(demo_app: FastAPI) -> None:
    async with started(demo_app) as client:
        spanish = await client.post("/model/parse", json={"text": "donde esta mi pedido"})
        english = await client.post("/model/parse", json={"text": "where is my order"})
        told = await client.post("/model/parse", json={"text": "hola", "locale": "en"})
    assert (spanish.json()["locale"], english.json()["locale"]) == ("es", "en")
    assert told.json()["locale"] == "en"  # a locale in the body is taken as given
