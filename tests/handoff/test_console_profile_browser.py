"""The console's signature editor, in Debian's Chromium against a real `relevo run`: an
operator sees the gender-neutral default, sets their own Spanish title with a live
preview, saves it, and the server's refusal of a bad one is shown as it is."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.live import chromium, relevo_cli, relevo_env, relevo_server

pytestmark = [pytest.mark.browser, pytest.mark.slow]

WAIT_MS = 15_000
PASSWORD = "correct horse battery"


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as launched:
        yield launched


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, str]]:
    """`relevo run` with Lucía, an expert; yields the URL and her API token."""
    env = relevo_env(tmp_path)
    token = relevo_cli(env, "operators", "add", "--name", "Lucía", "--kind", "expert",
                       "--email", "lucia@shop.test", "--languages", "es,en").strip()
    relevo_cli(env, "operators", "set-password", "lucia@shop.test", "--password-stdin",
               stdin=PASSWORD + "\n")
    with relevo_server(env, tmp_path / "server.log") as url:
        yield url, token


def test_an_operator_sets_their_spanish_title(browser: Any, server: tuple[str, str]) -> None:
    url, token = server
    errors: list[str] = []
    page = browser.new_context(locale="es-ES").new_page()
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(url + "/console")
    page.get_by_label("E-mail").fill("lucia@shop.test")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.locator("#live.on").wait_for(timeout=WAIT_MS)

    page.get_by_role("button", name="Signature").click()
    dialog = page.get_by_role("dialog", name="Your signature")
    dialog.wait_for(timeout=WAIT_MS)
    spanish = page.locator("#profile-es-preview")
    page.wait_for_function(
        "() => document.querySelector('#profile-es-preview')?.textContent !== ''",
        timeout=WAIT_MS)
    assert spanish.text_content() == "Lucía · especialista"
    assert page.locator("#profile-es-title").get_attribute("placeholder") == "especialista"
    assert page.locator("#profile-en-preview").text_content() == "Lucía · expert"

    page.locator("#profile-es-title").fill("experta")
    assert spanish.text_content() == "Lucía · experta"  # the preview follows the typing
    dialog.get_by_role("button", name="Save").click()
    page.get_by_role("status").filter(has_text="Saved.").wait_for(timeout=WAIT_MS)
    stored = httpx.get(url + "/api/operators/me/signatures", timeout=5,
                       headers={"Authorization": f"Bearer {token}"}).json()
    assert stored["signatures"]["es"]["title"] == "experta"
    assert stored["previews"]["es"] == "Lucía · experta"

    # A title the server refuses (a hidden direction override): its reason, shown as is.
    page.locator("#profile-es-title").evaluate("(input) => { input.value = 'ex\\u202eperta'; }")
    dialog.get_by_role("button", name="Save").click()
    alert = page.locator("#profile-error")
    page.wait_for_function(
        "() => document.querySelector('#profile-error')?.textContent !== ''", timeout=WAIT_MS)
    assert alert.text_content() == "signatures.es.title: must not contain control characters"
    dialog.get_by_role("button", name="Close").click()
    assert not dialog.is_visible()
    assert errors == []
