"""The console socket (`WS /api/ws`) follows the same reach as the API: an ambassador is
told that the queue changed, never the ids of conversations offered to others, and may
not watch them. A real server, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

import websockets
from fastapi import FastAPI

from relevo.app.settings import Settings
from relevo.bot.types import OperatorKind
from tests.conftest import started
from tests.handoff.helpers import add_operator, build_app, go_online, new_shopper, say, service
from tests.serve import serving
from tests.settle import DEADLINE_S

ANYONE = [{"name": "anyone", "pool": {}}]


async def _until(socket: Any, notices: list[dict[str, Any]], wanted: dict[str, Any]) -> None:
    """Receive into `notices` until one has every item of `wanted`."""
    async with asyncio.timeout(DEADLINE_S):
        while not notices or not wanted.items() <= notices[-1].items():
            notices.append(json.loads(await socket.recv()))


def _offered_to(app: FastAPI, conversation_id: int) -> int | None:
    entry = service(app).state.queue.get(conversation_id)
    return entry.offered_to if entry is not None else None


async def test_an_ambassadors_socket_never_names_conversations_out_of_her_reach(
    make_settings: Callable[..., Settings],
) -> None:
    app = build_app(make_settings, rules=ANYONE)
    notices: list[dict[str, Any]] = []
    async with started(app) as client:
        amy = await add_operator(app, "Amy", OperatorKind.AMBASSADOR, max_concurrent=1)
        abe = await add_operator(app, "Abe", OperatorKind.AMBASSADOR, max_concurrent=1)
        await go_online(client, abe)
        async with serving(app, lifespan=False) as address, websockets.connect(
            f"ws://{address}/api/ws?token={amy.token}"
        ) as socket:
            await _until(socket, notices, {"type": "hello"})
            theirs_shopper = await new_shopper(client)
            theirs = await say(app, client, theirs_shopper, "I want a person")
            assert _offered_to(app, theirs) == abe.id
            await socket.send(json.dumps({"type": "watch", "conversation_id": theirs}))
            await _until(socket, notices, {"type": "watching"})
            refused_watch = notices[-1]
            await go_online(client, amy)
            mine_shopper = await new_shopper(client)
            mine = await say(app, client, mine_shopper, "I want a person")
            await _until(socket, notices, {"type": "offered", "conversation_id": mine})
            await socket.send(json.dumps({"type": "watch", "conversation_id": mine}))
            await _until(socket, notices, {"type": "watching"})
            allowed_watch = notices[-1]
            await say(app, client, theirs_shopper, "anyone there?")
            await say(app, client, mine_shopper, "hello?")
            await _until(socket, notices, {"type": "message", "conversation_id": mine})
    assert refused_watch == {"type": "watching", "watching": None}
    assert allowed_watch == {"type": "watching", "watching": mine}
    assert [n for n in notices if theirs in (n.get("conversation_id"), n.get("watching"))] == []
    assert {"type": "queue"} in notices  # told that something changed, not what
