"""The console draws bot answers in the safe formatting subset (#13 item 2) with DOM
nodes only: in Debian's Chromium, on SQLite and PostgreSQL, an answer holding bold, a
safe link, a list and XSS payloads shows the payloads as text and runs none of them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from relevo.bot.store import operators as operator_store
from relevo.bot.types import OperatorKind
from tests.channels.web.live_app import FORMATTED_ANSWER, LiveApp, formatted_answer_app
from tests.live import chromium

pytestmark = pytest.mark.browser

WAIT_MS = 15_000
ANSWER = FORMATTED_ANSWER


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as launched:
        yield launched


@pytest.fixture
def app(tmp_path: Path, live_database_url: str) -> Iterator[LiveApp]:
    with formatted_answer_app(tmp_path, live_database_url) as running:
        yield running


async def _operator(app: LiveApp) -> str:
    handoff = app.relevo.handoff
    async with handoff.database.write() as conn:
        row, token = await operator_store.add(
            conn, name="Ana", kind=OperatorKind.INTERNAL, email=None, languages=["en", "es"],
            skills=[], max_concurrent=3, now=handoff.now())
    handoff.state.operators.upsert(row)
    return str(token)


def _shopper_is_answered_then_asks_for_a_person(url: str) -> None:
    with httpx.Client(base_url=url, timeout=15) as client:
        token = client.post("/webchat/sessions", json={"locale": "en"}).json()["visitor_token"]
        visitor = {"Authorization": f"Bearer {token}"}
        for text in ("how long does shipping take?", "I want a person"):
            assert client.post("/webchat/messages", json={"text": text, "locale": "en"},
                               headers=visitor).status_code == 202


def test_bot_answers_are_formatted_and_payloads_stay_text(browser: Any, app: LiveApp) -> None:
    token = app.run(_operator(app))
    _shopper_is_answered_then_asks_for_a_person(app.url)
    context = browser.new_context(locale="en-US")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("dialog", lambda d: (errors.append("dialog: " + d.message), d.dismiss()))
    try:
        page.goto(app.url + "/console")
        page.get_by_label("API token").fill(token)
        page.get_by_role("button", name="Log in").click()
        page.locator("#queue li").first.wait_for(timeout=WAIT_MS)
        page.locator("#queue li").first.click()
        answer = page.locator("#messages li.bot .text").first
        answer.wait_for(timeout=WAIT_MS)
        assert answer.locator("strong").first.text_content() == "2-3 working days"
        link = answer.get_by_role("link", name="tracking")
        assert link.get_attribute("href") == "https://shop.test/track"
        assert link.get_attribute("rel") == "noopener noreferrer"
        assert answer.locator("li").all_text_contents() == ["Express: 24 h", "Pickup: same day"]
        text = answer.text_content() or ""
        assert "[this](javascript:window.__xss=1)" in text
        assert "<img src=x onerror=window.__xss=1>" in text
        assert "<script>window.__xss=1</script>" in text
        assert page.locator("#messages img, #messages script").count() == 0
        assert answer.locator("a").count() == 1
        assert page.evaluate("window.__xss") is None
        # the shopper's own text is never formatted
        assert page.locator("#messages li.shopper .text").first.text_content() == (
            "how long does shipping take?")
    finally:
        context.close()
    assert errors == []
