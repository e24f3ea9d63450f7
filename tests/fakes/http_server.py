"""Serve an ASGI app for real on 127.0.0.1 (a free port), in a background thread, so
the vendors' own SDK clients talk HTTP to a fake provider. Works from sync tests
(the CLI) and async ones alike."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn

from tests.conftest import free_port


@contextmanager
def serving(app: Any, port: int | None = None) -> Iterator[str]:
    """Yield the base URL (`http://127.0.0.1:PORT`) while `app` is served (on `port`
    when given: a test may point relevo at it before anything listens there)."""
    port = port or free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            app, host="127.0.0.1", port=port, log_level="warning", lifespan="off",
            access_log=False,
        )
    )
    thread = threading.Thread(target=server.run, name=f"fake-api-{port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the fake API server did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
