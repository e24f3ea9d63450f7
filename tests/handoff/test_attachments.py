"""Operators see what shoppers sent as files, whatever the channel: each message of the
conversation detail lists its attachments, and their URL serves the file (its type,
inline or download, nosniff, a sandboxing CSP) to operators who may read that
conversation, from whichever channel's media directory holds it. Others get 404 as
for a conversation that does not exist; path tricks and erased files are 404. On
SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from fastapi import FastAPI

from relevo.app import create_app
from relevo.app.settings import Settings
from relevo.bot.store.schema import messages
from relevo.bot.types import OperatorKind, Role
from relevo.channels.media_files import MediaDirectories, stored_name
from tests.channels.support import payload
from tests.channels.whatsapp.support import JPEG, PUBLIC, post
from tests.conftest import started
from tests.fakes.nlu import shop_kb, shop_nlu
from tests.fakes.twilio_api import ACCOUNT_SID, AUTH_TOKEN, SENDER, FakeTwilio
from tests.handoff.helpers import ManualClock, add_operator, go_online, new_shopper, service
from tests.settle import settle

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
SANDBOXED = "default-src 'none'; sandbox"
ANYONE = [{"name": "anyone", "pool": {}}]


@pytest.fixture
def twilio() -> Iterator[FakeTwilio]:
    with FakeTwilio.running() as fake:
        yield fake


def shop(make_settings: Callable[..., Settings], twilio: FakeTwilio, tmp_path: Path,
         **handoff: Any) -> FastAPI:
    """Web uploads in `web-media`, WhatsApp's media in `whatsapp-media`."""
    handoff.setdefault("sla", {}).setdefault("tick_seconds", 60)
    app = create_app(make_settings(
        handoff=handoff,
        webchat={"media_dir": str(tmp_path / "web-media")},
        twilio={"api_base_url": twilio.base_url, "account_sid": ACCOUNT_SID,
                "auth_token": AUTH_TOKEN, "whatsapp_from": SENDER, "public_base_url": PUBLIC,
                "media_dir": str(tmp_path / "whatsapp-media")},
    ), nlu=shop_nlu(), knowledge_base=shop_kb())
    service(app).set_clock(ManualClock())
    return app


async def web_photo(app: FastAPI, client: httpx.AsyncClient, name: str = "caja rota.png") -> int:
    """A web shopper attaches a PNG to "I want a person"; the conversation's id."""
    shopper = await new_shopper(client)
    uploaded = await client.post(f"/webchat/attachments?name={name}", content=PNG,
                                 headers={**shopper, "Content-Type": "image/png"})
    assert uploaded.status_code == 201, uploaded.text
    sent = await client.post("/webchat/messages", headers=shopper, json={
        "text": "I want a person", "attachments": [uploaded.json()["id"]]})
    assert sent.status_code == 202, sent.text
    await settle(app)
    return int(sent.json()["conversation_id"])


async def whatsapp_photo(app: FastAPI, client: httpx.AsyncClient, twilio: FakeTwilio) -> int:
    photo = twilio.add_media("ME1", JPEG, "image/jpeg")
    answer = await post(client, payload("twilio/inbound_image") | {
        "MediaUrl0": photo, "Body": "I want a person"})
    assert answer.status_code == 200, answer.text
    await settle(app)
    async with service(app).database.read() as conn:
        return int((await conn.execute(sa.text(
            "SELECT id FROM conversations WHERE channel = 'whatsapp'"))).scalar_one())


async def shopper_files(client: httpx.AsyncClient, cid: int, headers: dict[str, str]
                        ) -> tuple[int, list[dict[str, Any]]]:
    """The id and attachments of the conversation's (one) shopper message with files."""
    detail = await client.get(f"/api/conversations/{cid}", headers=headers)
    assert detail.status_code == 200, detail.text
    (message,) = [m for m in detail.json()["messages"] if m["attachments"]]
    assert message["author"]["kind"] == "shopper"
    return int(message["id"]), message["attachments"]


async def test_an_operator_reads_a_web_upload_and_a_whatsapp_photo_from_their_own_dirs(
    make_settings: Callable[..., Settings], twilio: FakeTwilio, tmp_path: Path
) -> None:
    app = shop(make_settings, twilio, tmp_path)
    async with started(app) as client:
        ana = await add_operator(app, "Ana")
        web, whatsapp = await web_photo(app, client), await whatsapp_photo(app, client, twilio)
        web_id, web_files = await shopper_files(client, web, ana.headers)
        wa_id, wa_files = await shopper_files(client, whatsapp, ana.headers)
        png = await client.get(web_files[0]["url"], headers=ana.headers)
        jpeg = await client.get(wa_files[0]["url"], headers=ana.headers)
        plain = [await client.get(url, headers=ana.headers) for url in (
            f"/api/conversations/{web}/messages/{web_id}/attachments/1",  # no such index
            f"/api/conversations/{web}/messages/{wa_id}/attachments/0",  # another's message
            f"/api/conversations/{web}/messages/999999/attachments/0")]
    png_name = hashlib.sha256(PNG).hexdigest() + ".png"
    jpeg_name = hashlib.sha256(JPEG).hexdigest() + ".jpg"
    assert (tmp_path / "web-media" / png_name).read_bytes() == PNG
    assert (tmp_path / "whatsapp-media" / jpeg_name).read_bytes() == JPEG
    assert web_files == [{
        "index": 0, "name": "caja rota.png", "content_type": "image/png", "size": len(PNG),
        "url": f"/api/conversations/{web}/messages/{web_id}/attachments/0"}]
    assert wa_files == [{
        "index": 0, "name": jpeg_name, "content_type": "image/jpeg", "size": len(JPEG),
        "url": f"/api/conversations/{whatsapp}/messages/{wa_id}/attachments/0"}]
    assert png.status_code == 200 and png.content == PNG
    assert png.headers["content-type"] == "image/png"
    assert png.headers["content-disposition"] == \
        "inline; filename=\"caja rota.png\"; filename*=UTF-8''caja%20rota.png"
    assert png.headers["x-content-type-options"] == "nosniff"
    assert png.headers["content-security-policy"] == SANDBOXED
    assert jpeg.status_code == 200 and jpeg.content == JPEG
    assert jpeg.headers["content-type"] == "image/jpeg"
    assert jpeg.headers["content-disposition"].startswith(f'inline; filename="{jpeg_name}"')
    assert [r.status_code for r in plain] == [404, 404, 404]
    assert plain[0].json() == {"detail": f"message {web_id} has no attachment 1"}
    assert plain[1].json() == {"detail": f"message {wa_id} does not exist in conversation {web}"}


