"""The widget, in Debian's Chromium, on SQLite and PostgreSQL: a bot answer in the safe
formatting subset is drawn as bold, a safe link and a list, hostile markup in it stays
text and never runs; 👎 under it offers a person, and "yes" puts the shopper in the
queue (#13 items 2 and 7)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from relevo.bot.store.schema import conversations, message_feedback
from tests.channels.web.live_app import (
    FORMATTED_ANSWER,
    LiveApp,
    formatted_answer_app,
    screenshot,
)
from tests.live import chromium

pytestmark = pytest.mark.browser

WAIT_MS = 15_000
BOT = ".relevo-msg--bot .relevo-bubble"
ANSWER = FORMATTED_ANSWER


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as launched:
        yield launched


@pytest.fixture
def app(tmp_path: Path, live_database_url: str) -> Iterator[LiveApp]:
    with formatted_answer_app(tmp_path, live_database_url) as running:
        yield running


async def _state(app: LiveApp) -> tuple[str, str | None, list[bool]]:
    async with app.relevo.database.read() as conn:
        state = (await conn.execute(sa.select(conversations.c.state,
                                              conversations.c.handoff_reason))).one()
        votes = (await conn.execute(sa.select(message_feedback.c.helpful))).scalars().all()
    return state.state, state.handoff_reason, list(votes)


def test_a_formatted_answer_is_safe_and_thumbs_down_leads_to_a_person(
    browser: Any, app: LiveApp
) -> None:
    context = browser.new_context(locale="en-US")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("dialog", lambda d: (errors.append("dialog: " + d.message), d.dismiss()))
    try:
        page.goto(app.url + "/")
        page.get_by_role("button", name="Open chat").click()
        box = page.get_by_role("textbox", name="Message")
        box.fill("how long does shipping take?")
        box.press("Enter")
        answer = page.locator(BOT).first
        answer.wait_for(timeout=WAIT_MS)
        assert answer.locator("strong").first.text_content() == "2-3 working days"
        link = page.get_by_role("link", name="tracking")
        assert link.get_attribute("href") == "https://shop.test/track"
        assert link.get_attribute("rel") == "noopener noreferrer"
        assert link.get_attribute("target") == "_blank"
        assert answer.locator("li").all_text_contents() == ["Express: 24 h", "Pickup: same day"]
        text = answer.text_content() or ""
        assert "[this](javascript:window.__xss=1)" in text
        assert "<img src=x onerror=window.__xss=1>" in text
        assert "<script>window.__xss=1</script>" in text
        assert page.locator(".relevo-root img, .relevo-root script").count() == 0
        assert page.locator(".relevo-root a").count() == 1
        assert page.evaluate("window.__xss") is None
        assert page.evaluate("typeof window.RelevoFormat") == "undefined"  # nothing leaked
        screenshot(page, "widget-feedback-answer")

        page.get_by_role("button", name="Not helpful").click()
        page.get_by_text("Do you want to talk to a person?").wait_for(timeout=WAIT_MS)
        # the vote shows as the shopper's 👎, not its answer id
        assert page.locator(".relevo-msg--shopper .relevo-bubble").last.text_content() == "👎"
        page.get_by_role("button", name="Yes, a person").click()
        # the handoff message (or, with nobody online, the after-hours one)
        page.locator(".relevo-msg--system").first.wait_for(timeout=WAIT_MS)
        screenshot(page, "widget-feedback-person")
        state = app.run(_state(app))
        assert page.evaluate("window.__xss") is None
    finally:
        context.close()
    assert state == ("queued", "the answer did not help", [False])
    assert errors == []
