"""Every message reaches the visitor's WebSocket exactly once, even when recording a
delivery fails for a moment after the push. On PostgreSQL under load, the outbox's
write after a round of sends failed (the connection pool timed out), the round was
abandoned, and when the rows' lease expired they were sent again: 20 bot messages
were pushed twice with the same id."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import httpx
import pytest
import sqlalchemy.exc
import websockets
from fastapi import FastAPI

from relevo.app import create_app
from relevo.app.settings import Settings
from relevo.bot.clock import utc_now
from relevo.bot.store import outbox as outbox_store
from tests.conftest import started
from tests.fakes.nlu import shop_kb, shop_nlu
from tests.serve import serving
from tests.settle import settle


def fail_once(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The first write of a round's outcome fails as an exhausted pool does."""
    finish = outbox_store.finish
    failures: list[str] = []

    async def flaky(conn: Any, outbox_ids: list[int], *, now: Any) -> None:
        if not failures:
            failures.append("finish")
            raise sqlalchemy.exc.TimeoutError("QueuePool limit reached, connection timed out")
        await finish(conn, outbox_ids, now=now)

    monkeypatch.setattr(outbox_store, "finish", flaky)
    return failures


async def until_answered(socket: Any, message_id: int) -> list[dict[str, Any]]:
    """Frames until the bot's answer to the shopper's message `message_id` arrived."""
    frames: list[dict[str, Any]] = []
    async with asyncio.timeout(20):
        while not frames or not (frames[-1]["author"]["kind"] == "bot"
                                 and frames[-1]["id"] > message_id):
            frames.append(json.loads(await socket.recv()))
    return frames


async def test_a_failed_delivery_record_does_not_push_the_message_twice(
    make_settings: Callable[..., Settings], monkeypatch: pytest.MonkeyPatch
) -> None:
    app: FastAPI = create_app(make_settings(), nlu=shop_nlu(), knowledge_base=shop_kb())
    failures = fail_once(monkeypatch)
    async with started(app), serving(app, lifespan=False) as address, \
            httpx.AsyncClient(base_url=f"http://{address}") as client:
        token = (await client.post("/webchat/sessions")).json()["visitor_token"]
        shopper = {"Authorization": f"Bearer {token}"}
        async with websockets.connect(f"ws://{address}/webchat/ws?token={token}") as socket:
            first = await client.post("/webchat/messages",
                                      json={"text": "how long is shipping?"}, headers=shopper)
            frames = await until_answered(socket, first.json()["message_id"])
            # Long after the lease of anything the failed round left behind.
            later = utc_now() + timedelta(seconds=app.state.relevo.settings.outbox
                                          .lease_seconds * 2)
            app.state.relevo.outbox.set_clock(lambda: later)
            await settle(app)
            second = await client.post("/webchat/messages", json={"text": "and returns?"},
                                       headers=shopper)
            frames += await until_answered(socket, second.json()["message_id"])
        polled = (await client.get("/webchat/messages", headers=shopper)).json()["messages"]
    assert failures == ["finish"]
    assert [f["id"] for f in frames] == [m["id"] for m in polled]  # each once, in order
    assert [f["author"]["kind"] for f in frames] == ["shopper", "bot", "shopper", "bot"]
