"""Long polling (`polling`): the same pipeline as the webhook, refused while a webhook
is set."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi import FastAPI

from relevo.channels.telegram.polling import TelegramPollingRefused
from tests.channels.support import inbound, payload, settle
from tests.conftest import started
from tests.fakes.telegram_api import FakeTelegram
from tests.settle import wait_until


async def test_polling_feeds_the_same_pipeline(
    make_app: Callable[..., FastAPI], telegram_api: FakeTelegram
) -> None:
    telegram_api.push_update(payload("telegram/text"))
    telegram_api.push_update(payload("telegram/text"))  # never confirmed: seen again
    app = make_app(mode="polling", polling_timeout_seconds=1)
    async with started(app):
        await wait_until(lambda: inbound(app, "telegram"), "the polled update to be stored")
        await settle(app)
        stored = await inbound(app, "telegram")
    assert len(stored) == 1
    assert telegram_api.sent()[0]["text"] == "Orders arrive in 2-3 working days."
    offsets = [c["offset"] for c in telegram_api.sent("getUpdates") if c.get("offset")]
    assert 864201002 in offsets
    assert telegram_api.sent("getUpdates")[0]["allowed_updates"] == [
        "message", "edited_message", "callback_query"
    ]


async def test_polling_refuses_to_start_while_a_webhook_is_set(
    make_app: Callable[..., FastAPI], telegram_api: FakeTelegram
) -> None:
    telegram_api.webhook = {"url": "https://shop.example.com/webhooks/telegram"}
    app = make_app(mode="polling")
    with pytest.raises(TelegramPollingRefused, match="a webhook is set for this bot"):
        async with started(app):
            pass
