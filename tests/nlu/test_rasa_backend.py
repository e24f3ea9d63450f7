"""RasaNLU against a real local HTTP server that plays Rasa (uvicorn on a free port)."""

from __future__ import annotations

import asyncio
import os
import socket
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field

import pytest
import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from relevo.app import create_app
from relevo.app.settings import Settings
from relevo.bot.metrics import Metrics
from relevo.nlu.config import RasaSettings
from relevo.nlu.embedded import EmbeddedNLU
from relevo.nlu.rasa import FAILURE_METRIC, RasaNLU
from tests.conftest import started
from tests.settle import settle, wait_until


@dataclass
class FakeRasa:
    url: str
    mode: str = "ok"  # ok | error | slow
    tokens: list[str | None] = field(default_factory=list)
    intent: str = "order_status"  # what it reads in every message
    texts: list[str] = field(default_factory=list)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
async def fake_rasa() -> AsyncIterator[FakeRasa]:
    port = _free_port()
    state = FakeRasa(url=f"http://127.0.0.1:{port}")
    app = FastAPI()

    @app.post("/model/parse")
    async def parse(request: Request) -> JSONResponse:
        state.tokens.append(request.query_params.get("token"))
        if state.mode == "error":
            return JSONResponse({"status": "failure"}, status_code=500)
        if state.mode == "slow":
            await asyncio.sleep(2)
        body = await request.json()
        state.texts.append(body["text"])
        return JSONResponse({
            "text": body["text"],
            "intent": {"name": state.intent, "confidence": 0.97},
            "intent_ranking": [{"name": state.intent, "confidence": 0.97},
                               {"name": "greet", "confidence": 0.03}],
            "entities": [{"entity": "order_number", "value": "12345", "start": 0, "end": 5,
                          "confidence_entity": 0.9, "extractor": "DIETClassifier"}],
        })

    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error"))
    task = asyncio.create_task(server.serve())
    await wait_until(lambda: server.started, "the fake Rasa server to start")
    yield state
    server.should_exit = True
    await task


async def test_normal_parse_sends_token(fake_rasa: FakeRasa) -> None:
    async with RasaNLU(RasaSettings(url=fake_rasa.url), token="s3cret") as nlu:
        result = await nlu.parse("12345 where is it", "en")
    assert result.intent.name == "order_status"
    assert result.intent.confidence == 0.97
    assert [p.name for p in result.intent_ranking] == ["order_status", "greet"]
    assert result.entities[0].value == "12345"
    assert result.locale == "en"
    assert fake_rasa.tokens == ["s3cret"]


@pytest.mark.parametrize(("mode", "reason"), [("error", "http_500"), ("slow", "timeout")])
async def test_failure_falls_back_to_embedded_and_is_counted(
    fake_rasa: FakeRasa, shop_nlu: EmbeddedNLU, mode: str, reason: str
) -> None:
    fake_rasa.mode = mode
    metrics = Metrics()
    settings = RasaSettings(url=fake_rasa.url, timeout_seconds=0.3, on_failure="embedded")
    async with RasaNLU(settings, fallback=shop_nlu, metrics=metrics) as nlu:
        result = await nlu.parse("kiero debolver el movil")
    assert result.intent.name == "return_item"
    assert metrics.value(FAILURE_METRIC, backend="rasa", reason=reason) == 1


async def test_failure_with_handoff_returns_flagged_fallback(fake_rasa: FakeRasa) -> None:
    fake_rasa.mode = "error"
    metrics = Metrics()
    settings = RasaSettings(url=fake_rasa.url, on_failure="handoff")
    async with RasaNLU(settings, metrics=metrics) as nlu:
        result = await nlu.parse("hello")
    assert result.intent.name == "nlu_fallback"
    assert result.intent.confidence == 0.0
    assert result.intent_ranking == ()
    assert metrics.value(FAILURE_METRIC, backend="rasa", reason="http_500") == 1


async def test_server_down_never_raises() -> None:
    metrics = Metrics()
    settings = RasaSettings(url=f"http://127.0.0.1:{_free_port()}", on_failure="handoff")
    async with RasaNLU(settings, metrics=metrics) as nlu:
        result = await nlu.parse("hello")
        await nlu.train([])  # a documented no-op
    assert result.intent.name == "nlu_fallback"
    assert metrics.value(FAILURE_METRIC, backend="rasa", reason="connection") == 1


@pytest.mark.rasa
async def test_against_a_real_rasa_server() -> None:
    url = os.environ.get("RELEVO_TEST_RASA_URL")
    if not url:
        pytest.skip("RELEVO_TEST_RASA_URL is not set (start one with scripts/rasa-server.sh)")
    metrics = Metrics()
    async with RasaNLU(RasaSettings(url=url, timeout_seconds=10, on_failure="handoff"),
                       token=os.environ.get("RELEVO_RASA_TOKEN"), metrics=metrics) as nlu:
        result = await nlu.parse("where is my order")
    assert result.intent.name
    assert metrics.value(FAILURE_METRIC, backend="rasa", reason="connection") == 0


async def test_with_the_rasa_backend_relevo_reads_the_shoppers_language_itself(
    fake_rasa: FakeRasa, make_settings: Callable[..., Settings],
) -> None:
    # Rasa's parse has no locale: the Spanish shopper on an English browser is still
    # answered in Spanish, and relevo's /model/parse says so.
    fake_rasa.intent = "order_tracking"
    app = create_app(make_settings(
        nlu={"backend": "rasa", "rasa": {"url": fake_rasa.url, "on_failure": "handoff"}}))
    async with started(app) as client:
        kb = app.state.relevo.knowledge_base
        visitor = {"Authorization": "Bearer " + (await client.post(
            "/webchat/sessions", json={"locale": "en"})).json()["visitor_token"]}
        sent = await client.post("/webchat/messages", headers=visitor,
                                 json={"text": "hola, donde esta mi pedido?", "locale": "en"})
        assert sent.status_code == 202
        await settle(app)
        history = (await client.get("/webchat/messages", headers=visitor)).json()["messages"]
        parsed = (await client.post("/model/parse", json={"text": "donde esta mi pedido"})).json()
    assert fake_rasa.texts[0] == "hola, donde esta mi pedido?"
    assert history[-1]["author"]["kind"] == "bot"
    assert history[-1]["text"] == kb.answer("order_tracking", "es")
    assert (parsed["intent"]["name"], parsed["locale"]) == ("order_tracking", "es")
