"""Shared fixtures: a fresh database per test, on SQLite and on PostgreSQL.

PostgreSQL comes from RELEVO_TEST_DATABASE_URL (a server URL; each test gets its own
database on it). Where it is unset the PostgreSQL variants skip with a reason; with
CI=true they fail instead, so CI can never pass without them.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import uuid
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
from fastapi import FastAPI

from relevo.app.settings import Settings, load_settings

IN_CI = os.environ.get("CI", "").lower() == "true"
PG_URL = os.environ.get("RELEVO_TEST_DATABASE_URL", "")
REDIS_URL = os.environ.get("RELEVO_TEST_REDIS_URL", "")


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    """`relevo run` configures process-wide logging; give each test a clean slate."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def require(condition: bool, reason: str) -> None:
    if condition:
        return
    if IN_CI:
        pytest.fail(f"CI must run this test: {reason}")
    pytest.skip(reason)


@asynccontextmanager
async def postgres_database() -> AsyncIterator[str]:
    import asyncpg

    require(bool(PG_URL), "RELEVO_TEST_DATABASE_URL is not set: PostgreSQL variant skipped")
    server = PG_URL.replace("postgresql+asyncpg://", "postgresql://")
    name = f"relevo_test_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(server)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    base = PG_URL.rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}"
    finally:
        admin = await asyncpg.connect(server)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()


@pytest.fixture(params=["sqlite", "postgres"])
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'relevo.db'}"
        return
    async with postgres_database() as url:
        yield url


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'relevo.db'}"


@pytest.fixture
def make_settings(database_url: str) -> Callable[..., Settings]:
    def make(**overrides: Any) -> Settings:
        values: dict[str, Any] = {"database_url": database_url, "nlu": {"backend": "none"}}
        values.update(overrides)
        return load_settings(os.devnull, **values)

    return make


@asynccontextmanager
async def started(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """Run the app's lifespan and give an in-process HTTP client."""
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://relevo.test") as client:
            yield client


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(params=["sqlite", "postgres"])
def live_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh database for a real `relevo run`, on each backend: what the browser sees
    must not depend on it (import this fixture into a browser test module)."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path}/relevo.db"
        return
    database = postgres_database()
    url = _in_own_loop(database.__aenter__())
    try:
        yield url
    finally:
        _in_own_loop(database.__aexit__(None, None, None))


T = TypeVar("T")


def _in_own_loop(step: Coroutine[Any, Any, T]) -> T:
    """Run `step` on a loop of its own thread: Playwright's sync API keeps a loop running
    on the test's thread. Not `asyncio.run`: it would close the database's context
    manager (an async generator) at the end of the first step."""

    def run() -> T:
        loop = asyncio.new_event_loop()
        try:
            return loop.run_until_complete(step)
        finally:
            loop.close()

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(run).result()
