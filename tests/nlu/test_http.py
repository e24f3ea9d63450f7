from __future__ import annotations

import httpx
from fastapi import FastAPI

from relevo.nlu.embedded import EmbeddedNLU
from relevo.nlu.http import parse_router, standalone_app


def _client(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t")


async def test_parse_answers_like_rasa(shop_nlu: EmbeddedNLU) -> None:
    app = FastAPI()
    app.include_router(parse_router(lambda: shop_nlu))
    async with _client(app) as client:
        response = await client.post("/model/parse", json={"text": "where is my order 123456",
                                                           "message_id": "m1"})
    assert response.status_code == 200
    body = response.json()
    assert set(body) >= {"text", "intent", "intent_ranking", "entities"}
    assert body["intent"]["name"] == "order_status"
    assert set(body["intent"]) == {"name", "confidence"}
    assert body["intent_ranking"][0]["name"] == "order_status"
    assert body["entities"][0]["entity"] == "order_number"


async def test_bad_requests_get_rasa_style_errors(shop_nlu: EmbeddedNLU) -> None:
    async with _client(standalone_app(shop_nlu)) as client:
        for kwargs in ({"json": {}}, {"json": {"text": "  "}}, {"json": {"text": 3}},
                       {"content": b"{not json", "headers": {"content-type": "application/json"}},
                       {"json": ["text"]}):
            response = await client.post("/model/parse", **kwargs)  # type: ignore[arg-type]
            assert response.status_code == 400
            body = response.json()
            assert body["status"] == "failure"
            assert body["reason"] == "BadRequest"
            assert body["code"] == 400
            assert body["version"]


async def test_standalone_endpoints(shop_nlu: EmbeddedNLU) -> None:
    async with _client(standalone_app(shop_nlu)) as client:
        assert (await client.get("/")).status_code == 200
        assert (await client.get("/version")).json()["version"].startswith("3.6")
        assert (await client.get("/status")).json()["fingerprint"]["intents"] == 6
        fallback = await client.post("/model/parse", json={"text": "zxqv wplm"})
        assert fallback.json()["intent"]["name"] == "nlu_fallback"


async def test_no_model_is_a_conflict() -> None:
    app = FastAPI()
    app.include_router(parse_router(lambda: None))
    async with _client(app) as client:
        response = await client.post("/model/parse", json={"text": "hi"})
    assert response.status_code == 409
