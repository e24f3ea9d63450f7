"""A real `relevo run` process and Debian's Chromium, for end-to-end tests."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import IN_CI, free_port

REPO_ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
# Playwright's own browser download cannot work here; these flags keep Debian's
# Chromium quiet and off the network.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
STARTUP_TIMEOUT_S = 30.0


def require_chromium() -> None:
    """Skip without Debian's Chromium (fail in CI)."""
    if not CHROMIUM.exists():
        message = "Debian chromium not installed: apt-get install chromium"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)


@contextmanager
def chromium() -> Iterator[Any]:
    """Debian's Chromium through Playwright; skips without it (fails in CI)."""
    sync_api = pytest.importorskip("playwright.sync_api")
    require_chromium()
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@asynccontextmanager
async def chromium_async() -> AsyncIterator[Any]:
    """The same browser through Playwright's async API, for tests that also drive the
    app on their own event loop."""
    async_api = pytest.importorskip("playwright.async_api")
    require_chromium()
    async with async_api.async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=str(CHROMIUM),
                                                   args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            await browser.close()


def relevo_env(tmp_path: Path, database_url: str | None = None) -> dict[str, str]:
    """A fresh database (a SQLite file unless given) and no NLU: every shopper message
    goes to a person."""
    return {
        **os.environ,
        "RELEVO_DATABASE_URL": database_url or f"sqlite+aiosqlite:///{tmp_path}/relevo.db",
        "RELEVO_NLU__BACKEND": "none",
    }


def relevo_cli(env: dict[str, str], *args: str, stdin: str | None = None) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "relevo.app.cli", *args], cwd=REPO_ROOT, env=env, input=stdin,
        capture_output=True, text=True, timeout=60, check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


@contextmanager
def relevo_server(
    env: dict[str, str], log_path: Path, startup_timeout_s: float = STARTUP_TIMEOUT_S
) -> Iterator[str]:
    """`relevo run` on a free port; yields its base URL once /healthz answers (within
    `startup_timeout_s`: more for a server that trains its NLU at start-up)."""
    port = free_port()
    command = [
        sys.executable, "-m", "relevo.app.cli", "run", "--host", "127.0.0.1", "--port", str(port)
    ]
    # Output goes to a file, not a pipe: a chatty server must never block on a full pipe.
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command, cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
        )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(url, process, log_path, startup_timeout_s)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def _wait_healthy(
    url: str, process: subprocess.Popen[bytes], log_path: Path, timeout_s: float
) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(
                f"relevo exited with {process.returncode} before it was healthy:\n"
                + log_path.read_text(errors="replace")
            )
        try:
            if httpx.get(url + "/healthz", timeout=1.0).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    pytest.fail(
        f"relevo was not healthy within {timeout_s:.0f} s:\n"
        + log_path.read_text(errors="replace")
    )
