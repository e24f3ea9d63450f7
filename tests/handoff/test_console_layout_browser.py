"""The operator console in Debian's Chromium at a laptop (1366×768) and a phone
(390×844) size, against the app served for real with the test NLU and knowledge base:

- the presence prompt at log-in switches the operator online; the title badge counts a
  new offer;
- with a long history open, Claim, Transfer, Resolve, Return to bot and the reply box
  are inside the viewport (the history scrolls in its own pane);
- a suggestion above the threshold inserts its answer with one click (not sent), one
  below it is not shown; "/" then Enter inserts a saved reply with the contact's name;
- typing publishes `OperatorTyping`, sending publishes its stop;
- the sidebar shows the linked channels and tags;
- search finds the resolved conversation by contact, text and id;
- controls have accessible names; Tab goes from the reply box to Send.

A screenshot of each state goes to RELEVO_SCREENSHOT_DIR (default
.ci/artifacts/screenshots/).
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from playwright.async_api import expect

from relevo.app.settings import load_settings
from relevo.bot.store.schema import contacts, identities
from relevo.bot.types import Event, OperatorTyping, Role
from tests.conftest import started
from tests.handoff.helpers import add_operator, build_app, new_shopper, say, service
from tests.live import REPO_ROOT, chromium_async
from tests.serve import serving
from tests.settle import wait_until

pytestmark = [pytest.mark.browser, pytest.mark.slow]

WAIT_MS = 15_000
SIZES = {"laptop": (1366, 768), "phone": (390, 844)}
SCREENSHOTS = Path(os.environ.get("RELEVO_SCREENSHOT_DIR")
                   or REPO_ROOT / ".ci" / "artifacts" / "screenshots")
ALWAYS_VISIBLE = ("Claim", "Transfer", "Resolve", "Return to bot", "Send")


@pytest.fixture
async def browser() -> AsyncIterator[Any]:
    async with chromium_async() as launched:
        yield launched


async def inside_viewport(page: Any, locator: Any) -> bool:
    box = await locator.bounding_box()
    size = page.viewport_size
    return bool(box) and box["x"] >= 0 and box["y"] >= 0 and \
        box["x"] + box["width"] <= size["width"] and box["y"] + box["height"] <= size["height"]


async def assert_controls_visible(page: Any) -> None:
    outside = [name for name in ALWAYS_VISIBLE if not await inside_viewport(
        page, page.get_by_role("button", name=name, exact=True))]
    if not await inside_viewport(page, page.get_by_role("textbox", name="Reply")):
        outside.append("Reply")
    assert outside == []


@pytest.fixture(autouse=True)
def _screenshot_dir() -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)


async def shoot(page: Any, size: str, state: str) -> None:
    await page.screenshot(path=str(SCREENSHOTS / f"console-{size}-{state}.png"))


async def dress_contact(app: Any, contact_id: int) -> None:
    """María's contact: a name, VIP and basket tags, and a linked Telegram account."""
    handoff = service(app)
    async with handoff.database.write() as conn:
        await conn.execute(sa.update(contacts).where(contacts.c.id == contact_id).values(
            display_name="María López", tags=["vip", "basket:89.90"]))
        await conn.execute(sa.insert(identities).values(
            contact_id=contact_id, channel="telegram", external_user_id="555123",
            display_name="María", created_at=handoff.now()))


@pytest.mark.parametrize("size", SIZES)
async def test_the_console_at_laptop_and_phone_size(
    browser: Any, size: str, database_url: str
) -> None:
    settings = load_settings(os.devnull, database_url=database_url,
                             nlu={"backend": "none"})
    app = build_app(lambda **o: settings.model_copy(update={
        "handoff": settings.handoff.model_copy(update={"console": settings.handoff.console
                                                       .model_copy(update={
                                                           "suggestion_min_confidence": 0.41})})
    }))
    published: list[OperatorTyping] = []

    async def on_event(event: Event) -> None:
        if isinstance(event, OperatorTyping):
            published.append(event)

    async with started(app) as client, serving(app, lifespan=False) as address:
        service(app).bus.subscribe(on_event, name="test-console-typing")
        ana = await add_operator(app, "Ana")
        bea = await add_operator(app, "Bea", role=Role.MANAGER)
        added = await client.post("/api/saved-replies", headers=bea.headers, json={
            "language": "en", "shortcut": "thanks", "title": "Thank you",
            "text": "Thanks {name}, anything else?"})
        assert added.status_code == 201, added.text
        width, height = SIZES[size]
        context = await browser.new_context(locale="en-US",
                                            viewport={"width": width, "height": height})
        page = await context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        try:
            await page.goto(f"http://{address}/console")
            await page.get_by_label("API token").fill(ana.token)
            await page.get_by_role("button", name="Log in").click()
            await _presence_prompt(page, size)
            cid = await _offer_with_long_history(app, client, page, size)
            await _open_and_check_layout(page, size)
            await _suggestion_and_saved_reply(page, size)
            await _typing(page, published, ana.id)
            await _sidebar(page, size)
            await _search(page, size, cid)
        finally:
            await context.close()
    assert errors == []


async def _presence_prompt(page: Any, size: str) -> None:
    prompt = page.get_by_role("alert").filter(has_text="You are offline")
    await prompt.wait_for(timeout=WAIT_MS)
    await shoot(page, size, "1-offline-prompt")
    await page.get_by_role("button", name="Go online").click()
    await prompt.wait_for(state="hidden", timeout=WAIT_MS)
    assert await page.get_by_role("status", name="Your status").text_content() == "online"
    assert await page.get_by_label("Presence").input_value() == "online"


