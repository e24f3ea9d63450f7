"""Telegram long polling under failure: getUpdates errors are backed off and retried
(the poller never dies), and an update that could not be stored is not confirmed, so
Telegram hands it over again and it is stored once."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
import sqlalchemy as sa
from fastapi import FastAPI

from relevo.app import create_app
from relevo.app.settings import Settings
from tests.channels.support import inbound, payload, settle
from tests.conftest import started
from tests.fakes.nlu import shop_kb, shop_nlu
from tests.fakes.telegram_api import FakeTelegram
from tests.settle import wait_until

TOKEN = "7000000001:AAFakeTokenForRelevoTests_0123456789"
UPDATE_ID = payload("telegram/text")["update_id"]


@pytest.fixture
def telegram_api() -> Iterator[FakeTelegram]:
    with FakeTelegram.running(TOKEN) as fake:
        yield fake


@pytest.fixture
def polling_app(
    make_settings: Callable[..., Settings], telegram_api: FakeTelegram
) -> FastAPI:
    settings = make_settings(telegram={
        "api_base_url": telegram_api.base_url, "bot_token": TOKEN, "mode": "polling",
        "polling_timeout_seconds": 1, "chat_messages_per_second": 1000.0,
    })
    return create_app(settings, nlu=shop_nlu(), knowledge_base=shop_kb())


def polls(telegram_api: FakeTelegram) -> list[dict[str, object]]:
    return telegram_api.sent("getUpdates")


async def test_get_updates_errors_are_retried_and_polling_goes_on(
    polling_app: FastAPI, telegram_api: FakeTelegram
) -> None:
    telegram_api.fail_next("getUpdates", 500)
    telegram_api.fail_next("getUpdates", 429, retry_after=1)
    telegram_api.push_update(payload("telegram/text"))
    async with started(polling_app):
        await wait_until(lambda: inbound(polling_app, "telegram"), "the update to be stored")
        await settle(polling_app)
        stored = await inbound(polling_app, "telegram")
        calls = len(polls(telegram_api))
        # Still polling after the errors: a later update arrives too.
        telegram_api.push_update(payload("telegram/text", update_id=UPDATE_ID + 1) | {
            "message": payload("telegram/text")["message"] | {"message_id": 9001}})
        await wait_until(lambda: _count(polling_app, 2), "the second update to be stored")
    assert calls >= 3  # two failed calls, then the one that fetched the update
    assert [m.external_id for m in stored] == [str(UPDATE_ID)]
    assert telegram_api.sent()[0]["text"] == "Orders arrive in 2-3 working days."


async def test_an_update_that_could_not_be_stored_is_fetched_again_and_stored_once(
    polling_app: FastAPI, telegram_api: FakeTelegram
) -> None:
    async with started(polling_app):
        database = polling_app.state.relevo.database
        async with database.write() as conn:  # the database refuses every new message
            await conn.execute(sa.text("ALTER TABLE messages RENAME TO messages_away"))
        telegram_api.push_update(payload("telegram/text"))
        await wait_until(lambda: telegram_api.times_handed(UPDATE_ID) >= 2,
                         "the update to be fetched again after the failed write")
        unconfirmed = [c.get("offset") for c in polls(telegram_api)]
        async with database.write() as conn:
            await conn.execute(sa.text("ALTER TABLE messages_away RENAME TO messages"))
        await wait_until(lambda: inbound(polling_app, "telegram"), "the update to be stored")
        await wait_until(lambda: UPDATE_ID + 1 in _offsets(telegram_api),
                         "the stored update to be confirmed")
        await settle(polling_app)
        stored = await inbound(polling_app, "telegram")
    assert UPDATE_ID + 1 not in unconfirmed  # never confirmed while it was not stored
    assert [m.external_id for m in stored] == [str(UPDATE_ID)]
    assert [m["text"] for m in telegram_api.sent()] == ["Orders arrive in 2-3 working days."]


def _offsets(telegram_api: FakeTelegram) -> list[object]:
    return [c.get("offset") for c in polls(telegram_api)]


async def _count(app: FastAPI, n: int) -> bool:
    return len(await inbound(app, "telegram")) >= n
