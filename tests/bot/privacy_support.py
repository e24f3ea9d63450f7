"""What the GDPR tests share: one shopper (Marta) known on WhatsApp, Telegram and the web
chat, linked into one contact, who wrote a marker text everywhere relevo keeps words;
operators of each role; and a dump of every table of the database."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa
from fastapi import FastAPI

from relevo.app import create_app
from relevo.app.settings import Settings
from relevo.bot.store import operators as operator_store
from relevo.bot.types import OperatorKind, Role
from tests.channels.support import payload, rows, settle
from tests.channels.telegram.support import SECRET, TOKEN
from tests.channels.whatsapp.support import JPEG, PUBLIC, post, text
from tests.fakes.nlu import shop_kb, shop_nlu
from tests.fakes.telegram_api import FakeTelegram
from tests.fakes.twilio_api import ACCOUNT_SID, AUTH_TOKEN, SENDER, FakeTwilio

MARKER = "Zebra4417"  # in every text the shopper (or an operator about them) wrote
# What names the shopper: their name, their phone number, their Telegram chat id.
PERSONAL = (MARKER, "Marta", "600111222", "418302557")


@dataclass(frozen=True, slots=True)
class Shop:
    app: FastAPI
    twilio: FakeTwilio
    media_dir: Path


def make_shop(settings: Settings, twilio: FakeTwilio, media_dir: Path) -> Shop:
    return Shop(create_app(settings, nlu=shop_nlu(), knowledge_base=shop_kb()), twilio,
                media_dir)


@contextmanager
def running_fakes() -> Iterator[tuple[FakeTelegram, FakeTwilio]]:
    with FakeTelegram.running(TOKEN) as telegram, FakeTwilio.running() as twilio:
        yield telegram, twilio


def shop_settings(make_settings: Callable[..., Settings], telegram: FakeTelegram,
                  twilio: FakeTwilio, media_dir: Path, **more: Any) -> Settings:
    return make_settings(
        telegram={"api_base_url": telegram.base_url, "bot_token": TOKEN,
                  "chat_messages_per_second": 1000.0},
        twilio={"api_base_url": twilio.base_url, "account_sid": ACCOUNT_SID,
                "auth_token": AUTH_TOKEN, "whatsapp_from": SENDER,
                "public_base_url": PUBLIC, "media_dir": str(media_dir)},
        **more,
    )


async def operator(app: FastAPI, role: Role, name: str | None = None) -> dict[str, str]:
    """A new operator with `role`: their API headers."""
    async with app.state.relevo.database.write() as conn:
        _, token = await operator_store.add(
            conn, name=name or f"{role.value.title()} Op", kind=OperatorKind.INTERNAL,
            email=None, languages=["es", "en"], skills=[], max_concurrent=5,
            now=datetime.now(UTC), role=role,
        )
    return {"Authorization": f"Bearer {token}"}


async def _telegram(client: httpx.AsyncClient, update: dict[str, Any]) -> None:
    answer = await client.post("/webhooks/telegram", json=update,
                               headers={"X-Telegram-Bot-Api-Secret-Token": SECRET})
    assert answer.status_code == 200, answer.text


async def _web(client: httpx.AsyncClient, headers: dict[str, str], words: str) -> None:
    answer = await client.post("/webchat/messages", json={"text": words}, headers=headers)
    assert answer.status_code == 202, answer.text


async def marta_everywhere(shop: Shop, client: httpx.AsyncClient, admin: dict[str, str]) -> int:
    """Marta writes on WhatsApp (with a photo), shares her number on Telegram, links the
    web chat with a code; then, linked, writes on the web and on WhatsApp, is helped by
    the admin (reply, note), rates them, asks for a person again, and says STOP.
    Returns her contact id."""
    app = shop.app
    profile = {"ProfileName": f"Marta {MARKER}"}
    await post(client, text(f"How long does shipping take? {MARKER}") | profile)
    await settle(app)
    await _telegram(client, payload("telegram/contact_own"))
    await settle(app)
    web = {"Authorization": "Bearer " + (await client.post("/webchat/sessions")).json()[
        "visitor_token"]}
    await _web(client, web, "link +34 600 111 222")
    await settle(app)
    await _web(client, web, _six_digits(shop.twilio.messages[-1]["Body"]))
    await settle(app)
    # Linked: one message on the web, one on WhatsApp (with a photo).
    await _web(client, web, f"quiero una persona, {MARKER} on the web")
    photo = shop.twilio.add_media("ME1", JPEG, "image/jpeg")
    await post(client, payload("twilio/inbound_image") | profile | {
        "MediaUrl0": photo, "Body": f"{MARKER} the box, on WhatsApp"})
    await settle(app)
    (conversation,) = await rows(app, "SELECT id FROM conversations WHERE state = 'queued'")
    for path, body in ((f"/api/conversations/{conversation.id}/claim", None),
                       (f"/api/conversations/{conversation.id}/messages",
                        {"text": f"Hola Marta, {MARKER} received"}),
                       (f"/api/conversations/{conversation.id}/notes",
                        {"text": f"{MARKER}: Marta's box was crushed"}),
                       (f"/api/conversations/{conversation.id}/resolve", None)):
        answer = await client.post(path, json=body, headers=admin)
        assert answer.status_code in (200, 201), answer.text
    await settle(app)
    await post(client, text("5", sid="SM" + "5" * 32))  # the CSAT answer
    await settle(app)
    await post(client, text(f"quiero una persona otra vez {MARKER}", sid="SM" + "6" * 32))
    await settle(app)
    await post(client, text("STOP", sid="SM" + "7" * 32))
    await settle(app)
    (contact,) = await rows(app, "SELECT id FROM contacts WHERE merged_into_id IS NULL")
    return int(contact.id)


def _six_digits(body: str) -> str:
    found = re.search(r"\b(\d{6})\b", body)
    assert found is not None, body
    return found.group(1)


async def dump(app: FastAPI) -> str:
    """Every row of every table, as text."""
    async with app.state.relevo.database.read() as conn:
        names = await conn.run_sync(lambda sync: sa.inspect(sync).get_table_names())
        parts = []
        for name in sorted(names):
            found = await conn.execute(sa.text(f'SELECT * FROM "{name}"'))
            parts.append(f"{name}: {[tuple(row) for row in found]}")
    return "\n".join(parts)


def personal_in(text: str) -> list[str]:
    return [word for word in PERSONAL if word in text]
