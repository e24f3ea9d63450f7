"""WhatsApp sends no locale: relevo reads the shopper's language from the message and
keeps it for short answers. Really signed webhooks, the real twilio SDK against the
fake Twilio API; on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import FastAPI

from relevo.bot import replies
from tests.channels.support import rows, settle
from tests.channels.whatsapp.support import post, text
from tests.conftest import started
from tests.fakes.twilio_api import FakeTwilio


async def test_a_spanish_message_without_a_locale_is_answered_in_spanish(
    make_app: Callable[..., FastAPI], twilio_api: FakeTwilio
) -> None:
    app = make_app()
    async with started(app) as client:
        await post(client, text("hola, cuanto tarda el envío?", sid="SM" + "1" * 32))
        await settle(app)
        await post(client, text("ok", sid="SM" + "2" * 32))
        await settle(app)
        (conversation,) = await rows(app, "SELECT locale FROM conversations")
    bodies = [m["Body"] for m in twilio_api.messages]
    assert bodies == ["Los pedidos llegan en 2-3 días laborables.\n\n¿Te ayudó? Responde 👍 o 👎",
                      replies.text("didnt_understand", "es")]  # "ok" is no vote
    assert conversation.locale == "es"


async def test_an_english_message_without_a_locale_is_answered_in_english(
    make_app: Callable[..., FastAPI], twilio_api: FakeTwilio
) -> None:
    app = make_app()
    async with started(app) as client:
        await post(client, text("how long does shipping take?", sid="SM" + "3" * 32))
        await settle(app)
    assert [m["Body"] for m in twilio_api.messages] == [
        "Orders arrive in 2-3 working days.\n\nDid this help? Reply 👍 or 👎"]
