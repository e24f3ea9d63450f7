"""Pushing a queue of JSON frames to a WebSocket: shared by the web chat (visitors)
and the operator console, so both stop the same way when the client goes."""

from __future__ import annotations

import asyncio
from typing import Any

from starlette.websockets import WebSocket, WebSocketDisconnect


async def forward(
    websocket: WebSocket, queue: asyncio.Queue[Any], receiver: asyncio.Task[None]
) -> None:
    """Send each frame `queue` yields until `receiver` (the task reading the client)
    ends or the socket goes away. The caller cancels `receiver` and closes its queue."""
    try:
        while True:
            getter = asyncio.create_task(queue.get())
            done, _ = await asyncio.wait({getter, receiver}, return_when=asyncio.FIRST_COMPLETED)
            if receiver in done:
                getter.cancel()
                return
            await websocket.send_json(getter.result())
    except (WebSocketDisconnect, RuntimeError):
        return
