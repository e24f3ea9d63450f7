"""Serve an ASGI app for real (uvicorn, 127.0.0.1, a free port) in the test's own event
loop, for clients that need a socket: WebSocket clients, vendor SDKs."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import uvicorn

from tests.conftest import free_port
from tests.settle import wait_until


@asynccontextmanager
async def serving(app: Any, *, lifespan: bool = True) -> AsyncIterator[str]:
    """Yield `127.0.0.1:PORT` while `app` is served. `lifespan=False` serves an app whose
    lifespan the test already runs (`tests.conftest.started`), so both share its state."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(
        app, host="127.0.0.1", port=port, log_config=None, access_log=False,
        lifespan="on" if lifespan else "off",
    ))
    task = asyncio.create_task(server.serve())
    await wait_until(lambda: server.started or task.done(), "uvicorn to start")
    if task.done():
        task.result()  # raises why it could not start
    try:
        yield f"127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task
