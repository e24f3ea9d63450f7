"""Telegram end to end: recorded updates → webhook → inbox → engine → outbox → the real
python-telegram-bot `Bot` → a fake Bot API over HTTP. On SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from typer.testing import CliRunner

from relevo.app.cli import app as cli
from relevo.app.settings import Settings
from relevo.app.wiring import create_app
from relevo.bot.store.schema import outbox
from relevo.channels.telegram.channel import SECRET_HEADER, TelegramPollingRefused
from relevo.channels.telegram.config import TelegramSettings
from relevo.channels.telegram.send import webhook_secret
from tests.channels.support import inbound, operator_reply, outbound, payload, rows, settle
from tests.conftest import started
from tests.fakes.nlu import shop_kb, shop_nlu
from tests.fakes.telegram_api import FakeTelegram
from tests.settle import wait_until

TOKEN = "7000000001:AAFakeTokenForRelevoTests_0123456789"
CHAT = 418302557
SECRET = webhook_secret(TelegramSettings.model_validate({"bot_token": TOKEN}))


@pytest.fixture
def telegram_api() -> Iterator[FakeTelegram]:
    with FakeTelegram.running(TOKEN) as fake:
        yield fake


@pytest.fixture
def make_app(
    make_settings: Callable[..., Settings], telegram_api: FakeTelegram
) -> Callable[..., FastAPI]:
    def make(**telegram: Any) -> FastAPI:
        options = {
            "api_base_url": telegram_api.base_url,
            "bot_token": TOKEN,
            "chat_messages_per_second": 1000.0,
            **telegram,
        }
        settings = make_settings(telegram=options)
        return create_app(settings, nlu=shop_nlu(), knowledge_base=shop_kb())

    return make


async def deliver(client: httpx.AsyncClient, update: dict[str, Any], secret: str | None = SECRET
                  ) -> httpx.Response:
    headers = {SECRET_HEADER: secret} if secret is not None else {}
    return await client.post("/webhooks/telegram", json=update, headers=headers)


async def test_a_shopper_question_gets_the_bot_answer_in_the_chat(
    make_app: Callable[..., FastAPI], telegram_api: FakeTelegram
) -> None:
    app = make_app()
    async with started(app) as client:
        response = await deliver(client, payload("telegram/text"))
        assert response.status_code == 200
        await settle(app)
        stored = await inbound(app, "telegram")
        replies = await outbound(app)
    assert [m.text for m in stored] == ["How long does shipping take?"]
    assert stored[0].external_id == "864201001"
    assert stored[0].author_name == "Marta Ruiz"
    sent = telegram_api.sent()
    assert len(sent) == 1
    assert sent[0]["chat_id"] == CHAT
    assert sent[0]["text"] == "Orders arrive in 2-3 working days."
    assert replies[0].delivery_status == "sent"
    assert replies[0].provider_message_id == "100"


async def test_handoff_then_the_operator_reply_reaches_telegram_signed_with_the_name(
    make_app: Callable[..., FastAPI], telegram_api: FakeTelegram
) -> None:
    app = make_app()
    async with started(app) as client:
        await deliver(client, payload("telegram/text") | {
            "message": payload("telegram/text")["message"] | {"text": "I want a person <now>"}
        })
        await settle(app)
        conversation = (await rows(app, "SELECT id, state FROM conversations"))[0]
        assert conversation.state == "queued"
        await operator_reply(
            app, client, conversation.id, "Hola Marta, I'm checking your order & box."
        )
        await settle(app)
    texts = [m["text"] for m in telegram_api.sent()]
    assert len(texts) >= 2  # the handoff package's notice (its wording), then the reply
    assert texts[-1] == "<b>Lucía · expert</b>\nHola Marta, I'm checking your order &amp; box."
    assert telegram_api.sent()[-1]["parse_mode"] == "HTML"


@pytest.mark.parametrize("secret", [None, "", "wrong-secret", SECRET[:-1] + "x"])
async def test_a_missing_or_forged_secret_is_refused_and_nothing_is_stored(
    make_app: Callable[..., FastAPI], telegram_api: FakeTelegram, secret: str | None
) -> None:
    app = make_app()
    async with started(app) as client:
        response = await deliver(client, payload("telegram/text"), secret=secret)
        await settle(app)
        stored = await rows(app, "SELECT id FROM messages")
    assert response.status_code == 403
    assert stored == []
    assert telegram_api.sent() == []


async def test_the_same_update_three_times_at_once_is_one_message_and_one_reply(
    make_app: Callable[..., FastAPI], telegram_api: FakeTelegram
) -> None:
    app = make_app()
    async with started(app) as client:
        responses = await asyncio.gather(
            *(deliver(client, payload("telegram/text")) for _ in range(3))
        )
        await settle(app)
        stored = await inbound(app, "telegram")
        replies = await outbound(app)
    assert [r.status_code for r in responses] == [200, 200, 200]
    assert len(stored) == 1
    assert len(replies) == 1
    assert len(telegram_api.sent()) == 1


@pytest.mark.parametrize(
    ("body", "status"),
    [
        (b"not json", 400),
        (b"[1, 2]", 400),
        (b'{"message": {"text": "hi"}}', 400),
        (b'{"update_id": "12", "message": {}}', 400),
        (b'{"update_id": 5, "message": {"text": "hi"}}', 400),
    ],
)
async def test_a_body_that_is_not_an_update_is_a_400_and_stores_nothing(
    make_app: Callable[..., FastAPI], body: bytes, status: int
) -> None:
    app = make_app()
    async with started(app) as client:
        response = await client.post(
            "/webhooks/telegram", content=body,
            headers={SECRET_HEADER: SECRET, "Content-Type": "application/json"},
        )
        stored = await rows(app, "SELECT id FROM messages")
    assert response.status_code == status
    assert response.json()["detail"]
    assert stored == []


@pytest.mark.parametrize("name", ["telegram/group_message", "telegram/my_chat_member"])
async def test_updates_relevo_does_not_handle_are_acknowledged_and_ignored(
    make_app: Callable[..., FastAPI], telegram_api: FakeTelegram, name: str
) -> None:
    app = make_app()
    async with started(app) as client:
        response = await deliver(client, payload(name))
        await settle(app)
        stored = await rows(app, "SELECT id FROM messages")
    assert response.status_code == 200
    assert stored == []
    assert telegram_api.sent() == []


async def test_photos_and_documents_are_kept_as_attachments_within_the_limits(
    make_app: Callable[..., FastAPI],
) -> None:
    app = make_app()
    async with started(app) as client:
        for name in ("photo", "document", "document_too_large", "document_refused_type"):
            assert (await deliver(client, payload(f"telegram/{name}"))).status_code == 200
        await settle(app)
        stored = await inbound(app, "telegram")
    photo, document, too_large, refused = stored
    assert photo.text == "The box arrived crushed"
    assert photo.attachments == [{
        "url": "telegram-file:AgACAgQAAxkBAAIBN2dQ_large", "content_type": "image/jpeg",
        "name": None, "size": 84122,
    }]
    assert document.text == "[document]"
    assert document.attachments[0]["name"] == "invoice-10482.pdf"
    assert too_large.attachments is None
    assert too_large.text == (
        "here is the invoice\n[document not kept: 46.0 MB is over the 10.0 MB limit]"
    )
    assert refused.attachments is None
    assert "application/x-msdownload are not accepted" in refused.text


async def test_location_edit_and_start_with_a_deep_link(
    make_app: Callable[..., FastAPI], telegram_api: FakeTelegram
) -> None:
    app = make_app()
    nlu = app.state.relevo.nlu
    async with started(app) as client:
        for name in ("start_deep_link", "location", "edited_message"):
            assert (await deliver(client, payload(f"telegram/{name}"))).status_code == 200
            await settle(app)
        stored = await inbound(app, "telegram")
    start, location, edited = stored
    assert start.text == "/start order-10482"
    assert location.text == "[location] 40.416775, -3.703790"
    assert location.attachments[0]["url"] == "geo:40.416775,-3.703790"
    assert edited.text == "[edited] How long does shipping to Canarias take?"
    sent = telegram_api.sent()
    assert sent[0]["text"].startswith("¡Hola! Soy el asistente")  # no NLU for /start
    assert "/start order-10482" not in nlu.calls
    assert sent[-1]["text"] == "Orders arrive in 2-3 working days."


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


def test_cli_sets_the_webhook_with_the_secret_and_shows_the_info(
    telegram_api: FakeTelegram, monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    monkeypatch.setenv("RELEVO_TELEGRAM__BOT_TOKEN", TOKEN)
    monkeypatch.setenv("RELEVO_TELEGRAM__API_BASE_URL", telegram_api.base_url)
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    result = runner.invoke(cli, ["telegram", "set-webhook", "https://shop.example.com/"])
    assert result.exit_code == 0, result.output
    assert telegram_api.webhook == {
        "url": "https://shop.example.com/webhooks/telegram",
        "secret_token": SECRET,
        "allowed_updates": ["message", "edited_message", "callback_query"],
    }
    info = runner.invoke(cli, ["telegram", "info"])
    assert info.exit_code == 0, info.output
    assert "webhook url:          https://shop.example.com/webhooks/telegram" in info.output
    assert "@relevo_shop_bot" in info.output

    refused = runner.invoke(cli, ["run", "--telegram-polling"])
    assert refused.exit_code == 1
    assert "a webhook is set for this bot" in refused.output
    assert "relevo telegram delete-webhook" in refused.output

    assert runner.invoke(cli, ["telegram", "delete-webhook"]).exit_code == 0
    assert telegram_api.webhook == {}


def test_set_webhook_wants_an_https_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RELEVO_TELEGRAM__BOT_TOKEN", TOKEN)
    result = CliRunner().invoke(cli, ["telegram", "set-webhook", "http://shop.example.com"])
    assert result.exit_code == 2
    assert "https://" in result.output
