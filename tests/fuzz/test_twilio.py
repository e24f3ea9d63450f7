"""`POST /webhooks/twilio/whatsapp` and its `/status` callback with random forms, each
signed with the account's auth token by twilio's own `RequestValidator` (as Twilio
signs them), through the real app: never a 5xx, and the answer agrees with the pure
parser: a form it refuses is a 400, a message it reads is stored exactly once however
often Twilio retries it. Forged requests (any body, any headers, no valid signature)
are refused, never a 5xx. On SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode

import httpx
import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from hypothesis import given
from hypothesis import strategies as st

from relevo.app import create_app
from relevo.app.settings import Settings
from relevo.bot.store.schema import contacts, messages
from relevo.channels.whatsapp.parse import BadRequest, parse_inbound, parse_status
from tests.conftest import started
from tests.fakes.nlu import shop_kb, shop_nlu
from tests.fakes.twilio_api import ACCOUNT_SID, AUTH_TOKEN, SENDER, FakeTwilio, sign
from tests.fuzz.providers import BROKEN_URLS, TWILIO_INBOUND, TWILIO_STATUS, twilio_forms
from tests.fuzz.strategies import CLEAN, NASTY, recorded
from tests.fuzz.tally import Tally, backend

PUBLIC = "https://shop.example.com"
INBOUND = "/webhooks/twilio/whatsapp"
STATUS = "/webhooks/twilio/whatsapp/status"
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 512


@dataclass
class Webhooks:
    app: FastAPI
    client: httpx.AsyncClient
    media: str  # a shopper's photo on the fake Twilio

    async def post(self, path: str, form: dict[str, str]) -> httpx.Response:
        """The form posted as Twilio would, signed over the fields relevo reads."""
        return await self.client.post(path, content=encoded(form), headers={
            "X-Twilio-Signature": sign(PUBLIC + path, as_read(form)),
            "Content-Type": "application/x-www-form-urlencoded"})

    async def stored(self, sid: str) -> int:
        async with self.app.state.relevo.database.read() as conn:
            return int((await conn.execute(
                sa.select(sa.func.count()).select_from(messages).where(
                    messages.c.channel == "whatsapp", messages.c.direction == "inbound",
                    messages.c.external_id == sid)
            )).scalar_one())


def encoded(form: dict[str, str]) -> bytes:
    # A lone surrogate cannot be UTF-8: it goes out as the bytes Python would give it.
    return urlencode(form, encoding="utf-8", errors="surrogatepass").encode()


def as_read(form: dict[str, str]) -> dict[str, str]:
    """The fields as relevo reads the body (bytes that are not UTF-8 become U+FFFD)."""
    return dict(parse_qsl(encoded(form).decode("utf-8", errors="replace"),
                          keep_blank_values=True))


def twilio_app(make_settings: Callable[..., Settings], fake: FakeTwilio, media_dir: Path,
               **options: Any) -> FastAPI:
    settings = make_settings(twilio={
        "api_base_url": fake.base_url, "account_sid": ACCOUNT_SID, "auth_token": AUTH_TOKEN,
        "whatsapp_from": SENDER, "media_dir": str(media_dir), "media_max_bytes": 100_000,
        **options,
    })
    return create_app(settings, nlu=shop_nlu(), knowledge_base=shop_kb())


@pytest.fixture
async def webhooks(
    make_settings: Callable[..., Settings], tmp_path: Path
) -> AsyncIterator[Webhooks]:
    with FakeTwilio.running() as fake:
        media = fake.add_media("ME" + "0" * 32, JPEG, "image/jpeg")
        app = twilio_app(make_settings, fake, tmp_path / "media", public_base_url=PUBLIC)
        async with started(app) as client:
            yield Webhooks(app, client, media)


def expected(path: str, fields: dict[str, str]) -> str:
    """What the pure parser makes of the fields: "refused", "stored" or "answered"."""
    try:
        if path == STATUS:
            parse_status(fields)
            return "answered"
        return "stored" if parse_inbound(fields).to == SENDER else "refused"
    except BadRequest:
        return "refused"


@pytest.mark.parametrize("alphabet", [CLEAN, NASTY])
@given(data=st.data())
async def test_any_signed_form_is_answered_without_a_server_error_and_stored_once(
    alphabet: str, webhooks: Webhooks, tally: Tally, database_url: str, data: st.DataObject
) -> None:
    path = data.draw(st.sampled_from([INBOUND, STATUS]), label="path")
    templates = TWILIO_INBOUND if path == INBOUND else TWILIO_STATUS
    form = data.draw(twilio_forms(templates, alphabet, media=webhooks.media), label="form")
    surface = f"twilio {path.rsplit('/', 1)[-1]} webhook [{backend(database_url)}]"
    answers = []
    for _ in range(2):  # Twilio retries what was not answered in time
        answers.append((await tally.send(surface, webhooks.post(path, form))).status_code)
    fields = as_read(form)
    outcome = expected(path, fields)
    assert answers == ([400, 400] if outcome == "refused" else [200, 200])
    if outcome == "stored":
        assert await webhooks.stored(fields["MessageSid"].strip()) == 1


HEADER_TEXT = st.text(st.characters(min_codepoint=0x20, max_codepoint=0xFF), max_size=40)


@given(path=st.sampled_from([INBOUND, STATUS]), body=st.binary(max_size=300),
       headers=st.dictionaries(
           st.sampled_from(["X-Twilio-Signature", "X-Twilio-Signature-Settings",
                            "Content-Type", "Host", "X-Forwarded-Host", "X-Forwarded-Proto"]),
           HEADER_TEXT))
async def test_a_forged_request_is_refused_without_a_server_error(
    path: str, body: bytes, headers: dict[str, str], forged: httpx.AsyncClient, tally: Tally,
) -> None:
    surface = "twilio webhook, forged"
    raw = {name: value.encode("latin-1") for name, value in headers.items()}  # as on the wire
    response = await tally.send(surface, forged.post(path, content=body, headers=raw))
    assert response.status_code in (400, 403)


@pytest.fixture
async def forged(
    make_settings: Callable[..., Settings], tmp_path: Path
) -> AsyncIterator[httpx.AsyncClient]:
    """No `public_base_url`: the signed URL comes from the Host headers, fuzzed too."""
    with FakeTwilio.running() as fake:
        async with started(twilio_app(make_settings, fake, tmp_path / "media")) as client:
            yield client


# --- what the fuzzer found (outside issue #10's table), pinned -------------------------


async def test_a_media_url_nobody_can_fetch_keeps_the_message_and_its_link(
    webhooks: Webhooks,
) -> None:
    # No host, a port out of range, no closing bracket, a NUL, nothing listening.
    for n, url in enumerate(BROKEN_URLS):
        sid = f"MM{n:032x}"
        form = {**recorded("twilio/inbound_image"), "MediaUrl0": url, "MessageSid": sid}
        answer = await webhooks.post(INBOUND, form)
        assert answer.status_code == 200, url
    async with webhooks.app.state.relevo.database.read() as conn:
        rows = (await conn.execute(sa.select(messages.c.text, messages.c.attachments).where(
            messages.c.channel == "whatsapp", messages.c.direction == "inbound")
            .order_by(messages.c.id))).all()
    assert [row.text for row in rows] == ["The box arrived crushed"] * len(BROKEN_URLS)
    # The links as sent (a NUL may be dropped: it is text no database need keep).
    kept = [[a["url"].replace("\x00", "") for a in row.attachments] for row in rows]
    assert kept == [[url.replace("\x00", "")] for url in BROKEN_URLS]


async def test_a_profile_name_longer_than_a_contact_name_is_cut_not_a_500(
    webhooks: Webhooks,
) -> None:
    # Found by a long run: too long for the column, a 500 on PostgreSQL.
    answer = await webhooks.post(INBOUND, {**recorded("twilio/inbound_text"),
                                           "ProfileName": "Marta " * 60})
    assert answer.status_code == 200
    async with webhooks.app.state.relevo.database.read() as conn:
        [name] = (await conn.execute(sa.select(contacts.c.display_name))).scalars().all()
    assert name == ("Marta " * 60)[:200]


async def test_a_host_header_that_makes_no_url_is_refused_as_unsigned(
    forged: httpx.AsyncClient,
) -> None:
    for host in ("[", "shop.example.com:port", "[::1"):
        answer = await forged.post(INBOUND, data={"Body": "hi"}, headers={
            "Host": host, "X-Twilio-Signature": "c2lnbmF0dXJl"})
        assert (answer.status_code, answer.json()) == (
            403, {"detail": "X-Twilio-Signature does not match this request"}), host
