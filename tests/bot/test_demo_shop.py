"""The demo shop end to end: the real embedded NLU and the shipped knowledge base."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from relevo.app import create_app
from relevo.app.settings import Settings
from tests.channels.web.test_webchat import new_visitor, settle, transcript
from tests.conftest import started


async def ask(app: Any, client: httpx.AsyncClient, visitor: dict[str, str], text: str) -> Any:
    await client.post("/webchat/messages", json={"text": text}, headers=visitor)
    await settle(app)
    return (await transcript(client, visitor))[-1]


async def ask_sure(
    app: Any, client: httpx.AsyncClient, visitor: dict[str, str], text: str, yes: str
) -> Any:
    """The bot's reply, after confirming its "did you mean …?" with `yes` if it asked."""
    reply = await ask(app, client, visitor, text)
    if reply["text"].startswith(("Did you mean", "¿Te refieres a «")):
        reply = await ask(app, client, visitor, yes)
    return reply


@pytest.fixture
def demo_app(make_settings: Callable[..., Settings]) -> Any:
    return create_app(make_settings(nlu={"backend": "embedded"}))


async def test_answers_follow_the_language_the_shopper_writes_in(demo_app: Any) -> None:
    async with started(demo_app) as client:
        kb = demo_app.state.relevo.knowledge_base
        visitor = await new_visitor(client)
        spanish = await ask_sure(
            demo_app, client, visitor, "¿Cuánto tarda en llegar mi pedido?", "sí"
        )
        english = await ask_sure(demo_app, client, visitor, "can I pay with paypal please", "yes")
        short = await ask(demo_app, client, visitor, "gracias")
    assert spanish["text"] == kb.answer("shipping_times", "es")
    assert english["text"] == kb.answer("payment_methods", "en")
    assert short["author"]["kind"] == "bot"


async def test_typos_and_chat_spelling_still_get_the_right_article(demo_app: Any) -> None:
    async with started(demo_app) as client:
        kb = demo_app.state.relevo.knowledge_base
        visitor = await new_visitor(client)
        returned = await ask_sure(demo_app, client, visitor, "kiero debolver el movil", "si")
        where = await ask_sure(demo_app, client, visitor, "wher is my ordr", "yes")
    assert returned["text"] == kb.answer("how_to_return", "es")
    assert where["text"] == kb.answer("order_tracking", "en")


@pytest.mark.parametrize(
    "text", ["quiero hablar con una persona", "can you recommend a good thriller film"]
)
async def test_a_person_or_an_unknown_topic_goes_to_handoff(demo_app: Any, text: str) -> None:
    async with started(demo_app) as client:
        visitor = await new_visitor(client)
        reply = await ask(demo_app, client, visitor, text)
        relevo = demo_app.state.relevo
        async with relevo.database.read() as conn:
            state = (await conn.exec_driver_sql("SELECT state FROM conversations")).scalar()
    assert reply["author"]["kind"] == "system"
    assert state == "queued"


async def test_an_unsure_answer_is_asked_first_and_yes_gets_it(demo_app: Any) -> None:
    # below the fallback threshold but sure of one article: "did you mean …?" instead of
    # a wrong article or "please rephrase"; "sí" answers it in the shopper's language
    async with started(demo_app) as client:
        kb = demo_app.state.relevo.knowledge_base
        visitor = await new_visitor(client)
        asked = await ask(demo_app, client, visitor, "¿Cuánto tarda en llegar mi pedido?")
        answered = await ask(demo_app, client, visitor, "sí")
    assert asked["text"] == (
        '¿Te refieres a «Plazos de entrega»? Responde "sí" o 1, o cuéntame un poco más.'
    )
    assert answered["text"] == kb.answer("shipping_times", "es")
