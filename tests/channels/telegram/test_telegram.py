"""Telegram end to end: recorded updates → webhook → inbox → engine → outbox → the real
python-telegram-bot `Bot` → a fake Bot API over HTTP. On SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import FastAPI

from tests.channels.support import inbound, operator_reply, outbound, payload, rows, settle
from tests.channels.telegram.support import CHAT, deliver
from tests.conftest import started
from tests.fakes.telegram_api import FakeTelegram


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
