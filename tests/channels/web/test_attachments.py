"""A web chat visitor attaches an image or a PDF: `POST /webchat/attachments` (the raw
file) → an id that `POST /webchat/messages {"attachments": [id]}` refers to. Refusals
say why (413/415/422); one visitor cannot refer to another's upload. On SQLite and
PostgreSQL."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

import httpx
import sqlalchemy as sa

from relevo.app import create_app
from relevo.app.settings import Settings
from relevo.bot.store.schema import messages
from tests.channels.web.test_webchat import new_visitor, transcript
from tests.conftest import started

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.4\n%%EOF\n"
LIMIT = 2048


def app_for(make_settings: Callable[..., Settings], media: Path) -> object:
    return create_app(make_settings(webchat={"media_dir": str(media),
                                             "attachment_max_bytes": LIMIT}))


async def upload(client: httpx.AsyncClient, visitor: dict[str, str], body: bytes,
                 content_type: str, name: str = "photo.png") -> httpx.Response:
    return await client.post(f"/webchat/attachments?name={name}", content=body,
                             headers={**visitor, "Content-Type": content_type})


async def stored_attachments(app: object) -> list[object]:
    async with app.state.relevo.database.read() as conn:  # type: ignore[attr-defined]
        found = await conn.execute(sa.select(messages.c.attachments)
                                   .where(messages.c.direction == "inbound")
                                   .order_by(messages.c.id))
        return [row[0] for row in found]


async def test_an_image_and_a_pdf_are_stored_on_the_message_and_shown_back(
    make_settings: Callable[..., Settings], tmp_path: Path
) -> None:
    app = app_for(make_settings, tmp_path / "media")
    async with started(app) as client:  # type: ignore[arg-type]
        visitor = await new_visitor(client)
        image = await upload(client, visitor, PNG, "image/png", "../../etc/broken.png")
        pdf = await upload(client, visitor, PDF, "application/pdf", "invoice.pdf")
        assert image.status_code == pdf.status_code == 201
        assert image.json()["name"] == "broken.png"  # a label, never a path
        sent = await client.post("/webchat/messages", headers=visitor, json={
            "text": "it arrived broken", "attachments": [image.json()["id"], pdf.json()["id"]]})
        assert sent.status_code == 202
        shown = [m for m in await transcript(client, visitor) if m["author"]["kind"] == "shopper"]
        alone = await client.post("/webchat/messages", headers=visitor,
                                  json={"attachments": [pdf.json()["id"]]})
        assert alone.status_code == 202
        stored = await stored_attachments(app)
    assert shown[0]["attachments"] == [
        {"name": "broken.png", "content_type": "image/png", "size": len(PNG)},
        {"name": "invoice.pdf", "content_type": "application/pdf", "size": len(PDF)},
    ]
    digest = hashlib.sha256(PNG).hexdigest()
    assert stored[0][0]["url"] == f"media/{digest}.png"
    assert (tmp_path / "media" / f"{digest}.png").read_bytes() == PNG
    assert [a["name"] for a in stored[1]] == ["invoice.pdf"]  # a file sent alone


async def test_wrong_type_fake_content_too_big_or_empty_is_refused_with_a_reason(
    make_settings: Callable[..., Settings], tmp_path: Path
) -> None:
    app = app_for(make_settings, tmp_path / "media")
    async with started(app) as client:  # type: ignore[arg-type]
        visitor = await new_visitor(client)
        exe = await upload(client, visitor, b"MZ\x90\x00" * 10, "application/x-msdownload")
        disguised = await upload(client, visitor, b"MZ\x90\x00" * 10, "image/png")
        big = await upload(client, visitor, PNG + b"\x00" * LIMIT, "image/png")
        empty = await upload(client, visitor, b"", "application/pdf")
        anonymous = await client.post("/webchat/attachments", content=PNG,
                                      headers={"Content-Type": "image/png"})
    assert exe.status_code == 415 and "application/x-msdownload" in exe.json()["detail"]
    assert disguised.status_code == 415 and "not image/png" in disguised.json()["detail"]
    assert big.status_code == 413 and big.json()["detail"]
    assert empty.status_code == 422 and "empty" in empty.json()["detail"]
    assert anonymous.status_code == 401
    assert not (tmp_path / "media").exists() or not any(
        p.is_file() and not p.name.endswith(".json") for p in (tmp_path / "media").iterdir())


async def test_a_visitor_cannot_send_another_visitors_upload(
    make_settings: Callable[..., Settings], tmp_path: Path
) -> None:
    app = app_for(make_settings, tmp_path / "media")
    async with started(app) as client:  # type: ignore[arg-type]
        owner, stranger = await new_visitor(client), await new_visitor(client)
        mine = (await upload(client, owner, PNG, "image/png")).json()["id"]
        stolen = await client.post("/webchat/messages", headers=stranger,
                                   json={"text": "look", "attachments": [mine]})
        made_up = await client.post("/webchat/messages", headers=stranger,
                                    json={"text": "look", "attachments": ["../" * 8 + "x" * 20]})
        too_many = await client.post("/webchat/messages", headers=owner,
                                     json={"text": "look", "attachments": [mine] * 6})
        stored = await stored_attachments(app)
    assert stolen.status_code == 422 and "unknown attachment id" in stolen.json()["detail"]
    assert made_up.status_code == 422
    assert too_many.status_code == 422
    assert stored == []  # nothing refused was stored
