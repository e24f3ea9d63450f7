"""The engine tells the unanswered-question inbox what it could not answer well: each of
the four kinds it decides (miss, out_of_scope, low_confidence, clarify_unpicked) goes on
the bus once, for the shopper's message, in the decided language; answers it is sure of
and a picked option go nowhere. End to end through the web chat with a scripted NLU."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

from relevo.app import create_app
from relevo.app.settings import Settings
from relevo.bot.events import BotMissed
from relevo.bot.types import Event
from tests.channels.web.test_webchat import new_visitor
from tests.conftest import started
from tests.fakes.nlu import KeywordNLU, shop_kb
from tests.settle import settle


def inbox_nlu() -> KeywordNLU:
    return KeywordNLU({
        "shipping": [("shipping_times", 0.95)],
        "envío": [("shipping_times", 0.95)],
        "return": [("returns_policy", 0.8)],  # answered, but unsure
        "charger": [("charger_compatibility", 0.42), ("fast_charging", 0.40)],
        "weather": [("out_of_scope", 0.95)],
    })


async def say(app: Any, client: httpx.AsyncClient, visitor: dict[str, str], text: str,
              locale: str = "en") -> int:
    sent = await client.post("/webchat/messages", json={"text": text, "locale": locale},
                             headers=visitor)
    assert sent.status_code == 202
    await settle(app)
    return int(sent.json()["message_id"])


async def test_the_engine_files_each_kind_of_miss_once_for_the_shoppers_message(
    make_settings: Callable[..., Settings],
) -> None:
    app = create_app(make_settings(), nlu=inbox_nlu(), knowledge_base=shop_kb())
    heard: list[Event] = []

    async def hear(event: Event) -> None:
        heard.append(event)

    async with started(app) as client:
        app.state.relevo.bus.subscribe(hear, name="test-misses")
        sure = await say(app, client, await new_visitor(client), "how long does shipping take")
        miss = await say(app, client, await new_visitor(client), "blorp zzz")
        off = await say(app, client, await new_visitor(client), "will the weather be nice")
        unsure = await say(app, client, await new_visitor(client), "can i return it")
        asked = await new_visitor(client)
        unpicked = await say(app, client, asked, "which charger")  # the question filed
        await say(app, client, asked, "shipping please")  # moved on: answered, not filed
        picking = await new_visitor(client)
        await say(app, client, picking, "which charger")
        await say(app, client, picking, "1")
        spanish = await say(app, client, await new_visitor(client), "qué tal el tiempo xyz",
                            locale="es")
    missed = [e for e in heard if isinstance(e, BotMissed)]
    assert sorted((e.message_id, e.kind) for e in missed) == sorted([
        (miss, "miss"), (off, "out_of_scope"), (unsure, "low_confidence"),
        (unpicked, "clarify_unpicked"), (spanish, "miss")])
    assert sure not in {e.message_id for e in missed}
    by_kind = {e.kind: e for e in missed if e.message_id != spanish}
    assert by_kind["low_confidence"].intent == "returns_policy"
    assert by_kind["low_confidence"].confidence == 0.8
    assert by_kind["out_of_scope"].intent == "out_of_scope"
    assert {e.channel for e in missed} == {"web"}
    assert {e.language for e in missed if e.message_id != spanish} == {"en"}
    assert next(e.language for e in missed if e.message_id == spanish) == "es"


async def test_the_low_confidence_bar_is_configurable(
    make_settings: Callable[..., Settings],
) -> None:
    app = create_app(make_settings(nlu={"backend": "none", "low_confidence": 0.5}),
                     nlu=inbox_nlu(), knowledge_base=shop_kb())
    heard: list[Event] = []

    async def hear(event: Event) -> None:
        heard.append(event)

    async with started(app) as client:
        app.state.relevo.bus.subscribe(hear, name="test-misses")
        await say(app, client, await new_visitor(client), "can i return it")
    assert not [e for e in heard if isinstance(e, BotMissed)]
