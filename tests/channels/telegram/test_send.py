"""Sending to Telegram (`send`): buttons, flood control, a blocked bot."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import sqlalchemy as sa
from fastapi import FastAPI

from relevo.bot.store.schema import outbox
from tests.channels.support import inbound, outbound, payload, settle
from tests.channels.telegram.support import deliver
from tests.conftest import started
from tests.fakes.telegram_api import FakeTelegram


async def test_quick_replies_are_buttons_and_a_tap_is_answered_and_understood(
    make_app: Callable[..., FastAPI], telegram_api: FakeTelegram
) -> None:
    app = make_app()
    text = payload("telegram/text")
    async with started(app) as client:
        await deliver(client, text | {"message": text["message"] | {"text": "charger?"}})
        await settle(app)
        await deliver(client, payload("telegram/callback_query"))
        await deliver(client, payload("telegram/callback_query"))  # Telegram's redelivery
        await settle(app)
        stored = await inbound(app, "telegram")
    clarify, answer = telegram_api.sent()
    assert clarify["reply_markup"] == {"inline_keyboard": [
        [{"text": "Charger compatibility", "callback_data": "charger_compatibility"}],
        [{"text": "Fast charging", "callback_data": "fast_charging"}],
    ]}
    assert [c["callback_query_id"] for c in telegram_api.sent("answerCallbackQuery")] == [
        "1796552003466812160", "1796552003466812160"
    ]
    assert [m.text for m in stored] == ["charger?", "fast_charging"]
    assert answer["text"] == "Fast charging needs a 20 W adapter."


async def test_flood_control_429_is_retried_after_telegrams_retry_after(
    make_app: Callable[..., FastAPI], telegram_api: FakeTelegram
) -> None:
    app = make_app()
    telegram_api.fail_next("sendMessage", 429, retry_after=7)
    async with started(app) as client:
        await deliver(client, payload("telegram/text"))
        await settle(app)
        (waiting,) = await outbound(app)
        assert waiting.outbox_status == "pending"
        assert waiting.attempts == 1
        assert "429" in waiting.last_error
        assert (waiting.next_attempt_at - waiting.outbox_updated_at).total_seconds() == 7.0
        # Seven seconds later (moved, not slept):
        async with app.state.relevo.database.write() as conn:
            await conn.execute(sa.update(outbox).values(next_attempt_at=datetime.now(UTC)))
        await settle(app)
        (done,) = await outbound(app)
    assert done.outbox_status == "done"
    assert done.delivery_status == "sent"
    assert len(telegram_api.sent()) == 2  # the refused try and the delivered one
    assert len({m["text"] for m in telegram_api.sent()}) == 1


async def test_a_blocked_bot_fails_the_message_for_good_with_the_reason(
    make_app: Callable[..., FastAPI], telegram_api: FakeTelegram
) -> None:
    app = make_app()
    telegram_api.fail_next("sendMessage", 403)
    async with started(app) as client:
        await deliver(client, payload("telegram/text"))
        await settle(app)
        (failed,) = await outbound(app)
    assert failed.delivery_status == "failed"
    assert "bot was blocked by the user" in failed.delivery_error
