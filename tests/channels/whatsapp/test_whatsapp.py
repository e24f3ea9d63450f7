"""WhatsApp through Twilio end to end: recorded, really signed webhooks → inbox → engine
→ outbox → the real twilio SDK async client → a fake Twilio REST API over HTTP.
On SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import FastAPI

from tests.channels.support import inbound, operator_reply, outbound, payload, rows, settle
from tests.channels.whatsapp.support import (
    PUBLIC,
    SHOPPER,
    STATUS,
    post,
    text,
)
from tests.conftest import started
from tests.fakes.twilio_api import SENDER, FakeTwilio


async def test_a_shopper_question_gets_the_bot_answer_on_whatsapp(
    make_app: Callable[..., FastAPI], twilio_api: FakeTwilio
) -> None:
    app = make_app()
    async with started(app) as client:
        response = await post(client, payload("twilio/inbound_text"))
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/xml")
        assert "<Response></Response>" in response.text
        await settle(app)
        stored = await inbound(app, "whatsapp")
        (reply,) = await outbound(app)
    assert stored[0].external_id == "SM5b2f4e8a1c9d7e3f6a0b2c4d8e1f3a5b"
    assert stored[0].author_name == "Marta Ruiz"
    (sent,) = twilio_api.messages
    assert sent["From"] == SENDER
    assert sent["To"] == SHOPPER
    assert sent["Body"] == "Orders arrive in 2-3 working days.\n\nDid this help? Reply 👍 or 👎"
    assert sent["StatusCallback"] == PUBLIC + STATUS
    assert reply.provider_message_id == sent["Sid"]
    assert reply.delivery_status == "sent"


async def test_handoff_then_the_operator_reply_reaches_whatsapp(
    make_app: Callable[..., FastAPI], twilio_api: FakeTwilio
) -> None:
    app = make_app()
    async with started(app) as client:
        await post(client, text("quiero hablar con una persona"))
        await settle(app)
        conversation = (await rows(app, "SELECT id, state FROM conversations"))[0]
        assert conversation.state == "queued"
        await operator_reply(app, client, conversation.id, "Hola Marta, ya lo miro.")
        await settle(app)
    bodies = [m["Body"] for m in twilio_api.messages]
    assert len(bodies) >= 2  # the handoff package's notice (its wording), then the reply
    assert bodies[-1] == "*Lucía · especialista*\nHola Marta, ya lo miro."  # she wrote Spanish


async def test_a_location_is_stored_as_text_and_a_geo_attachment(
    make_app: Callable[..., FastAPI],
) -> None:
    app = make_app()
    async with started(app) as client:
        await post(client, payload("twilio/inbound_location"))
        (stored,) = await inbound(app, "whatsapp")
    assert stored.text == "[location: Puerta del Sol] 40.416775, -3.703790"
    assert stored.attachments[0]["url"] == "geo:40.416775,-3.703790"


async def test_stop_opts_out_silently_and_start_opts_back_in(
    make_app: Callable[..., FastAPI], twilio_api: FakeTwilio
) -> None:
    app = make_app()
    async with started(app) as client:
        await post(client, text("persona", sid="SM" + "1" * 32))
        await settle(app)
        await post(client, text("STOP", sid="SM" + "2" * 32))
        await settle(app)
        conversation_id = (await rows(app, "SELECT id FROM conversations"))[0].id
        await operator_reply(app, client, conversation_id, "Are you still there?")
        await settle(app)
        refused = (await outbound(app))[-1]
        await post(client, text("start", sid="SM" + "3" * 32))
        await settle(app)
        await operator_reply(app, client, conversation_id, "Welcome back!")
        await settle(app)
        welcomed = (await outbound(app))[-1]
    assert refused.delivery_status == "failed"
    assert "opted out" in refused.delivery_error
    assert welcomed.delivery_status == "sent"
    operator_bodies = [m["Body"] for m in twilio_api.messages if "Lucía" in m["Body"]]
    assert operator_bodies == ["*Lucía · expert*\nWelcome back!"]
