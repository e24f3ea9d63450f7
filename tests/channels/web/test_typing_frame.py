"""An operator typing reaches the shopper's open web chat sockets as a `typing` frame
(no "id": clients that only know messages ignore it), and only that shopper's. On
SQLite and PostgreSQL, over a real socket."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
import uvicorn
import websockets
from fastapi import FastAPI

from relevo.app import create_app
from relevo.app.settings import Settings
from relevo.bot.clock import utc_now
from relevo.bot.types import OperatorTyping
from tests.conftest import free_port
from tests.settle import wait_until

NAME = "Lucía · experta"


@pytest.fixture
async def served(make_settings: Callable[..., Settings]) -> AsyncIterator[tuple[FastAPI, str]]:
    port = free_port()
    app = create_app(make_settings())
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, lifespan="on"))
    task = asyncio.create_task(server.serve())
    await wait_until(lambda: server.started, "uvicorn to start")
    yield app, f"127.0.0.1:{port}"
    server.should_exit = True
    await task


async def visitor(client: httpx.AsyncClient) -> tuple[str, int]:
    """A visitor who wrote once: their token and conversation id."""
    token = (await client.post("/webchat/sessions")).json()["visitor_token"]
    sent = await client.post("/webchat/messages", json={"text": "hello"},
                             headers={"Authorization": f"Bearer {token}"})
    assert sent.status_code == 202
    return token, int(sent.json()["conversation_id"])


async def next_typing(socket: Any) -> dict[str, Any]:
    async with asyncio.timeout(10):
        while True:
            frame: dict[str, Any] = json.loads(await socket.recv())
            if frame.get("event") == "typing":
                return frame


async def frames_until_text(socket: Any, text: str) -> list[dict[str, Any]]:
    seen: list[dict[str, Any]] = []
    async with asyncio.timeout(10):
        while not seen or seen[-1].get("text") != text:
            seen.append(json.loads(await socket.recv()))
    return seen


async def test_the_typing_frame_reaches_only_that_shoppers_socket(
    served: tuple[FastAPI, str],
) -> None:
    app, address = served
    relevo = app.state.relevo
    async with httpx.AsyncClient(base_url=f"http://{address}") as client:
        token, conversation_id = await visitor(client)
        other_token, _ = await visitor(client)
        async with relevo.database.read() as conn:
            contact_id = (await conn.exec_driver_sql(
                f"SELECT contact_id FROM conversations WHERE id = {conversation_id}")).scalar_one()

        async def typing(active: bool) -> None:
            await relevo.bus.publish(OperatorTyping(
                conversation_id=conversation_id, at=utc_now(), contact_id=contact_id,
                operator_id=1, name=NAME, active=active))

        async with websockets.connect(f"ws://{address}/webchat/ws?token={token}") as mine, \
                websockets.connect(f"ws://{address}/webchat/ws?token={other_token}") as theirs:
            await wait_until(lambda: len(relevo.web_hub._sockets) == 2, "both sockets open")
            await typing(True)
            assert await next_typing(mine) == {
                "event": "typing", "author": {"kind": "operator", "name": NAME}, "active": True}
            await typing(False)
            stopped = await next_typing(mine)
            assert stopped["active"] is False and "id" not in stopped
            await relevo.bus.drain()
            # The other shopper's socket: their own next message arrives with no typing before it.
            await client.post("/webchat/messages", json={"text": "ping"},
                              headers={"Authorization": f"Bearer {other_token}"})
            seen = await frames_until_text(theirs, "ping")
            assert [f for f in seen if f.get("event") == "typing"] == []
