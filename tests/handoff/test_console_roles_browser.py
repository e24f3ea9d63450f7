"""The console shows a person's roles and community badges, in Debian's Chromium against a
real `relevo run` on SQLite and PostgreSQL: Olga, an ambassador given the editor and
reviewer roles by the CLI, whose proposed answer was published, sees both roles beside
her kind, her points and the badge named in her browser's language (Spanish), and no
audit log (she lacks `audit:read`)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from relevo.bot.store.db import Database
from relevo.bot.types import OperatorKind
from relevo.handoff import points
from relevo.handoff.config import PointsSettings
from tests.live import chromium, relevo_cli, relevo_env, relevo_server

pytestmark = [pytest.mark.browser, pytest.mark.slow]

WAIT_MS = 15_000
PASSWORD = "correct horse battery"


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as launched:
        yield launched


def _credit(database_url: str, operator_id: int) -> int:
    """What the server's subscriber does for `ArticlePublished(…, credited_operator_id)`,
    done before it starts (its own loop, in a thread: Playwright's runs on this one)."""

    async def credit() -> int:
        database = Database(database_url)
        try:
            async with database.write() as conn:
                return await points.credit_answer(
                    conn, PointsSettings(), operator_id=operator_id,
                    kind=OperatorKind.AMBASSADOR, intent="returns_policy", revision=2,
                    now=datetime.now(UTC))
        finally:
            await database.close()

    with ThreadPoolExecutor(1) as thread:
        return thread.submit(asyncio.run, credit()).result()


@pytest.fixture
def server(tmp_path: Path, live_database_url: str) -> Iterator[str]:
    env = relevo_env(tmp_path, live_database_url)
    relevo_cli(env, "operators", "add", "--name", "Olga", "--kind", "ambassador",
               "--email", "olga@shop.test", "--languages", "es,en",
               "--roles", "reviewer,editor")
    relevo_cli(env, "operators", "set-password", "olga@shop.test", "--password-stdin",
               stdin=PASSWORD + "\n")
    assert _credit(live_database_url, 1) == 25
    with relevo_server(env, tmp_path / "server.log") as url:
        yield url


def test_the_console_shows_every_role_and_the_community_badge(
    browser: Any, server: str,
) -> None:
    errors: list[str] = []
    page = browser.new_context(locale="es-ES").new_page()
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(server + "/console")
    page.get_by_label("E-mail").fill("olga@shop.test")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.locator("#live.on").wait_for(timeout=WAIT_MS)
    page.wait_for_function(
        "() => document.querySelector('#me-load')?.textContent.includes('pts')",
        timeout=WAIT_MS)
    assert page.locator("#me-kind").text_content() == "ambassador · editor, reviewer"
    shown = page.locator("#me-load").text_content() or ""
    assert "25 pts" in shown and "Voz de la comunidad" in shown, shown
    assert "Una respuesta que propuso" in (page.locator("#me-load").get_attribute("title") or "")
    assert page.locator("#audit-open").is_hidden()
    assert errors == []
