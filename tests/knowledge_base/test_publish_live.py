"""Requests during a retrain never fail or wait for it: shoppers and `/model/parse` keep
being answered while the embedded NLU trains the demo shop's knowledge base in the
background, and the new version is served after it. Both databases, over HTTP."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from relevo.app import create_app
from relevo.app.settings import Settings
from relevo.bot.types import Role
from tests.conftest import started
from tests.handoff.helpers import add_operator, new_shopper, transcript
from tests.settle import settle, wait_until

QUESTIONS = ("How long does delivery take?", "¿Cuánto tarda en llegar un pedido?",
             "How do I return an item?", "what's the weather like")


class Load:
    """Shoppers and /model/parse calls in a loop, counted by whether the retrain was
    running when each was sent (as GET /api/kb/models last said)."""

    def __init__(self) -> None:
        self.training = False
        self.done = False
        self.sent = {"parse": 0, "webchat": 0}
        self.during = 0
        self.failures: list[str] = []
        self.shoppers: list[dict[str, str]] = []

    async def parse(self, client: httpx.AsyncClient) -> None:
        while not self.done:
            for text in QUESTIONS:
                during = self.training
                response = await client.post("/model/parse", json={"text": text})
                if response.status_code != 200 or not response.json()["intent"]["name"]:
                    self.failures.append(f"parse {response.status_code}")
                self.sent["parse"] += 1
                self.during += during
                await asyncio.sleep(0)  # the in-process client may never suspend

    async def webchat(self, client: httpx.AsyncClient) -> None:
        while not self.done:
            during = self.training
            shopper = await new_shopper(client)
            self.shoppers.append(shopper)
            text = QUESTIONS[len(self.shoppers) % len(QUESTIONS)]
            response = await client.post("/webchat/messages", json={"text": text},
                                         headers=shopper)
            if response.status_code != 202:
                self.failures.append(f"webchat {response.status_code}")
            self.sent["webchat"] += 1
            self.during += during
            await asyncio.sleep(0)


async def test_shoppers_and_parse_keep_being_answered_during_a_retrain(
    make_settings: Callable[..., Settings], tmp_path: Path
) -> None:
    # No model file: the retrain really trains (a cached model would only be loaded).
    app = create_app(make_settings(nlu={"backend": "embedded", "model_path": ""}))
    async with started(app) as client:
        rita = await add_operator(app, "Rita", role=Role.REVIEWER)
        load = Load()
        workers = [asyncio.create_task(load.parse(client)),
                   asyncio.create_task(load.webchat(client))]
        served_before = app.state.relevo.models.current
        assert (await client.post("/api/kb/models", headers=rita.headers)).status_code == 202

        async def finished() -> dict[str, Any] | None:
            status = (await client.get("/api/kb/models", headers=rita.headers)).json()
            load.training = status["training"]
            history = status["history"]
            return status if history and history[0]["status"] != "training" else None

        status = await wait_until(finished, "the retrain to finish", deadline_s=240)
        load.done = True
        await asyncio.gather(*workers)
        await settle(app)

        assert status["history"][0]["status"] == "ready", status
        assert app.state.relevo.models.current is not served_before
        assert load.failures == []
        assert load.during > 0, load.sent  # some requests were sent while it trained
        for shopper in load.shoppers:  # every shopper got the bot's answer or a person
            said = await transcript(client, shopper)
            assert [m["author"]["kind"] for m in said][1:2] in (["bot"], ["system"]), said
