"""Slack's side of Socket Mode: a local WebSocket server (in the test's event loop) that
the app connects to at the URL `apps.connections.open` gave it. It greets the app the
way Slack does, hands it envelopes and records the acknowledgements it sends back."""

from __future__ import annotations

import itertools
import json
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from websockets.asyncio.server import ServerConnection, serve


@dataclass
class FakeSocketMode:
    url: str = ""
    acks: list[dict[str, Any]] = field(default_factory=list)
    connections: list[ServerConnection] = field(default_factory=list)
    _ids: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    @classmethod
    @asynccontextmanager
    async def running(cls) -> AsyncIterator[FakeSocketMode]:
        fake = cls()
        async with serve(fake._session, "127.0.0.1", 0) as server:
            port = next(iter(server.sockets)).getsockname()[1]
            fake.url = f"ws://127.0.0.1:{port}/link/?ticket=relevo-test"
            yield fake

    async def _session(self, connection: ServerConnection) -> None:
        self.connections.append(connection)
        await connection.send(json.dumps({
            "type": "hello", "num_connections": 1,
            "debug_info": {"host": "applink-fake", "approximate_connection_time": 18060},
            "connection_info": {"app_id": "A0RELEVO001"},
        }))
        async for raw in connection:
            self.acks.append(json.loads(raw))

    async def deliver(self, kind: str, payload: dict[str, Any]) -> str:
        """Send an envelope (`events_api`, `interactive`, `slash_commands`) to the app;
        returns its id, which the app's acknowledgement must carry."""
        envelope_id = f"env-{next(self._ids):04d}"
        await self.connections[-1].send(json.dumps({
            "envelope_id": envelope_id, "type": kind, "payload": payload,
            "accepts_response_payload": kind != "events_api", "retry_attempt": 0,
            "retry_reason": "",
        }))
        return envelope_id

    def acknowledged(self, envelope_id: str) -> bool:
        return any(ack.get("envelope_id") == envelope_id for ack in self.acks)
