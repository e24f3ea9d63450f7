"""The operator WebSocket (`WS /api/ws`): live updates for the console.

Server → client: what the console hub queues for this operator. Client → server:
`{"type": "ping"}` (activity) and `{"type": "watch", "conversation_id": N | null}`,
answered with `{"type": "watching", "watching": N | null}` (null: none, or a
conversation out of the operator's reach, which is not watched).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import Any

from fastapi import APIRouter, WebSocket
from fastapi.responses import JSONResponse

from relevo.bot.http import is_row_id
from relevo.bot.sockets import forward
from relevo.bot.types import Refused, Surface
from relevo.handoff.desk import HandoffDesk
from relevo.handoff.http import SESSION_COOKIE
from relevo.handoff.operators import OperatorState
from relevo.handoff.service import Handoff
from relevo.handoff.visibility import may_see, whereabouts


def socket_route(router: APIRouter, handoff: Handoff, desk: HandoffDesk) -> None:
    @router.websocket("/ws")
    async def socket(websocket: WebSocket, token: str | None = None) -> None:
        found = await (
            desk.find_operator(Surface.API_TOKEN, token)
            if token
            else desk.find_operator(
                Surface.CONSOLE_SESSION, websocket.cookies.get(SESSION_COOKIE) or ""
            )
        )
        operator = None if isinstance(found, Refused) else handoff.state.operators.get(found.id)
        if operator is None:
            reason = "unknown operator token or expired session"
            if "websocket.http.response" in websocket.scope.get("extensions", {}):
                await websocket.send_denial_response(
                    JSONResponse({"detail": reason}, status_code=401)
                )
            else:
                await websocket.close(code=4401, reason=reason)
            return
        await websocket.accept()
        queue = handoff.hub.open(operator.id)
        await desk.seen(operator.id)
        await websocket.send_json({"type": "hello", "operator": operator.public()})
        receiver = asyncio.create_task(_receive(websocket, handoff, desk, operator, queue))
        try:
            await forward(websocket, queue, receiver)
        finally:
            receiver.cancel()
            handoff.hub.close_socket(operator.id, queue)


async def _receive(
    websocket: WebSocket,
    handoff: Handoff,
    desk: HandoffDesk,
    operator: OperatorState,
    queue: Any,
) -> None:
    """Client → server: `{"type": "ping"}` (activity) and `{"type": "watch",
    "conversation_id": N | null}` (the conversation on screen)."""
    while True:
        message = await websocket.receive()
        if message["type"] == "websocket.disconnect":
            return
        try:
            data = json.loads(message.get("text") or "{}")
        except ValueError:
            continue
        if not isinstance(data, dict):
            continue
        await desk.seen(operator.id)
        if data.get("type") == "watch":
            target = data.get("conversation_id")
            watched = (target if is_row_id(target)
                       and await _may_watch(handoff, operator, target) else None)
            handoff.hub.watch(queue, watched)
            # Through the socket's queue: one task writes to the socket.
            with contextlib.suppress(asyncio.QueueFull):
                queue.put_nowait({"type": "watching", "watching": watched})


async def _may_watch(handoff: Handoff, operator: OperatorState, conversation_id: int) -> bool:
    """Only a conversation the operator may open (`relevo.handoff.visibility`)."""
    async with handoff.database.read() as conn:
        where = await whereabouts(conn, conversation_id)
    return where is not None and may_see(operator, where)
