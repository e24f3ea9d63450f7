"""The web chat over a real socket: WebSocket push, refusals, and a real `relevo run`."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
import websockets
from websockets.exceptions import InvalidStatus

from relevo.app import create_app
from relevo.app.settings import Settings
from tests.conftest import free_port
from tests.fakes.nlu import shop_kb, shop_nlu
from tests.settle import wait_until


@pytest.fixture
async def served(make_settings: Callable[..., Settings]) -> AsyncIterator[str]:
    """The app behind a real uvicorn server in this event loop; yields its base URL."""
    port = free_port()
    app = create_app(make_settings(), nlu=shop_nlu(), knowledge_base=shop_kb())
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, lifespan="on")
    )
    task = asyncio.create_task(server.serve())
    await wait_until(lambda: server.started, "uvicorn to start")
    yield f"127.0.0.1:{port}"
    server.should_exit = True
    await task


async def receive_until(socket: Any, predicate: Callable[[dict[str, Any]], bool]) -> list[Any]:
    seen = []
    async with asyncio.timeout(10):
        while True:
            frame = json.loads(await socket.recv())
            seen.append(frame)
            if predicate(frame):
                return seen


async def test_the_socket_pushes_the_shoppers_message_and_the_answer(served: str) -> None:
    async with httpx.AsyncClient(base_url=f"http://{served}") as client:
        token = (await client.post("/webchat/sessions")).json()["visitor_token"]
        async with websockets.connect(f"ws://{served}/webchat/ws?token={token}") as socket:
            sent = await client.post(
                "/webchat/messages",
                json={"text": "how long is shipping?"},
                headers={"Authorization": f"Bearer {token}"},
            )
            frames = await receive_until(socket, lambda f: f["author"]["kind"] == "bot")
        polled = await client.get(
            "/webchat/messages", headers={"Authorization": f"Bearer {token}"}
        )
    assert sent.status_code == 202
    assert frames == polled.json()["messages"]  # pushed objects are the polled ones
    assert frames[0]["id"] == sent.json()["message_id"]
    assert frames[0]["author"] == {"kind": "shopper", "name": None}
    assert frames[-1]["text"] == "Orders arrive in 2-3 working days."
    assert {"id", "author", "text", "created_at"} <= set(frames[-1])


async def test_a_socket_only_hears_its_own_visitor(served: str) -> None:
    async with httpx.AsyncClient(base_url=f"http://{served}") as client:
        alice = (await client.post("/webchat/sessions")).json()["visitor_token"]
        bob = (await client.post("/webchat/sessions")).json()["visitor_token"]
        async with websockets.connect(f"ws://{served}/webchat/ws?token={bob}") as bob_socket, \
                websockets.connect(f"ws://{served}/webchat/ws?token={alice}") as alice_socket:
            await client.post(
                "/webchat/messages", json={"text": "alice's shipping question"},
                headers={"Authorization": f"Bearer {alice}"},
            )
            await client.post(
                "/webchat/messages", json={"text": "bob asks about shipping"},
                headers={"Authorization": f"Bearer {bob}"},
            )
            frames = await receive_until(bob_socket, lambda f: f["author"]["kind"] == "bot")
            # Alice's answer has been pushed once her own socket has it. Anything pushed
            # to Bob's socket by then comes before the answer to his next message.
            await receive_until(alice_socket, lambda f: f["author"]["kind"] == "bot")
            await client.post(
                "/webchat/messages", json={"text": "bob again: shipping?"},
                headers={"Authorization": f"Bearer {bob}"},
            )
            frames += await receive_until(bob_socket, lambda f: f["author"]["kind"] == "bot")
        bobs = await client.get("/webchat/messages", headers={"Authorization": f"Bearer {bob}"})
    assert all("alice" not in f["text"] for f in frames)
    assert frames[0]["text"] == "bob asks about shipping"
    # Every frame Bob heard is one of his own messages, each once, in order.
    assert [f["id"] for f in frames] == [m["id"] for m in bobs.json()["messages"]]
    assert len(frames) == 4


@pytest.mark.parametrize("query", ["", "?token=", "?token=forged"])
async def test_a_socket_without_a_valid_token_is_refused_with_a_reason(
    served: str, query: str
) -> None:
    with pytest.raises(InvalidStatus) as refused:
        async with websockets.connect(f"ws://{served}/webchat/ws{query}"):
            pass
    assert refused.value.response.status_code == 401
    assert b"token" in refused.value.response.body


@pytest.mark.slow
def test_a_real_relevo_run_process_serves_a_whole_session(tmp_path: Path) -> None:
    port = free_port()
    env = {
        **os.environ,
        "RELEVO_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'relevo.db'}",
        "RELEVO_NLU__BACKEND": "none",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "relevo.app.cli", "run", "--port", str(port)],
        cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        token_seen_by_test = asyncio.run(_session_against(f"127.0.0.1:{port}", process))
    finally:
        process.terminate()
        output, _ = process.communicate(timeout=20)
    assert f"Demo shop: http://127.0.0.1:{port}/" in output
    # uvicorn shuts down gracefully, then re-raises SIGTERM as the exit status.
    assert process.returncode in (0, -15)
    assert "Traceback" not in output
    assert token_seen_by_test not in output  # no secrets in the logs
    assert "I need a hand" not in output  # no message text at INFO


async def _session_against(address: str, process: subprocess.Popen[str]) -> str:
    async with httpx.AsyncClient(base_url=f"http://{address}") as client:
        async with asyncio.timeout(30):
            while True:
                if process.poll() is not None:
                    raise AssertionError(f"relevo run exited: {process.stdout.read()}")  # type: ignore[union-attr]
                try:
                    if (await client.get("/healthz")).status_code == 200:
                        break
                except httpx.TransportError:
                    await asyncio.sleep(0.1)
        page = await client.get("/")
        assert page.status_code == 200 and "/widget.js" in page.text
        assert (await client.get("/widget.js")).status_code == 200
        token = (await client.post("/webchat/sessions")).json()["visitor_token"]
        async with websockets.connect(f"ws://{address}/webchat/ws?token={token}") as socket:
            sent = await client.post(
                "/webchat/messages", json={"text": "I need a hand", "locale": "en"},
                headers={"Authorization": f"Bearer {token}"},
            )
            assert sent.status_code == 202
            frames = await receive_until(socket, lambda f: f["author"]["kind"] == "system")
        assert "person" in frames[-1]["text"]
        polled = await client.get(
            "/webchat/messages", headers={"Authorization": f"Bearer {token}"}
        )
        assert [m["author"]["kind"] for m in polled.json()["messages"]] == ["shopper", "system"]
    return token
