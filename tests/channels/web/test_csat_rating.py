"""The CSAT question in the web chat (issue #11, item 1): the same message object over
`GET /webchat/messages` and the socket carries one-tap answers 1–5 and an additive
`"rating": {"scale": 5}`; the widget's "4 <comment>" is stored with its comment."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

import httpx
import sqlalchemy as sa
import uvicorn
import websockets

from relevo.app import create_app
from relevo.app.settings import Settings
from relevo.bot import replies
from relevo.bot.store.schema import csat_responses
from tests.conftest import free_port
from tests.fakes.nlu import shop_kb, shop_nlu
from tests.handoff.helpers import add_operator, go_online, service
from tests.settle import settle, wait_until

STARS = ["⭐ Bad", "⭐⭐ Poor", "⭐⭐⭐ OK", "⭐⭐⭐⭐ Good", "⭐⭐⭐⭐⭐ Excellent"]


async def test_the_question_offers_stars_on_poll_and_socket_and_a_comment_is_kept(
    make_settings: Callable[..., Settings],
) -> None:
    app = create_app(make_settings(), nlu=shop_nlu(), knowledge_base=shop_kb())
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, lifespan="on")
    )
    task = asyncio.create_task(server.serve())
    try:
        await wait_until(lambda: server.started, "uvicorn to start")
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
            ana = await add_operator(app, "Ana")
            await go_online(client, ana)
            token = (await client.post("/webchat/sessions", json={"locale": "en"})
                     ).json()["visitor_token"]
            shopper = {"Authorization": f"Bearer {token}"}
            sent = await client.post("/webchat/messages", json={"text": "I want a person"},
                                     headers=shopper)
            cid = sent.json()["conversation_id"]
            await settle(app)
            async with websockets.connect(f"ws://127.0.0.1:{port}/webchat/ws?token={token}"
                                          ) as socket:
                await client.post(f"/api/conversations/{cid}/claim", headers=ana.headers)
                await client.post(f"/api/conversations/{cid}/resolve", headers=ana.headers)
                pushed = await _until_rating(socket)
            polled = (await client.get("/webchat/messages", headers=shopper)).json()["messages"]
            await client.post("/webchat/messages", json={"text": "4 quick, but the box was wet"},
                              headers=shopper)
            await settle(app)
            thanks = (await client.get("/webchat/messages", headers=shopper)).json()["messages"]
            async with service(app).database.read() as conn:
                rating = (await conn.execute(
                    sa.select(csat_responses.c.score, csat_responses.c.comment))).one()
    finally:
        server.should_exit = True
        await task
    question = polled[-1]
    assert question == pushed
    assert question["rating"] == {"scale": 5}
    assert question["quick_replies"] == [
        {"title": title, "payload": str(score)} for score, title in enumerate(STARS, 1)]
    assert thanks[-1]["text"] == replies.text("csat_thanks", "en")
    assert "rating" not in thanks[-1]
    assert tuple(rating) == (4, "quick, but the box was wet")


async def _until_rating(socket: Any) -> dict[str, Any]:
    async with asyncio.timeout(10):
        while True:
            frame = json.loads(await socket.recv())
            if "rating" in frame:
                return dict(frame)
