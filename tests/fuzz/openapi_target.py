"""The app schemathesis fuzzes: relevo as `relevo run` serves it (embedded NLU, the demo
shop's knowledge base), on SQLite or PostgreSQL, with credentials that get every case
past authentication and data for the handlers to find.

Schemathesis sends each case through its own ASGI client, which runs the app (and its
lifespan) on one event loop in a thread of its own; the database is prepared before,
on another loop, with a `Database` of its own that is closed when done.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from anyio.from_thread import start_blocking_portal
from fastapi import FastAPI
from schemathesis.python import asgi

from relevo.app import create_app
from relevo.app.migrations import PACKAGE_MIGRATIONS
from relevo.app.settings import Settings, load_settings
from relevo.bot.store import operators as operator_store
from relevo.bot.store.db import Database
from relevo.bot.store.migrate import upgrade
from relevo.bot.types import OperatorKind, Role

# A shopper message that no article answers: the conversation goes to a person, so
# the operator routes find a queued conversation (id 1) to work on.
FIRST_MESSAGE = "I want to talk to a person about my order, please"


def fuzz_settings(database_url: str) -> Settings:
    return load_settings(os.devnull, database_url=database_url)


def openapi_document() -> dict[str, Any]:
    """What `/openapi.json` serves, without starting anything (collection time)."""
    app = create_app(fuzz_settings("sqlite+aiosqlite:///:memory:"))
    return app.openapi()


@dataclass(frozen=True)
class Target:
    app: FastAPI
    admin_token: str
    admin_id: int
    victim_id: int  # another operator, for the routes that edit or remove one
    visitor_token: str

    def token_for(self, path: str) -> str:
        return self.admin_token if path.startswith("/api/") else self.visitor_token


async def _prepare(database_url: str) -> tuple[str, int, int]:
    """Schema, an admin (whose token the fuzzer uses) and a second operator."""
    database = Database(database_url)
    try:
        await upgrade(database, locations=PACKAGE_MIGRATIONS)
        async with database.write() as conn:
            now = datetime.now(UTC)
            admin, token = await operator_store.add(
                conn, name="Fuzz Admin", kind=OperatorKind.INTERNAL, email=None,
                languages=["en", "es"], skills=[], max_concurrent=5, now=now, role=Role.ADMIN,
            )
            victim, _ = await operator_store.add(
                conn, name="Eva", kind=OperatorKind.EXPERT, email="eva@shop.example",
                languages=["es"], skills=[], max_concurrent=3, now=now,
            )
    finally:
        await database.close()
    return token, admin.id, victim.id


@contextmanager
def running_target(database_url: str) -> Iterator[Target]:
    """The app started in schemathesis's ASGI loop, with a shopper conversation."""
    with start_blocking_portal() as portal:
        token, admin_id, victim_id = portal.call(_prepare, database_url)
    app = create_app(fuzz_settings(database_url))
    try:
        with asgi.get_client(app) as client:
            session = client.post("/webchat/sessions", json={})
            assert session.status_code == 201, session.text
            visitor = session.json()["visitor_token"]
            said = client.post("/webchat/messages", json={"text": FIRST_MESSAGE},
                               headers={"Authorization": f"Bearer {visitor}"})
            assert said.status_code == 202, said.text
            served = client.get("/openapi.json")
            assert served.json() == openapi_document(), "the fuzzed schema is not the served one"
        yield Target(app, token, admin_id, victim_id, visitor)
    finally:
        asgi.shutdown_lifespans()
