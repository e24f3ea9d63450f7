"""In Debian's Chromium, an operator logged in to the console opens a conversation in
which the shopper attached a photo and a PDF: the photo shows as a thumbnail (loaded
with the session cookie, within the console's CSP) and the PDF as a link. The app is
served for real, on SQLite and PostgreSQL."""

from __future__ import annotations

import struct
import zlib
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from relevo.app.settings import Settings
from tests.conftest import started
from tests.handoff.helpers import add_operator, build_app, new_shopper
from tests.live import chromium_async
from tests.serve import serving
from tests.settle import settle

pytestmark = [pytest.mark.browser, pytest.mark.slow]

WAIT_MS = 15_000
PDF = b"%PDF-1.4\n%%EOF\n"


def png(width: int, height: int) -> bytes:
    """A real PNG (red pixels), so the browser can decode and size it."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    rows = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


@pytest.fixture
async def browser() -> AsyncIterator[Any]:
    async with chromium_async() as launched:
        yield launched


async def shopper_sends_files(app: Any, client: Any) -> None:
    shopper = await new_shopper(client)
    ids = []
    for name, body, kind in (("caja.png", png(40, 30), "image/png"),
                             ("factura.pdf", PDF, "application/pdf")):
        uploaded = await client.post(f"/webchat/attachments?name={name}", content=body,
                                     headers={**shopper, "Content-Type": kind})
        assert uploaded.status_code == 201, uploaded.text
        ids.append(uploaded.json()["id"])
    sent = await client.post("/webchat/messages", headers=shopper, json={
        "text": "I want a person, the box arrived broken", "attachments": ids})
    assert sent.status_code == 202, sent.text
    await settle(app)


async def test_the_operator_sees_the_thumbnail_of_a_shoppers_photo(
    browser: Any, make_settings: Callable[..., Settings], tmp_path: Path
) -> None:
    media = {"media_dir": str(tmp_path / "media")}
    app = build_app(lambda **options: make_settings(webchat=media, **options))
    async with started(app) as client, serving(app, lifespan=False) as address:
        ana = await add_operator(app, "Ana")
        await shopper_sends_files(app, client)
        context = await browser.new_context(locale="en-US")
        page = await context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.on("response", lambda r: errors.append(f"{r.status} {r.url}")
                if "/attachments/" in r.url and r.status != 200 else None)
        try:
            await page.goto(f"http://{address}/console")
            await page.get_by_label("API token").fill(ana.token)
            await page.get_by_role("button", name="Log in").click()
            await page.locator("#queue li").first.click(timeout=WAIT_MS)
            thumbnail = page.locator("#messages li.shopper").get_by_role("img", name="caja.png")
            await thumbnail.wait_for(timeout=WAIT_MS)
            await page.wait_for_function(
                "img => img.complete && img.naturalWidth > 0",
                arg=await thumbnail.element_handle(), timeout=WAIT_MS)
            size = await thumbnail.evaluate("img => [img.naturalWidth, img.naturalHeight]")
            pdf = page.locator("#messages li.shopper").get_by_role("link", name="factura.pdf")
            href = await pdf.get_attribute("href")
        finally:
            await context.close()
    assert size == [40, 30]
    assert href is not None and href.endswith("/attachments/1")
    assert errors == []