async def test_an_operator_out_of_reach_gets_404_and_a_masked_kind_no_file_name(
    make_settings: Callable[..., Settings], twilio: FakeTwilio, tmp_path: Path
) -> None:
    app = shop(make_settings, twilio, tmp_path, rules=ANYONE)
    async with started(app) as client:
        amy = await add_operator(app, "Amy", OperatorKind.AMBASSADOR, max_concurrent=1)
        abe = await add_operator(app, "Abe", OperatorKind.AMBASSADOR, max_concurrent=1)
        await go_online(client, amy)
        cid = await web_photo(app, client, "María García DNI.png")  # offered to Amy
        _, files = await shopper_files(client, cid, amy.headers)
        hers = await client.get(files[0]["url"], headers=amy.headers)
        his = await client.get(files[0]["url"], headers=abe.headers)
    assert files[0]["name"] == "attachment-1.png"
    assert hers.status_code == 200 and hers.content == PNG
    assert hers.headers["content-disposition"] == \
        "inline; filename=\"attachment-1.png\"; filename*=UTF-8''attachment-1.png"
    assert his.status_code == 404
    assert his.json() == {"detail": f"conversation {cid} does not exist"}


async def test_path_tricks_and_erased_files_are_404(
    make_settings: Callable[..., Settings], twilio: FakeTwilio, tmp_path: Path
) -> None:
    app = shop(make_settings, twilio, tmp_path)
    (tmp_path / "secret.txt").write_text("not a shopper's file")
    (tmp_path / "web-media" / "sub").mkdir(parents=True)
    (tmp_path / "web-media" / "sub" / "x.png").write_bytes(PNG)
    tricks = ["media/../secret.txt", "media/sub/x.png", "media//etc/passwd", "/etc/passwd",
              "media/..", "media/%2e%2e/secret.txt", "file:///etc/passwd", "media/sub\\x.png",
              "media/" + "0" * 64 + ".png"]  # a file no longer on disk
    async with started(app) as client:
        admin = await add_operator(app, "Ada", role=Role.ADMIN)
        cid = await web_photo(app, client)
        message_id, files = await shopper_files(client, cid, admin.headers)
        url = files[0]["url"]
        async with service(app).database.write() as conn:
            await conn.execute(sa.update(messages).where(messages.c.id == message_id).values(
                attachments=[{"url": trick, "content_type": "text/plain"} for trick in tricks]))
        tricked = [await client.get(url[:-1] + str(index), headers=admin.headers)
                   for index in range(len(tricks))]
        _, listed = await shopper_files(client, cid, admin.headers)
        async with service(app).database.write() as conn:
            await conn.execute(sa.update(messages).where(messages.c.id == message_id).values(
                attachments=[{"url": "media/" + hashlib.sha256(PNG).hexdigest() + ".png",
                              "content_type": "image/png", "name": "x.png"}]))
        before = await client.get(url, headers=admin.headers)
        contact = (await client.get(f"/api/conversations/{cid}", headers=admin.headers)
                   ).json()["contact"]["id"]
        erased = await client.post(f"/api/contacts/{contact}/erase", headers=admin.headers)
        after = await client.get(url, headers=admin.headers)
    assert [r.status_code for r in tricked] == [404] * len(tricks)
    assert all("not stored" in r.json()["detail"] for r in tricked)
    assert [f["url"] is not None for f in listed] == [t.startswith("media/") for t in tricks]
    assert before.status_code == 200 and erased.status_code == 200, erased.text
    assert after.status_code == 404
    assert list((tmp_path / "web-media").glob("*.png")) == []


@pytest.mark.parametrize("url", [
    "media/../secret.txt", "media/sub/x.png", "media//etc/passwd", "/etc/passwd", "media/..",
    "media/.", "media/", "media/a..b", "media/sub\\x.png", "media/.hidden", "x/media/a.png",
])
def test_a_media_url_never_names_a_path(url: str) -> None:
    assert stored_name(url) is None


async def test_files_are_found_in_every_distinct_media_dir(tmp_path: Path) -> None:
    web, whatsapp = tmp_path / "web", tmp_path / "wa"
    web.mkdir()
    whatsapp.mkdir()
    (web / "a.png").write_bytes(PNG)
    (whatsapp / "b.jpg").write_bytes(JPEG)
    media = MediaDirectories([web, whatsapp, tmp_path / "wa" / ".." / "wa", web])
    assert await media.locate("media/a.png") == web.absolute() / "a.png"
    assert await media.locate("media/b.jpg") == whatsapp.absolute() / "b.jpg"
    assert await media.locate("media/c.png") is None
    assert media.directories == (web.absolute(), whatsapp.absolute())  # each searched once
