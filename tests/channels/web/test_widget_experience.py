"""The widget's shopper experience (#11) in Debian's Chromium, at desktop (1280×800) and
phone (360×640) sizes, against the whole app served in a thread: long replies, the
unread badge across reloads, operator typing, links, satisfaction stars, the keyboard.
Each state is saved as a screenshot (`live_app.SCREENSHOTS`)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from relevo.bot.types import AuthorKind
from tests.channels.web.live_app import LiveApp, live_app, screenshot
from tests.live import chromium

pytestmark = pytest.mark.browser

WAIT_MS = 15_000
SIZES = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 360, "height": 640}}
REPLIES = ".relevo-msg:not(.relevo-msg--shopper) .relevo-bubble"
OPERATOR = "Lucía · experta"


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as launched:
        yield launched


@pytest.fixture
def app(tmp_path: Path, live_database_url: str) -> Iterator[LiveApp]:
    with live_app(tmp_path, live_database_url) as running:
        yield running


@pytest.fixture(params=sorted(SIZES))
def size(request: pytest.FixtureRequest) -> str:
    return str(request.param)


class Shopper:
    """One browser page on the demo shop; collects script errors and dialogs."""

    def __init__(self, browser: Any, app: LiveApp, size: str, locale: str = "en-US") -> None:
        phone = size == "phone"
        self.context = browser.new_context(locale=locale, viewport=SIZES[size], is_mobile=phone,
                                           has_touch=phone, reduced_motion="reduce")
        self.errors: list[str] = []
        self.app = app
        self.size = size
        self.page = self.new_page()

    def new_page(self) -> Any:
        page = self.context.new_page()
        page.on("pageerror", lambda error: self.errors.append(str(error)))
        page.on("dialog", lambda d: (self.errors.append("dialog: " + d.message), d.dismiss()))
        page.goto(self.app.url + "/")
        return page

    def open(self, name: str = "Open chat") -> None:
        self.page.get_by_role("button", name=name).first.click()

    def send(self, text: str, box: str = "Message") -> None:
        field = self.page.get_by_role("textbox", name=box)
        field.fill(text)
        field.press("Enter")

    def start(self) -> None:
        """Open the chat and say hello; wait for the server's answer (a handoff)."""
        self.open()
        self.send("Hello, I need help")
        self.page.locator(".relevo-msg--shopper[data-id]").wait_for(timeout=WAIT_MS)
        self.page.locator(REPLIES).first.wait_for(timeout=WAIT_MS)

    def shot(self, state: str) -> None:
        screenshot(self.page, f"widget-{state}-{self.size}")

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def shopper(browser: Any, app: LiveApp, size: str) -> Iterator[Shopper]:
    opened = Shopper(browser, app, size)
    yield opened
    opened.close()
    assert opened.errors == []


def test_a_long_reply_is_shown_from_its_first_line(shopper: Shopper, app: LiveApp) -> None:
    shopper.start()
    long_reply = "\n".join(f"Step {n}: do this part of the return." for n in range(1, 80))
    app.say(long_reply)
    page = shopper.page
    bubble = page.locator(REPLIES, has_text="Step 79")
    bubble.wait_for(timeout=WAIT_MS)
    log = page.get_by_role("log").bounding_box()
    box = bubble.bounding_box()
    assert log is not None and box is not None
    # Its first line is in view near the top of the log; its end is below the fold.
    assert log["y"] <= box["y"] <= log["y"] + 60
    assert box["y"] + box["height"] > log["y"] + log["height"]
    shopper.shot("long-reply")


def test_replies_that_arrive_while_closed_are_counted_across_a_reload(
    shopper: Shopper, app: LiveApp
) -> None:
    shopper.start()
    page = shopper.page
    page.get_by_role("button", name="Close chat").click()
    app.say("Your refund was approved.")
    badge = page.locator(".relevo-badge")
    page.get_by_role("button", name="Open chat (1 unread)").wait_for(timeout=WAIT_MS)
    assert badge.text_content() == "1"
    page.close()  # the page is closed: the next reply arrives while nobody looks
    app.say("It will reach your card in 3–5 days.", kind=AuthorKind.BOT, name=None)
    shopper.page = page = shopper.new_page()
    page.get_by_role("button", name="Open chat (2 unread)").wait_for(timeout=WAIT_MS)
    assert page.locator(".relevo-badge").text_content() == "2"
    shopper.shot("unread-badge")
    shopper.open("Open chat (2 unread)")
    assert page.locator(".relevo-badge").is_hidden()
    page.get_by_text("It will reach your card").wait_for(timeout=WAIT_MS)
    page.reload()
    page.get_by_role("button", name="Open chat", exact=True).wait_for(timeout=WAIT_MS)
    page.locator(".relevo-msg[data-id]").nth(2).wait_for(state="attached", timeout=WAIT_MS)
    assert page.locator(".relevo-badge").is_hidden()


