"""The widget's errors, attachments and keyboard use in Debian's Chromium, at desktop and
phone sizes: the shopper reads every error in their own language (never the server's
English detail), attaches an image or a PDF (and is told why an .exe or a too large
file is refused), and can do everything with the keyboard."""

from __future__ import annotations

import json
import struct
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.channels.web.live_app import LiveApp, live_app
from tests.channels.web.test_widget_experience import (
    WAIT_MS,
    Shopper,
    browser,  # noqa: F401  (the module's Chromium)
    size,  # noqa: F401  (desktop and phone)
)

pytestmark = pytest.mark.browser

RAW_DETAIL = "raw server detail nobody should read"
MAX_BYTES = 4096


@pytest.fixture
def app(tmp_path: Path, live_database_url: str) -> Iterator[LiveApp]:
    with live_app(tmp_path, live_database_url, attachment_max_bytes=MAX_BYTES) as running:
        yield running


def png(pixels: int = 2) -> bytes:
    """A real, tiny PNG."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
    rows = b"".join(b"\x00" + b"\xff\x00\x00" * pixels for _ in range(pixels))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", pixels, pixels, 8, 2,
                                                                   0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


HUGE = png() + bytes(range(256)) * (MAX_BYTES // 128)  # a PNG's start, twice the limit
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.mark.parametrize(("status", "locale", "shown"), [
    (500, "en-US", "Something went wrong on our side. Please try again in a moment."),
    (401, "en-US", "Your chat session expired. Please try again."),
    (422, "es-ES", "No se ha podido enviar el mensaje tal como está. Revísalo y vuelve a "
                   "intentarlo."),
    (0, "es-ES", "Sin conexión. Revisa tu conexión a internet y vuelve a intentarlo."),
])
def test_errors_are_shown_in_the_shoppers_language(
    browser: Any, app: LiveApp, size: str, status: int, locale: str, shown: str  # noqa: F811
) -> None:
    shopper = Shopper(browser, app, size, locale=locale)
    page = shopper.page

    def refuse(route: Any) -> None:
        if route.request.method != "POST":
            route.continue_()
        elif status == 0:
            route.abort("internetdisconnected")
        else:
            route.fulfill(status=status, content_type="application/json",
                          body=json.dumps({"detail": RAW_DETAIL}))

    try:
        page.route("**/webchat/messages", refuse)
        shopper.open("Open chat" if locale == "en-US" else "Abrir chat")
        shopper.send("Where is my order?", box="Message" if locale == "en-US" else "Mensaje")
        alert = page.locator(".relevo-status[role=alert]")
        alert.wait_for(timeout=WAIT_MS)
        assert shown in str(alert.text_content())
        assert RAW_DETAIL not in str(page.locator(".relevo-root").text_content())
        shopper.shot(f"error-{status or 'network'}")
    finally:
        shopper.close()
    assert shopper.errors == []


def _attach(page: Any, name: str, mime: str, body: bytes, label: str = "Attach an image or PDF"
            ) -> None:
    with page.expect_file_chooser() as chooser:
        page.get_by_role("button", name=label).click()
    chooser.value.set_files({"name": name, "mimeType": mime, "buffer": body})


def test_an_image_and_a_pdf_are_sent_and_an_exe_or_a_large_file_refused(
    browser: Any, app: LiveApp, size: str  # noqa: F811
) -> None:
    shopper = Shopper(browser, app, size)
    page = shopper.page
    try:
        shopper.start()
        _attach(page, "broken-charger.png", "image/png", png())
        _attach(page, "invoice.pdf", "application/pdf", PDF)
        for name in ("broken-charger.png", "invoice.pdf"):
            page.locator(".relevo-msg--shopper[data-id] .relevo-file", has_text=name).wait_for(
                timeout=WAIT_MS)
        shopper.shot("attachments")
        _attach(page, "setup.exe", "application/x-msdownload", b"MZ\x90\x00" * 64)
        page.locator(".relevo-status", has_text="This kind of file can't be sent.").wait_for(
            timeout=WAIT_MS)
        _attach(page, "huge.png", "image/png", HUGE)
        page.locator(".relevo-status", has_text="The file is too large to send.").wait_for(
            timeout=WAIT_MS)
        shopper.shot("attachment-refused")
        # The two accepted files are stored on the shopper's messages, as the server says.
        page.reload()
        shopper.open()
        page.locator(".relevo-file", has_text="invoice.pdf").wait_for(timeout=WAIT_MS)
        assert page.locator(".relevo-file").all_text_contents() == [
            "broken-charger.png", "invoice.pdf"]
        assert RAW_DETAIL not in str(page.locator(".relevo-root").text_content())
    finally:
        shopper.close()
    assert shopper.errors == []


def _focused(page: Any) -> str:
    return str(page.evaluate("""() => { const e = document.activeElement;
        return e.getAttribute('aria-label') || e.textContent.trim() || e.tagName; }"""))


def test_keyboard_only_a_shopper_opens_writes_sends_rates_and_closes(
    browser: Any, app: LiveApp, size: str  # noqa: F811
) -> None:
    shopper = Shopper(browser, app, size)
    page = shopper.page
    try:
        for _ in range(40):  # through the shop's own links and buttons to the launcher
            page.keyboard.press("Tab")
            if _focused(page) == "Open chat":
                break
        assert _focused(page) == "Open chat"
        page.keyboard.press("Enter")
        assert _focused(page) == "Message"  # opening puts the cursor in the message box
        page.keyboard.type("Hello from the keyboard")
        page.keyboard.press("Enter")
        page.locator(".relevo-msg--shopper[data-id]").wait_for(timeout=WAIT_MS)
        app.say("Rate us", meta={"rating": {"scale": 5}})
        page.get_by_text("Rate us").wait_for(timeout=WAIT_MS)
        page.reload()
        page.keyboard.press("Escape")
        for _ in range(40):
            page.keyboard.press("Tab")
            if _focused(page) == "Open chat":
                break
        page.keyboard.press("Enter")
        page.get_by_role("button", name="5 of 5").wait_for(timeout=WAIT_MS)
        # From the top of the panel, Tab walks it in reading order.
        page.get_by_role("button", name="Close chat").focus()
        order = [_focused(page)]
        for _ in range(9):
            page.keyboard.press("Tab")
            order.append(_focused(page))
        assert order == ["Close chat", "Conversation", "1 of 5", "2 of 5", "3 of 5", "4 of 5",
                         "5 of 5", "Add a comment (optional)", "Attach an image or PDF",
                         "Message"]
        for _ in range(4):  # back from the message box: attach, comment, 5, 4
            page.keyboard.press("Shift+Tab")
        assert _focused(page) == "4 of 5"
        outline = page.evaluate("() => getComputedStyle(document.activeElement).outlineStyle")
        assert outline != "none"  # the focus is visible
        page.keyboard.press("Enter")
        page.locator(".relevo-msg--shopper[data-id]", has_text="4").wait_for(timeout=WAIT_MS)
        page.get_by_role("textbox", name="Message").focus()
        page.keyboard.press("Tab")
        assert _focused(page) == "Send message"
        page.keyboard.press("Escape")
        assert page.get_by_role("dialog").is_hidden()
        assert _focused(page).startswith("Open chat")
        shopper.shot("keyboard-closed")
    finally:
        shopper.close()
    assert shopper.errors == []


def test_every_control_has_a_name_and_the_panel_fits_the_screen(
    browser: Any, app: LiveApp, size: str  # noqa: F811
) -> None:
    shopper = Shopper(browser, app, size)
    page = shopper.page
    try:
        shopper.start()
        app.say("Rate us", meta={"rating": {"scale": 5}})
        page.get_by_text("Rate us").wait_for(timeout=WAIT_MS)
        page.reload()
        shopper.open()
        page.get_by_role("button", name="1 of 5").wait_for(timeout=WAIT_MS)
        unnamed = page.evaluate("""() => [...document.querySelectorAll(
              '.relevo-root button, .relevo-root textarea, .relevo-root input, .relevo-root a,'
              + ' .relevo-root [tabindex]')]
            .filter((e) => e.offsetParent !== null || e.matches('.relevo-launcher'))
            .filter((e) => !(e.getAttribute('aria-label') || e.textContent.trim()))
            .map((e) => e.outerHTML.slice(0, 80))""")
        assert unnamed == []
        panel = page.get_by_role("dialog").bounding_box()
        assert panel is not None
        width, height = (360, 640) if size == "phone" else (1280, 800)
        assert panel["x"] >= 0 and panel["y"] >= 0
        assert panel["x"] + panel["width"] <= width and panel["y"] + panel["height"] <= height
        for name in ("Attach an image or PDF", "Send message", "Close chat"):
            assert page.get_by_role("button", name=name).is_visible()
        shopper.shot("panel")
    finally:
        shopper.close()
    assert shopper.errors == []
