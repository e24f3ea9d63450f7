"""Shopper widget ↔ operator console, end to end: a real `relevo run` and Debian's Chromium.

The shopper asks for a person in the widget; the operator, logged in to /console with an
e-mail and password, sees the conversation appear live, claims it, replies; the shopper
sees the signed reply; the operator resolves; the shopper is asked for a CSAT score and
answers it.
"""

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
WIDGET_REPLIES = ".relevo-msg:not(.relevo-msg--shopper) .relevo-bubble"


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as launched:
        yield launched


@pytest.fixture
def server_url(tmp_path: Path, live_database_url: str) -> Iterator[str]:
    """A fresh `relevo run` (SQLite or PostgreSQL, no NLU) with one in-house operator, Ana."""
    env = relevo_env(tmp_path, live_database_url)
    relevo_cli(env, "operators", "add", "--name", "Ana", "--kind", "internal",
               "--email", "ana@shop.test", "--languages", "en,es")
    relevo_cli(env, "operators", "set-password", "ana@shop.test", "--password-stdin",
               stdin=PASSWORD + "\n")
    with relevo_server(env, tmp_path / "server.log") as url:
        yield url


def _page(browser: Any, url: str, errors: list[str]) -> Any:
    context = browser.new_context(locale="en-US")
    page = context.new_page()
    page.on("pageerror", lambda error: errors.append(str(error)))

    def on_dialog(dialog: Any) -> None:  # an alert() would mean injected markup ran
        errors.append("dialog: " + dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    page.goto(url)
    return page


def _shopper_says(page: Any, text: str) -> None:
    box = page.get_by_role("textbox", name="Message")
    box.fill(text)
    box.press("Enter")


def test_shopper_and_operator_meet_through_the_console(
    browser: Any, server_url: str, tmp_path: Path
) -> None:
    errors: list[str] = []
    console = _page(browser, server_url + "/console", errors)
    shop = _page(browser, server_url + "/", errors)
    try:
        # The operator logs in and goes online.
        console.get_by_label("E-mail").fill("ana@shop.test")
        console.get_by_label("Password").fill(PASSWORD)
        console.get_by_role("button", name="Log in").click()
        console.locator("#me-name", has_text="Ana").wait_for(timeout=WAIT_MS)
        console.locator("#live.on").wait_for(timeout=WAIT_MS)
        console.get_by_label("Presence").select_option("online")
        console.locator("#me-load").wait_for(timeout=WAIT_MS)

        # The shopper asks for a person; the console shows it without a reload.
        shop.get_by_role("button", name="Open chat").click()
        hostile = "I need a person <img src=x onerror=alert(1)>"
        _shopper_says(shop, hostile)
        shop.locator(WIDGET_REPLIES, has_text="person").first.wait_for(timeout=WAIT_MS)
        queued = console.locator("#queue li").first
        queued.wait_for(timeout=WAIT_MS)
        assert "offered to you" in (queued.text_content() or "")
        queued.click()
        console.locator("#messages li.shopper", has_text="I need a person").wait_for(
            timeout=WAIT_MS
        )
        assert console.locator("#messages img").count() == 0

        # Claim and reply.
        console.get_by_role("button", name="Claim").click()
        console.locator("#mine li").first.wait_for(timeout=WAIT_MS)
        console.get_by_label("Reply").fill("Hi, I'm Ana. How can I help?")
        console.get_by_role("button", name="Send").click()
        signed = shop.locator(".relevo-msg", has_text="How can I help?")
        signed.wait_for(timeout=WAIT_MS)
        assert "Ana · agent" in (signed.text_content() or "")

        # Resolve: the shopper is asked for a score and gives one.
        console.get_by_role("button", name="Resolve").click()
        shop.locator(WIDGET_REPLIES, has_text="from 1").first.wait_for(timeout=WAIT_MS)
        _shopper_says(shop, "5")
        shop.locator(WIDGET_REPLIES, has_text="Thank you for your rating").first.wait_for(
            timeout=WAIT_MS
        )
        console.screenshot(path=str(tmp_path / "console.png"))
    finally:
        console.context.close()
        shop.context.close()
    stats = httpx.get(server_url + "/healthz", timeout=5)
    assert stats.status_code == 200
    assert errors == []
