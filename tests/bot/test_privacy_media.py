"""A shopper's files are theirs whichever channel kept them, in whichever directory:
Marta sends a photo on WhatsApp (kept in `twilio.media_dir`) and, having linked the web
chat to the same number, a PNG there (kept in `webchat.media_dir`, another folder).
Her export holds both files once each, with their content; her erasure deletes both,
not another shopper's file. SQLite and PostgreSQL."""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from relevo.app.settings import Settings
from relevo.bot.types import Role
from tests.bot.privacy_support import Shop, make_shop, operator, running_fakes, shop_settings
from tests.channels.support import payload, rows, settle
from tests.channels.whatsapp.support import JPEG, post
from tests.conftest import started

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
OTHER_PNG = b"\x89PNG\r\n\x1a\n" + b"\x01" * 64
UNSENT_PNG = b"\x89PNG\r\n\x1a\n" + b"\x02" * 64


@pytest.fixture
def shop(make_settings: Callable[..., Settings], tmp_path: Path) -> Iterator[Shop]:
    with running_fakes() as (telegram, twilio):
        settings = shop_settings(make_settings, telegram, twilio, tmp_path / "whatsapp-media",
                                 webchat={"media_dir": str(tmp_path / "web-media")})
        yield make_shop(settings, twilio, tmp_path / "whatsapp-media")


async def web_file(client: httpx.AsyncClient, visitor: dict[str, str], body: bytes) -> None:
    uploaded = await client.post("/webchat/attachments?name=caja.png", content=body,
                                 headers={**visitor, "Content-Type": "image/png"})
    assert uploaded.status_code == 201, uploaded.text
    sent = await client.post("/webchat/messages", headers=visitor, json={
        "text": "la caja", "attachments": [uploaded.json()["id"]]})
    assert sent.status_code == 202, sent.text


async def visitor(client: httpx.AsyncClient) -> dict[str, str]:
    token = (await client.post("/webchat/sessions")).json()["visitor_token"]
    return {"Authorization": f"Bearer {token}"}


async def marta_on_two_channels(shop: Shop, client: httpx.AsyncClient) -> int:
    """Marta's photo on WhatsApp, her web chat linked to her number, a PNG there; another
    visitor sends another PNG. Returns Marta's contact id."""
    app = shop.app
    photo = shop.twilio.add_media("ME1", JPEG, "image/jpeg")
    await post(client, payload("twilio/inbound_image") | {"MediaUrl0": photo})
    await settle(app)
    web = await visitor(client)
    for words in ("link +34 600 111 222", None):
        if words is None:
            code = re.search(r"\b(\d{6})\b", shop.twilio.messages[-1]["Body"])
            assert code is not None
            words = code.group(1)
        answer = await client.post("/webchat/messages", json={"text": words}, headers=web)
        assert answer.status_code == 202, answer.text
        await settle(app)
    await web_file(client, web, PNG)
    unsent = await client.post("/webchat/attachments?name=factura-marta.png",
                               content=UNSENT_PNG, headers={**web, "Content-Type": "image/png"})
    assert unsent.status_code == 201, unsent.text  # uploaded, then never sent
    stranger = await visitor(client)
    await web_file(client, stranger, OTHER_PNG)
    await settle(app)
    (contact,) = await rows(app, "SELECT DISTINCT contact_id FROM messages "
                                 "WHERE channel = 'whatsapp' AND direction = 'inbound'")
    return int(contact.contact_id)


async def test_files_in_two_media_dirs_are_exported_and_erased(shop: Shop, tmp_path: Path
                                                              ) -> None:
    web_dir, whatsapp_dir = tmp_path / "web-media", tmp_path / "whatsapp-media"
    png, other, unsent = (hashlib.sha256(body).hexdigest() + ".png"
                          for body in (PNG, OTHER_PNG, UNSENT_PNG))
    jpeg = hashlib.sha256(JPEG).hexdigest() + ".jpg"
    async with started(shop.app) as client:
        admin = await operator(shop.app, Role.ADMIN)
        marta = await marta_on_two_channels(shop, client)
        exported = await client.get(f"/api/contacts/{marta}/export", headers=admin)
        assert sorted(p.name for p in web_dir.glob("*.png")) == sorted([png, other, unsent])
        assert [p.name for p in whatsapp_dir.iterdir()] == [jpeg]
        erased = await client.post(f"/api/contacts/{marta}/erase", headers=admin)
        await settle(shop.app)
    assert exported.status_code == 200, exported.text
    files = {f["name"]: base64.b64decode(f["content_base64"])
             for f in exported.json()["media_files"]}
    assert files == {png: PNG, jpeg: JPEG}
    # The record of each web upload, with the name Marta gave it, sent or not.
    uploads = sorted(u["name"] for u in exported.json()["web_uploads"])
    assert uploads == ["caja.png", "factura-marta.png"]
    assert erased.status_code == 200, erased.text
    assert list(whatsapp_dir.iterdir()) == []
    # Her files and the records of her uploads are gone; the other visitor's stay.
    assert [p.name for p in web_dir.glob("*.png")] == [other]
    records = [p.read_text() for p in web_dir.rglob("*.json")]
    assert len(records) == 1 and "factura-marta" not in records[0] and "caja.png" in records[0]