def test_the_shopper_sees_the_operator_typing_until_the_reply(
    shopper: Shopper, app: LiveApp
) -> None:
    shopper.start()
    page = shopper.page
    status = page.get_by_role("status")
    app.typing(OPERATOR)
    page.get_by_text(f"{OPERATOR} is typing…").wait_for(timeout=WAIT_MS)
    shopper.shot("typing")
    app.typing(OPERATOR, active=False)
    status.wait_for(state="hidden", timeout=WAIT_MS)

    app.typing(OPERATOR)
    page.get_by_text(f"{OPERATOR} is typing…").wait_for(timeout=WAIT_MS)
    app.say("Here I am!")
    page.get_by_text("Here I am!").wait_for(timeout=WAIT_MS)
    status.wait_for(state="hidden", timeout=WAIT_MS)

    app.typing(OPERATOR)  # and then silence: it goes by itself
    page.get_by_text(f"{OPERATOR} is typing…").wait_for(timeout=WAIT_MS)
    status.wait_for(state="hidden", timeout=WAIT_MS)


def test_http_links_are_safe_links_and_nothing_else_is(shopper: Shopper, app: LiveApp) -> None:
    shopper.start()
    app.say("Read https://shop.test/returns?x=1. Not javascript:alert(1), "
            "data:text/html,<script>alert(2)</script> or <a href=javascript:alert(3)>this</a>. "
            "Also http://shop.test/a_(b)")
    page = shopper.page
    page.get_by_text("Not javascript:alert(1)", exact=False).wait_for(timeout=WAIT_MS)
    links = page.locator(".relevo-root a")
    assert links.count() == 2
    first = page.get_by_role("link", name="https://shop.test/returns?x=1")
    assert first.get_attribute("href") == "https://shop.test/returns?x=1"
    assert first.get_attribute("target") == "_blank"
    assert first.get_attribute("rel") == "noopener noreferrer"
    hrefs = [links.nth(i).get_attribute("href") for i in range(links.count())]
    assert all(h is not None and h.startswith(("http://", "https://")) for h in hrefs)
    assert page.locator(".relevo-root script").count() == 0
    shopper.shot("links")


RATING = {"rating": {"scale": 5},
          "quick_replies": [{"title": str(n), "payload": str(n)} for n in range(1, 6)]}


def test_stars_send_the_rating_with_the_comment_and_are_then_disabled(
    shopper: Shopper, app: LiveApp
) -> None:
    shopper.start()
    app.say("How did we do? Rate us from 1 to 5.", kind=AuthorKind.SYSTEM, name=None, meta=RATING)
    page = shopper.page
    page.get_by_text("How did we do?").wait_for(timeout=WAIT_MS)
    page.reload()  # the stored message carries the rating request
    shopper.open()
    stars = [page.get_by_role("button", name=f"{n} of 5") for n in range(1, 6)]
    stars[3].wait_for(timeout=WAIT_MS)
    page.get_by_role("textbox", name="Add a comment (optional)").fill("quick and kind")
    shopper.shot("rating")
    stars[3].click()
    page.locator(".relevo-msg--shopper[data-id]", has_text="4 quick and kind").wait_for(
        timeout=WAIT_MS)
    assert all(star.is_disabled() for star in stars)
    assert stars[3].get_attribute("aria-pressed") == "true"
    assert page.get_by_role("button", name="4", exact=True).count() == 0  # no second set
    shopper.shot("rating-sent")


def test_quick_replies_without_a_rating_stay_buttons(shopper: Shopper, app: LiveApp) -> None:
    shopper.start()
    app.say("Which one?", kind=AuthorKind.BOT, name=None,
            meta={"quick_replies": [{"title": "Returns", "payload": "returns"}]})
    shopper.page.get_by_role("button", name="Returns").wait_for(timeout=WAIT_MS)
    assert shopper.page.locator(".relevo-star").count() == 0


def test_stars_speak_the_shoppers_language(browser: Any, app: LiveApp, size: str) -> None:
    shopper = Shopper(browser, app, size, locale="es-ES")
    try:
        shopper.open("Abrir chat")
        shopper.send("Hola", box="Mensaje")
        shopper.page.locator(".relevo-msg--shopper[data-id]").wait_for(timeout=WAIT_MS)
        app.say("¿Qué tal te hemos atendido?", kind=AuthorKind.SYSTEM, name=None, meta=RATING)
        shopper.page.get_by_text("¿Qué tal").wait_for(timeout=WAIT_MS)
        shopper.page.reload()
        shopper.open("Abrir chat")
        shopper.page.get_by_role("button", name="5 de 5").wait_for(timeout=WAIT_MS)
        assert shopper.page.get_by_role("textbox", name="Añade un comentario (opcional)")\
            .is_visible()
    finally:
        shopper.close()
    assert shopper.errors == []