async def _offer_with_long_history(app: Any, client: Any, page: Any, size: str) -> int:
    shopper = await new_shopper(client)
    cid = await say(app, client, shopper, "I want a person")
    await expect(page).to_have_title("(1) relevo console", timeout=WAIT_MS)
    detail = await client.get(f"/api/conversations/{cid}",
                              headers={"Authorization": "Bearer x"})
    assert detail.status_code == 401
    async with service(app).database.read() as conn:
        contact_id = (await conn.execute(sa.text(
            "SELECT contact_id FROM conversations WHERE id = :cid"), {"cid": cid})).scalar_one()
    await dress_contact(app, int(contact_id))
    for number in range(1, 25):
        await say(app, client, shopper, f"Message {number}: " + "my order is late. " * 6)
    await say(app, client, shopper, "which charger fits my phone?")
    await shoot(page, size, "2-title-badge")
    return cid


async def _open_and_check_layout(page: Any, size: str) -> None:
    await page.locator("#queue li").first.click()
    await page.locator("#messages li", has_text="which charger").wait_for(timeout=WAIT_MS)
    assert await page.title() == "relevo console"  # opened: nothing unseen
    await assert_controls_visible(page)
    await page.get_by_role("button", name="Claim", exact=True).click()
    await expect(page.get_by_role("textbox", name="Reply")).to_be_enabled(timeout=WAIT_MS)
    await assert_controls_visible(page)
    await shoot(page, size, "3-conversation")


async def _suggestion_and_saved_reply(page: Any, size: str) -> None:
    reply = page.get_by_role("textbox", name="Reply")
    suggestion = page.get_by_role("button", name="Insert suggested answer: Charger compatibility")
    await suggestion.wait_for(timeout=WAIT_MS)
    assert await page.get_by_role("button", name="Insert suggested answer: Fast charging") \
        .count() == 0  # 40%, below the 41% threshold
    await suggestion.click()
    assert await reply.input_value() == "Our USB-C chargers work with any USB-C phone."
    assert await page.locator("#messages li.operator").count() == 0  # inserted, not sent
    await shoot(page, size, "4-suggestion")
    await reply.fill("")
    await reply.press_sequentially("/tha")
    option = page.get_by_role("option", name="/thanks Thank you")
    await option.wait_for(timeout=WAIT_MS)
    await shoot(page, size, "5-saved-replies")
    await reply.press("Enter")
    assert await reply.input_value() == "Thanks María López, anything else?"
    assert await option.count() == 0
    # a11y: Tab from the reply box reaches Send.
    await reply.focus()
    await page.keyboard.press("Tab")
    assert await page.evaluate("document.activeElement.id") == "send"


async def _typing(page: Any, published: list[OperatorTyping], operator_id: int) -> None:
    reply = page.get_by_role("textbox", name="Reply")
    await reply.fill("")
    await reply.press_sequentially("Let me check")
    await wait_until(lambda: any(e.active for e in published), "OperatorTyping(active)")
    await reply.press("Enter")
    await page.locator("#messages li.operator", has_text="Let me check").wait_for(
        timeout=WAIT_MS)
    await wait_until(lambda: published and not published[-1].active, "OperatorTyping(stop)")
    assert {(e.operator_id, e.name) for e in published} == {(operator_id, "Ana · agent")}


async def _sidebar(page: Any, size: str) -> None:
    if size == "phone":
        await page.get_by_role("button", name="Contact").click()
    channels = page.get_by_role("list", name="Linked channels")
    await channels.get_by_text("telegram · 555123").wait_for(timeout=WAIT_MS)
    assert await channels.get_by_text("web ·").count() == 1
    tags = page.get_by_role("list", name="Tags")
    assert [t.strip() for t in await tags.locator("li").all_text_contents()] == [
        "vip", "basket:89.90"]
    await shoot(page, size, "6-sidebar")
    if size == "phone":
        await page.get_by_role("button", name="Messages").click()
    await page.get_by_role("button", name="Resolve", exact=True).click()
    await page.locator("#conv-state", has_text="resolved").wait_for(timeout=WAIT_MS)


async def _search(page: Any, size: str, cid: int) -> None:
    if size == "phone":
        await page.get_by_role("button", name="Back to the list").click()
    results = page.get_by_role("list", name="Search results")
    await page.get_by_label("Which conversations").select_option("resolved")
    for query in ("lopez", "charger", f"#{cid}"):
        await page.get_by_role("searchbox", name="Search conversations").fill(query)
        await page.get_by_role("button", name="Search", exact=True).click()
        await results.locator(f"li[data-id='{cid}']").wait_for(timeout=WAIT_MS)
    await page.get_by_role("searchbox", name="Search conversations").fill("nobody-like-this")
    await page.get_by_role("button", name="Search", exact=True).click()
    await results.get_by_text("Nothing found.").wait_for(timeout=WAIT_MS)
    await page.get_by_role("searchbox", name="Search conversations").fill("lopez")
    await page.get_by_role("button", name="Search", exact=True).click()
    await results.locator(f"li[data-id='{cid}']").wait_for(timeout=WAIT_MS)
    await shoot(page, size, "7-search")
