"""relevo in front of a REAL Rasa 3.6 server (marked `rasa`; not part of CI).

Start one with `scripts/rasa-server.sh all` (trains on the demo knowledge base) and
run: RELEVO_TEST_RASA_URL=http://127.0.0.1:5005 pytest -m rasa
"""

from __future__ import annotations

import os
from collections.abc import Callable

import httpx
import pytest

from relevo.app import create_app
from relevo.app.settings import Settings
from tests.conftest import started
from tests.settle import wait_until

RASA_URL = os.environ.get("RELEVO_TEST_RASA_URL", "")

pytestmark = [
    pytest.mark.rasa,
    pytest.mark.skipif(not RASA_URL, reason="RELEVO_TEST_RASA_URL is not set"),
]


async def test_model_parse_through_relevo_matches_rasa_itself(
    make_settings: Callable[..., Settings],
) -> None:
    app = create_app(make_settings(nlu={"backend": "rasa", "rasa": {"url": RASA_URL}}))
    text = "how long does shipping take to Valencia?"
    async with started(app) as client, httpx.AsyncClient(base_url=RASA_URL) as rasa:
        ours = (await client.post("/model/parse", json={"text": text})).json()
        theirs = (await rasa.post("/model/parse", json={"text": text})).json()
    assert ours["intent"]["name"] == theirs["intent"]["name"]
    assert ours["intent"]["confidence"] == pytest.approx(theirs["intent"]["confidence"])
    assert [i["name"] for i in ours["intent_ranking"]] == [
        i["name"] for i in theirs["intent_ranking"]
    ]
    assert set(theirs) - {"response_selector", "text_tokens"} <= set(ours)


async def test_a_shopper_gets_the_article_rasa_picked(
    make_settings: Callable[..., Settings],
) -> None:
    app = create_app(make_settings(nlu={"backend": "rasa", "rasa": {"url": RASA_URL}}))
    async with started(app) as client:
        token = (await client.post("/webchat/sessions")).json()["visitor_token"]
        headers = {"Authorization": f"Bearer {token}"}
        await client.post(
            "/webchat/messages",
            json={"text": "¿Cuánto tarda en llegar un pedido a Sevilla?", "locale": "es"},
            headers=headers,
        )
        relevo = app.state.relevo

        async def answered() -> list[dict[str, object]]:
            await relevo.engine.join()
            found = (await client.get("/webchat/messages", headers=headers)).json()["messages"]
            return list(found) if len(found) > 1 else []

        messages = await wait_until(answered, "the bot's answer")
    assert messages[1]["author"]["kind"] == "bot"
    kb = relevo.knowledge_base
    assert messages[1]["text"] == kb.answer("shipping_times", "es")
