"""The console's audit log view, in Debian's Chromium against a real `relevo run`: an
admin opens it and sees who exported a shopper's data (an operator whose name is
markup, shown as text), filters by action; a plain operator has no such view."""

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
HOSTILE = "Ana <img src=x onerror=alert(1)>"


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as launched:
        yield launched


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, str]]:
    """`relevo run` with an admin (Ana, her name is markup) and a plain operator (Olga);
    yields the URL and Ana's API token."""
    env = relevo_env(tmp_path)
    token = relevo_cli(env, "operators", "add", "--name", HOSTILE, "--kind", "internal",
                       "--email", "ana@shop.test", "--role", "admin").strip()
    relevo_cli(env, "operators", "add", "--name", "Olga", "--kind", "outsourced",
               "--email", "olga@shop.test")
    for email in ("ana@shop.test", "olga@shop.test"):
        relevo_cli(env, "operators", "set-password", email, "--password-stdin",
                   stdin=PASSWORD + "\n")
    with relevo_server(env, tmp_path / "server.log") as url:
        yield url, token


def _log_in(browser: Any, url: str, email: str, errors: list[str]) -> Any:
    page = browser.new_context(locale="en-US").new_page()
    page.on("pageerror", lambda error: errors.append(str(error)))

    def on_dialog(dialog: Any) -> None:  # an alert() would mean injected markup ran
        errors.append("dialog: " + dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    page.goto(url + "/console")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.locator("#live.on").wait_for(timeout=WAIT_MS)
    return page


def test_an_admin_reads_the_audit_log_and_an_operator_cannot(
    browser: Any, server: tuple[str, str]
) -> None:
    url, token = server
    visitor = httpx.post(url + "/webchat/sessions", timeout=5).json()["visitor_token"]
    said = httpx.post(url + "/webchat/messages", json={"text": "hello"}, timeout=5,
                      headers={"Authorization": f"Bearer {visitor}"})
    assert said.status_code == 202
    exported = httpx.get(f"{url}/api/contacts/1/export", timeout=10,  # the first shopper
                         headers={"Authorization": f"Bearer {token}"})
    assert exported.status_code == 200, exported.text
    errors: list[str] = []
    admin = _log_in(browser, url, "ana@shop.test", errors)
    operator = _log_in(browser, url, "olga@shop.test", errors)
    try:
        admin.get_by_role("button", name="Audit log").click()
        row = admin.locator("#audit-rows tr", has_text="contact.export")
        row.wait_for(timeout=WAIT_MS)
        assert HOSTILE in (row.text_content() or "")  # the markup is text
        assert admin.locator("#audit-rows img").count() == 0
        admin.get_by_label("Action").fill("settings.")
        admin.get_by_role("button", name="Filter").click()
        admin.locator("#audit-rows tr", has_text="settings.change").wait_for(timeout=WAIT_MS)
        admin.locator("#audit-rows tr", has_text="contact.export").wait_for(
            state="detached", timeout=WAIT_MS)
        assert operator.locator("#me-name").text_content() == "Olga"
        assert operator.get_by_role("button", name="Audit log").is_hidden()
        refused = operator.evaluate(
            "fetch('/api/audit', {credentials: 'same-origin'}).then(r => r.status)")
    finally:
        admin.context.close()
        operator.context.close()
    assert refused == 403
    assert errors == []
