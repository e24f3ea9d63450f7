"""A reply longer than one Telegram message (relevo cuts at 3,500 characters, under
Telegram's 4,096 after HTML escaping) arrives as several messages, in order, none over
the limit, and nothing lost."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from html import unescape

import pytest
from fastapi import FastAPI

from relevo.app import create_app
from relevo.app.settings import Settings
from relevo.channels.telegram.config import TelegramSettings
from relevo.channels.telegram.verify import SECRET_HEADER, webhook_secret
from tests.channels.support import operator_reply, payload, rows, settle
from tests.channels.telegram.test_polling_errors import TOKEN
from tests.conftest import started
from tests.fakes.nlu import shop_kb, shop_nlu
from tests.fakes.telegram_api import FakeTelegram

CUT = 3500
TELEGRAM_LIMIT = 4096
SIGNATURE = "<b>Lucía · expert</b>\n"
SECRET = webhook_secret(TelegramSettings.model_validate({"bot_token": TOKEN}))


@pytest.fixture
def telegram_api() -> Iterator[FakeTelegram]:
    with FakeTelegram.running(TOKEN) as fake:
        yield fake


@pytest.fixture
def app(make_settings: Callable[..., Settings], telegram_api: FakeTelegram) -> FastAPI:
    settings = make_settings(telegram={
        "api_base_url": telegram_api.base_url, "bot_token": TOKEN,
        "chat_messages_per_second": 1000.0,
    })
    return create_app(settings, nlu=shop_nlu(), knowledge_base=shop_kb())


async def test_a_long_operator_reply_is_split_in_order_under_the_limit(
    app: FastAPI, telegram_api: FakeTelegram
) -> None:
    # 85 lines of 45 characters: 3,909 characters (the operator API takes up to 4,096),
    # each with a `&`, which HTML escaping lengthens.
    long_reply = "\n".join(f"Step {i:03d}: check the box & the charger cable."[:45]
                           for i in range(85))
    async with started(app) as client:
        person = payload("telegram/text")
        person["message"] = person["message"] | {"text": "I want a person"}
        response = await client.post("/webhooks/telegram", json=person,
                                     headers={SECRET_HEADER: SECRET})
        assert response.status_code == 200
        await settle(app)
        [conversation] = await rows(app, "SELECT id FROM conversations")
        before = len(telegram_api.sent())
        await operator_reply(app, client, conversation.id, long_reply)
        await settle(app)
    parts = [m["text"] for m in telegram_api.sent()[before:]]
    parts = parts[1:] if "joined" in parts[0] else parts  # "Lucía has joined…" first
    assert len(long_reply) > CUT and len(parts) == 2
    assert parts[0].startswith(SIGNATURE)
    pieces = [unescape(p.removeprefix(SIGNATURE)) for p in parts]
    assert "\n".join(pieces) == long_reply  # in order, nothing lost or doubled
    assert all(len(piece) <= CUT for piece in pieces)
    assert all(len(part) <= TELEGRAM_LIMIT for part in parts)


async def test_a_reply_dense_with_html_characters_stays_under_the_limit_once_escaped(
    app: FastAPI, telegram_api: FakeTelegram
) -> None:
    # 3,400 characters of `<` and `&`: 15,300 once escaped for Telegram's HTML
    # (`&lt;&amp;` is nine characters for two), so five pieces of at most 3,500.
    dense = "<&" * 1700
    async with started(app) as client:
        person = payload("telegram/text")
        person["message"] = person["message"] | {"text": "I want a person"}
        await client.post("/webhooks/telegram", json=person, headers={SECRET_HEADER: SECRET})
        await settle(app)
        [conversation] = await rows(app, "SELECT id FROM conversations")
        before = len(telegram_api.sent())
        await operator_reply(app, client, conversation.id, dense)
        await settle(app)
    parts = [m["text"] for m in telegram_api.sent()[before:]]
    parts = parts[1:] if "joined" in parts[0] else parts
    assert len(parts) == 5  # the fake refuses over 4,096, as Telegram does
    assert all(len(part) <= TELEGRAM_LIMIT for part in parts)
    assert "".join(unescape(p.removeprefix(SIGNATURE)) for p in parts) == dense
