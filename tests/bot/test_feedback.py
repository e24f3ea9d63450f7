""""Was this helpful?" (#13 item 7) over the web chat's HTTP API, on SQLite and
PostgreSQL: bot answers take a vote, votes are stored once per answer (the last
counts), go on the bus, never reach the NLU, and 👎 offers a person."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import sqlalchemy as sa

from relevo.app import create_app
from relevo.app.settings import Settings
from relevo.bot.catalog import Catalog
from relevo.bot.events import AnswerRated, BotMissed
from relevo.bot.feedback import HANDOFF_REASON
from relevo.bot.store.schema import conversations, message_feedback
from relevo.bot.types import Event
from tests.conftest import started
from tests.fakes.nlu import DictKnowledgeBase, shop_kb, shop_nlu
from tests.settle import settle

TEXTS = Catalog.load()


async def _visitor(client: httpx.AsyncClient, locale: str = "en") -> dict[str, str]:
    token = (await client.post("/webchat/sessions", json={"locale": locale})).json()
    return {"Authorization": f"Bearer {token['visitor_token']}"}


async def _say(app: Any, client: httpx.AsyncClient, visitor: dict[str, str], text: str,
               locale: str = "en") -> list[dict[str, Any]]:
    sent = await client.post("/webchat/messages", json={"text": text, "locale": locale},
                             headers=visitor)
    assert sent.status_code == 202, sent.text
    await settle(app)
    return list((await client.get("/webchat/messages", headers=visitor)).json()["messages"])


def _listen(app: Any) -> list[Event]:
    heard: list[Event] = []

    async def hear(event: Event) -> None:
        if isinstance(event, AnswerRated | BotMissed):
            heard.append(event)

    app.state.relevo.bus.subscribe(hear, name="test-feedback")
    return heard


async def _votes(app: Any) -> list[tuple[int, bool, str | None]]:
    async with app.state.relevo.database.read() as conn:
        found = await conn.execute(sa.select(message_feedback.c.message_id,
                                             message_feedback.c.helpful,
                                             message_feedback.c.intent))
        return [tuple(row) for row in found]  # type: ignore[misc]


async def test_thumbs_down_is_stored_once_goes_on_the_bus_and_a_yes_hands_off(
    make_settings: Callable[..., Settings],
) -> None:
    nlu = shop_nlu()
    app = create_app(make_settings(), nlu=nlu, knowledge_base=shop_kb())
    async with started(app) as client:
        heard = _listen(app)
        visitor = await _visitor(client)
        history = await _say(app, client, visitor, "how long does shipping take?")
        question, answer = history[-2], history[-1]
        assert answer["feedback"] is True
        history = await _say(app, client, visitor, f"👎 #{answer['id']}")
        offer = history[-1]
        # the same tap again (a double click): still one vote, no second event
        history = await _say(app, client, visitor, f"👎 #{answer['id']}")
        votes = await _votes(app)
        history = await _say(app, client, visitor, "Yes, a person")
        async with app.state.relevo.database.read() as conn:
            state = (await conn.execute(sa.select(conversations.c.state,
                                                  conversations.c.handoff_reason))).one()
        await app.state.relevo.bus.drain()
    assert votes == [(answer["id"], False, "shipping_times")]
    assert offer["text"] == TEXTS.text("feedback.offer_person", "en")
    assert [q["title"] for q in offer["quick_replies"]] == ["Yes, a person", "No, thanks"]
    assert "feedback" not in offer
    assert tuple(state) == ("queued", HANDOFF_REASON)
    assert history[-1]["author"]["kind"] == "system"
    rated = [e for e in heard if isinstance(e, AnswerRated)]
    missed = [e for e in heard if isinstance(e, BotMissed)]
    assert [(e.message_id, e.helpful, e.intent) for e in rated] == [
        (answer["id"], False, "shipping_times")]
    assert [(e.message_id, e.kind, e.channel, e.language, e.intent) for e in missed] == [
        (question["id"], "not_helpful", "web", "en", "shipping_times")]
    assert not any("👎" in text for text in nlu.calls)  # a vote is no question


async def test_thumbs_up_thanks_and_a_change_of_mind_counts_last(
    make_settings: Callable[..., Settings],
) -> None:
    nlu = shop_nlu()
    app = create_app(make_settings(), nlu=nlu, knowledge_base=shop_kb())
    async with started(app) as client:
        heard = _listen(app)
        visitor = await _visitor(client, "es")
        history = await _say(app, client, visitor, "¿cuánto tarda el envío?", "es")
        answer = history[-1]
        history = await _say(app, client, visitor, f"👍 #{answer['id']}", "es")
        thanks = history[-1]
        first = await _votes(app)
        history = await _say(app, client, visitor, "👎", "es")  # typed, right after the thanks
        offer = history[-1]
        history = await _say(app, client, visitor, "no", "es")
        declined = history[-1]
        await _say(app, client, visitor, f"👎 #{answer['id']}", "es")  # offered again
        history = await _say(app, client, visitor, "no, ¿y el envío?", "es")  # a question
        await app.state.relevo.bus.drain()
        last = await _votes(app)
    assert thanks["text"] == TEXTS.text("feedback.thanks", "es")
    assert first == [(answer["id"], True, "shipping_times")]
    assert offer["text"] == TEXTS.text("feedback.offer_person", "es")
    assert declined["text"] == TEXTS.text("feedback.offer_declined", "es")
    assert history[-1]["text"] == "Los pedidos llegan en 2-3 días laborables."  # back to normal
    assert last == [(answer["id"], False, "shipping_times")]
    assert [(type(e).__name__, getattr(e, "helpful", None)) for e in heard] == [
        ("AnswerRated", True), ("AnswerRated", False), ("BotMissed", None)]
    assert nlu.calls == ["¿cuánto tarda el envío?", "no, ¿y el envío?"]


async def test_smalltalk_clarify_and_misses_take_no_vote_and_a_stray_thumb_is_a_message(
    make_settings: Callable[..., Settings],
) -> None:
    kb = shop_kb()
    smalltalk = DictKnowledgeBase({"greet": {"en": ("Hello", "Hi! How can I help?")}})
    kb.topic = lambda intent: "smalltalk" if intent == "greet" else "product"  # type: ignore[method-assign]
    kb._articles.update(smalltalk._articles)
    nlu = shop_nlu()
    nlu.rules["hello"] = [("greet", 0.95)]
    app = create_app(make_settings(), nlu=nlu, knowledge_base=kb)
    async with started(app) as client:
        visitor = await _visitor(client)
        greeted = (await _say(app, client, visitor, "hello"))[-1]
        unsure = (await _say(app, client, visitor, "which charger?"))[-1]
        await _say(app, client, visitor, "👍")  # after a question back: nothing to rate
        missed = (await _say(app, client, await _visitor(client), "blah blah"))[-1]
        votes = await _votes(app)
    assert "feedback" not in greeted
    assert "feedback" not in unsure and unsure["quick_replies"]
    assert "feedback" not in missed
    assert votes == []
    assert "👍" in nlu.calls  # an ordinary message then
