"""Shared by the log-in tests: an app with a hand-moved clock, an operator with a
password, and log-in calls from a chosen client address."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from relevo.app.settings import Settings
from relevo.bot.store import operators as operator_store
from relevo.handoff.auth import hash_password
from tests.conftest import REDIS_URL, require
from tests.handoff.helpers import ManualClock, Op, add_operator, build_app, service

PASSWORD = "the right password"
WRONG = "a wrong password"


@pytest.fixture(params=["in_process", "redis"])
def limits_store(request: pytest.FixtureRequest) -> dict[str, Any]:
    """Settings for where the limits live: this process, or the test Redis."""
    if request.param == "in_process":
        return {}
    require(bool(REDIS_URL), "RELEVO_TEST_REDIS_URL is not set: Redis variant skipped")
    return {"redis_url": REDIS_URL}


def unique_email(name: str = "ana") -> str:
    # Unique per test: counts in a shared Redis outlive a test.
    return f"{name}-{uuid.uuid4().hex[:10]}@shop.test"


def unique_ips(count: int) -> list[str]:
    base = uuid.uuid4().int
    return [f"10.{(base >> 8) % 250}.{base % 250}.{n + 1}" for n in range(count)]


def login_app(make_settings: Callable[..., Settings], clock: ManualClock, *,
              login: dict[str, Any] | None = None, **settings: Any) -> FastAPI:
    """`settings` at the top level, `login` under `handoff.login`."""
    # The test client's peer is 127.0.0.1; trusted, it may say other addresses.
    settings.setdefault("trusted_proxies", ["127.0.0.1"])
    return build_app(lambda **handoff: make_settings(**handoff, **settings), clock,
                     **({"login": login} if login else {}))


async def operator_with_password(app: FastAPI, email: str) -> Op:
    op = await add_operator(app, "Ana", email=email)
    async with service(app).database.write() as conn:
        await operator_store.set_password_hash(conn, op.id, await hash_password(PASSWORD))
    return op


async def log_in(client: httpx.AsyncClient, email: str, password: str,
                 ip: str | None = None) -> httpx.Response:
    headers = {"X-Forwarded-For": ip} if ip else {}
    return await client.post("/console/session", json={"email": email, "password": password},
                             headers=headers)
