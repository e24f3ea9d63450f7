"""The web chat widget, end to end: a real `relevo run` process and Debian's Chromium.

With no NLU configured every shopper message is handed off, so the server always answers
with a system message ("a person will answer…"): enough to prove the round trip
widget → POST → engine → outbox → WebSocket/GET → widget without any model.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.live import chromium, relevo_env, relevo_server

pytestmark = pytest.mark.browser

REPLY_TIMEOUT_MS = 15_000
REPLIES = ".relevo-msg:not(.relevo-msg--shopper) .relevo-bubble"
SHOPPER = ".relevo-msg--shopper .relevo-bubble"


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as launched:
        yield launched


@pytest.fixture
def server_url(tmp_path: Path) -> Iterator[str]:
    """A fresh `relevo run` on a free port with its own SQLite file and no NLU."""
    with relevo_server(relevo_env(tmp_path), tmp_path / "server.log") as url:
        yield url


@pytest.fixture
def page_errors() -> list[str]:
    return []


def _open_page(browser: Any, url: str, errors: list[str], **context_options: Any) -> Any:
    context = browser.new_context(locale="en-US", **context_options)
    page = context.new_page()
    page.on("pageerror", lambda error: errors.append(str(error)))

    def on_dialog(dialog: Any) -> None:  # an alert() would mean injected markup ran
        errors.append("dialog: " + dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    page.goto(url + "/")
    page.get_by_role("button", name="Open chat").click()
    return page


def _send(page: Any, text: str) -> None:
    box = page.get_by_role("textbox", name="Message")
    box.fill(text)
    box.press("Enter")


def _wait_for_reply(page: Any) -> str:
    reply = page.locator(REPLIES).first
    reply.wait_for(timeout=REPLY_TIMEOUT_MS)
    return str(reply.text_content() or "")


def test_shopper_gets_an_answer_and_keeps_it_after_reload(
    browser: Any, server_url: str, tmp_path: Path, page_errors: list[str]
) -> None:
    typed = "Hello, I need help with my order"
    page = _open_page(browser, server_url, page_errors, viewport={"width": 1280, "height": 800})
    polls: list[str] = []
    page.on(
        "request",
        lambda request: (
            polls.append(request.url)
            if request.method == "GET" and "/webchat/messages" in request.url
            else None
        ),
    )
    try:
        _send(page, typed)
        reply = _wait_for_reply(page)
        assert reply.strip()
        # No NLU → handoff; the system message follows the shopper's locale.
        page.locator(REPLIES, has_text="person").first.wait_for(timeout=REPLY_TIMEOUT_MS)
        page.locator(".relevo-msg--shopper[data-id]").first.wait_for(timeout=REPLY_TIMEOUT_MS)
        assert page.locator(SHOPPER).all_text_contents() == [typed]
        page.screenshot(path=str(tmp_path / "widget-desktop.png"))
        # With the WebSocket up, catching up is a handful of GETs, not a loop.
        assert len(polls) <= 5, polls

        # The visitor token survives a reload and the history comes back from the server.
        page.reload()
        page.get_by_role("button", name="Open chat").click()
        _wait_for_reply(page)
        page.locator(SHOPPER).first.wait_for(timeout=REPLY_TIMEOUT_MS)
        assert page.locator(SHOPPER).all_text_contents() == [typed]
    finally:
        page.context.close()
    assert page_errors == []


def test_message_markup_is_shown_as_text(
    browser: Any, server_url: str, page_errors: list[str]
) -> None:
    hostile = "<img src=x onerror=alert(1)>"
    page = _open_page(browser, server_url, page_errors)
    try:
        _send(page, hostile)
        _wait_for_reply(page)
        page.locator(".relevo-msg--shopper[data-id]").first.wait_for(timeout=REPLY_TIMEOUT_MS)
        assert page.locator(SHOPPER).all_text_contents() == [hostile]
        assert page.locator(".relevo-root img").count() == 0

        # Same from the history the server sends back on reload.
        page.reload()
        page.get_by_role("button", name="Open chat").click()
        page.locator(SHOPPER).first.wait_for(timeout=REPLY_TIMEOUT_MS)
        assert page.locator(SHOPPER).all_text_contents() == [hostile]
        assert page.locator(".relevo-root img").count() == 0
    finally:
        page.context.close()
    assert page_errors == []


def test_panel_is_full_screen_on_a_phone(
    browser: Any, server_url: str, tmp_path: Path, page_errors: list[str]
) -> None:
    page = _open_page(
        browser,
        server_url,
        page_errors,
        viewport={"width": 390, "height": 844},
        is_mobile=True,
        has_touch=True,
        reduced_motion="reduce",  # no opening animation: measure the panel where it rests
    )
    try:
        panel = page.get_by_role("dialog")
        box = panel.bounding_box()
        assert box is not None
        assert (box["x"], box["y"], box["width"], box["height"]) == pytest.approx((0, 0, 390, 844))
        _send(page, "Hello from my phone")
        _wait_for_reply(page)
        page.screenshot(path=str(tmp_path / "widget-phone.png"))
        page.get_by_role("button", name="Close chat").click()
        assert panel.is_hidden()
    finally:
        page.context.close()
    assert page_errors == []


@pytest.fixture
def clarifying_server_url(tmp_path: Path) -> Iterator[str]:
    """The app with a scripted NLU for which "charger?" is too close to call, served by
    uvicorn in a thread (the browser drives it from this one)."""
    import asyncio
    import threading

    import uvicorn

    from relevo.app import create_app
    from relevo.app.settings import load_settings
    from tests.conftest import free_port
    from tests.fakes.nlu import shop_kb, shop_nlu

    settings = load_settings(
        "/dev/null",
        database_url=f"sqlite+aiosqlite:///{tmp_path}/relevo.db",
        nlu={"backend": "none"},
    )
    app = create_app(settings, nlu=shop_nlu(), knowledge_base=shop_kb())
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, lifespan="on")
    )
    thread = threading.Thread(target=lambda: asyncio.run(server.serve()), daemon=True)
    thread.start()
    for _ in range(300):
        if server.started:
            break
        threading.Event().wait(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def test_quick_replies_are_buttons_and_a_tap_answers(
    browser: Any, clarifying_server_url: str, page_errors: list[str]
) -> None:
    page = _open_page(browser, clarifying_server_url, page_errors)
    _send(page, "charger?")
    choice = page.get_by_role("button", name="Fast charging")
    choice.wait_for(timeout=REPLY_TIMEOUT_MS)
    assert page.get_by_role("button", name="Charger compatibility").is_visible()
    choice.click()
    page.get_by_text("Fast charging needs a 20 W adapter.").wait_for(timeout=REPLY_TIMEOUT_MS)
    assert page.locator(SHOPPER).all_text_contents() == ["charger?", "Fast charging"]
    assert page.locator(".relevo-choice").count() == 0  # the buttons went once used
    assert page_errors == []


def test_a_spanish_visitor_sees_the_catalogs_spanish_labels(
    browser: Any, server_url: str, page_errors: list[str]
) -> None:
    context = browser.new_context(locale="es-ES")
    page = context.new_page()
    page.on("pageerror", lambda error: page_errors.append(str(error)))
    try:
        page.goto(server_url + "/")
        page.get_by_role("button", name="Abrir chat").click()
        box = page.get_by_role("textbox", name="Mensaje")
        assert box.get_attribute("placeholder") == "Escribe un mensaje…"
        assert page.get_by_role("button", name="Enviar mensaje").is_visible()
        assert page.get_by_role("dialog", name="Atención al cliente").is_visible()
        box.fill("Hola, ¿dónde está mi pedido?")
        box.press("Enter")
        # The server's own reply follows the same language.
        page.locator(REPLIES, has_text="persona").first.wait_for(timeout=REPLY_TIMEOUT_MS)
        page.get_by_role("button", name="Cerrar chat").click()
    finally:
        context.close()
    assert page_errors == []
