"""WhatsApp through Twilio end to end: recorded, really signed webhooks → inbox → engine
→ outbox → the real twilio SDK async client → a fake Twilio REST API over HTTP.
On SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import httpx
import pytest
import sqlalchemy as sa
from fastapi import FastAPI

from relevo.app.settings import Settings
from relevo.app.wiring import create_app
from relevo.bot.store.schema import messages, outbox
from relevo.bot.types import Author, AuthorKind, OutboundMessage
from relevo.channels.whatsapp.send import template_purpose
from tests.channels.support import inbound, operator_reply, outbound, payload, rows, settle
from tests.conftest import started
from tests.fakes.nlu import shop_kb, shop_nlu
from tests.fakes.twilio_api import ACCOUNT_SID, AUTH_TOKEN, SENDER, FakeTwilio, sign

PUBLIC = "https://shop.example.com"
INBOUND = "/webhooks/twilio/whatsapp"
STATUS = "/webhooks/twilio/whatsapp/status"
SHOPPER = "whatsapp:+34600111222"
TEMPLATE_SID = "HX" + "0123456789abcdef" * 2
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 2048


@pytest.fixture
def twilio_api() -> Iterator[FakeTwilio]:
    with FakeTwilio.running() as fake:
        yield fake


@pytest.fixture
def make_app(
    make_settings: Callable[..., Settings], twilio_api: FakeTwilio, tmp_path: Path
) -> Callable[..., FastAPI]:
    def make(**twilio: Any) -> FastAPI:
        options = {
            "api_base_url": twilio_api.base_url,
            "account_sid": ACCOUNT_SID,
            "auth_token": AUTH_TOKEN,
            "whatsapp_from": SENDER,
            "public_base_url": PUBLIC,
            "media_dir": str(tmp_path / "media"),
            "media_max_bytes": 1_000_000,
            **twilio,
        }
        return create_app(
            make_settings(twilio=options), nlu=shop_nlu(), knowledge_base=shop_kb()
        )

    return make


async def post(
    client: httpx.AsyncClient,
    form: dict[str, str],
    path: str = INBOUND,
    *,
    signed_url: str | None = None,
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    signature = sign(signed_url or PUBLIC + path, form)
    return await client.post(
        path, data=form, headers={"X-Twilio-Signature": signature, **(headers or {})}
    )


def text(body: str, sid: str = "SM5b2f4e8a1c9d7e3f6a0b2c4d8e1f3a5b") -> dict[str, str]:
    return payload("twilio/inbound_text", Body=body, MessageSid=sid, SmsMessageSid=sid,
                   SmsSid=sid)


async def age_inbound(app: FastAPI, hours: float) -> None:
    """Pretend the shopper's messages were written `hours` ago."""
    async with app.state.relevo.database.write() as conn:
        await conn.execute(
            sa.update(messages).where(messages.c.direction == "inbound")
            .values(created_at=datetime.now(UTC) - timedelta(hours=hours))
        )


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
    assert sent["Body"] == "Orders arrive in 2-3 working days."
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
    assert bodies[-1] == "*Lucía · expert*\nHola Marta, ya lo miro."


@pytest.mark.parametrize(
    "forge",
    ["missing", "other_token", "other_url", "tampered_body"],
)
async def test_a_missing_or_forged_signature_is_a_403_and_nothing_is_stored(
    make_app: Callable[..., FastAPI], twilio_api: FakeTwilio, forge: str
) -> None:
    app = make_app()
    form = payload("twilio/inbound_text")
    headers: dict[str, str] = {}
    if forge == "other_token":
        headers["X-Twilio-Signature"] = sign(PUBLIC + INBOUND, form, "f" * 32)
    elif forge == "other_url":
        headers["X-Twilio-Signature"] = sign("https://evil.example.com" + INBOUND, form)
    elif forge == "tampered_body":
        headers["X-Twilio-Signature"] = sign(PUBLIC + INBOUND, form)
        form = form | {"Body": "refund me twice"}
    async with started(app) as client:
        response = await client.post(INBOUND, data=form, headers=headers)
        await settle(app)
        stored = await rows(app, "SELECT id FROM messages")
    assert response.status_code == 403
    assert stored == []
    assert twilio_api.messages == []


async def test_behind_a_tls_proxy_the_forwarded_url_is_the_one_checked(
    make_app: Callable[..., FastAPI],
) -> None:
    app = make_app(public_base_url=None)
    form = payload("twilio/inbound_text")
    async with started(app) as client:
        proxied = await post(client, form, headers={
            "X-Forwarded-Proto": "https", "X-Forwarded-Host": "shop.example.com"})
        direct = await post(client, text("again", sid="SM" + "a" * 32))
    assert proxied.status_code == 200
    assert direct.status_code == 403  # this process saw http://relevo.test/…


async def test_the_same_message_sid_three_times_at_once_is_one_message_and_one_reply(
    make_app: Callable[..., FastAPI], twilio_api: FakeTwilio
) -> None:
    app = make_app()
    async with started(app) as client:
        responses = await asyncio.gather(
            *(post(client, payload("twilio/inbound_text")) for _ in range(3))
        )
        await settle(app)
        stored = await inbound(app, "whatsapp")
        replies = await outbound(app)
    assert [r.status_code for r in responses] == [200, 200, 200]
    assert len(stored) == 1
    assert len(replies) == 1
    assert len(twilio_api.messages) == 1


@pytest.mark.parametrize(
    ("change", "detail"),
    [
        ({"From": ""}, "From: required"),
        ({"MessageSid": ""}, "MessageSid: required"),
        ({"From": "+34600111222"}, "From: expected whatsapp:+<E.164 number>"),
        ({"To": "whatsapp:+15005550006"}, "is not this relevo's WhatsApp sender"),
        ({"NumMedia": "many"}, "NumMedia: not a number"),
        ({"NumMedia": "1"}, "MediaUrl0: required"),
    ],
)
async def test_missing_or_wrong_fields_are_a_clear_400(
    make_app: Callable[..., FastAPI], change: dict[str, str], detail: str
) -> None:
    app = make_app()
    async with started(app) as client:
        response = await post(client, payload("twilio/inbound_text") | change)
        stored = await rows(app, "SELECT id FROM messages")
    assert response.status_code == 400
    assert detail in response.json()["detail"]
    assert stored == []


async def test_a_body_that_is_not_a_form_is_a_400(make_app: Callable[..., FastAPI]) -> None:
    app = make_app()
    body = json.dumps(payload("twilio/inbound_text"))
    # Signed over what the body decodes to, so only the content type is wrong.
    signature = sign(PUBLIC + INBOUND, dict(parse_qsl(body, keep_blank_values=True)))
    async with started(app) as client:
        response = await client.post(
            INBOUND, content=body,
            headers={"Content-Type": "application/json", "X-Twilio-Signature": signature},
        )
    assert response.status_code == 400
    assert "form" in response.json()["detail"]


async def test_media_is_fetched_with_the_account_credentials_within_the_limits(
    make_app: Callable[..., FastAPI], twilio_api: FakeTwilio, tmp_path: Path
) -> None:
    app = make_app()
    photo = twilio_api.add_media("ME1", JPEG, "image/jpeg")
    huge = twilio_api.add_media("ME2", b"\x00" * 1_500_000, "image/jpeg")
    image = payload("twilio/inbound_image")
    async with started(app) as client:
        await post(client, image | {"MediaUrl0": photo})
        await post(client, image | {"MediaUrl0": huge, "MessageSid": "MM" + "1" * 32})
        await post(client, image | {"MediaUrl0": photo, "MessageSid": "MM" + "2" * 32,
                                    "MediaContentType0": "application/x-msdownload"})
        gone = twilio_api.add_media("ME3", b"", "image/jpeg").replace("ME3", "ME404")
        await post(client, image | {"MediaUrl0": gone, "MessageSid": "MM" + "3" * 32})
        stored = await inbound(app, "whatsapp")
    kept, too_large, refused, unavailable = stored
    (attachment,) = kept.attachments
    assert attachment["content_type"] == "image/jpeg"
    assert attachment["size"] == len(JPEG)
    assert (tmp_path / "media" / attachment["name"]).read_bytes() == JPEG
    assert kept.text == "The box arrived crushed"
    assert too_large.attachments is None
    assert "[attachment not kept: 1.4 MB is over the 1.0 MB limit]" in too_large.text
    assert "application/x-msdownload are not accepted" in refused.text
    assert unavailable.attachments == [
        {"url": gone, "content_type": "image/jpeg", "name": None, "size": None}
    ]


async def test_a_location_is_stored_as_text_and_a_geo_attachment(
    make_app: Callable[..., FastAPI],
) -> None:
    app = make_app()
    async with started(app) as client:
        await post(client, payload("twilio/inbound_location"))
        (stored,) = await inbound(app, "whatsapp")
    assert stored.text == "[location: Puerta del Sol] 40.416775, -3.703790"
    assert stored.attachments[0]["url"] == "geo:40.416775,-3.703790"


async def test_status_callbacks_move_the_delivery_status_forward_only(
    make_app: Callable[..., FastAPI], twilio_api: FakeTwilio
) -> None:
    app = make_app()
    events: list[Any] = []

    async def record(event: Any) -> None:
        events.append(event)

    app.state.relevo.bus.subscribe(record, name="test")
    async with started(app) as client:
        await post(client, payload("twilio/inbound_text"))
        await settle(app)
        sid = twilio_api.messages[0]["Sid"]
        callback = payload("twilio/status_delivered", MessageSid=sid, SmsSid=sid)
        assert (await post(client, callback, STATUS)).status_code == 200
        delivered = (await outbound(app))[0]
        late_sent = callback | {"MessageStatus": "sent", "SmsStatus": "sent"}
        await post(client, late_sent, STATUS)
        still = (await outbound(app))[0]
        await post(client, callback | {"MessageStatus": "read"}, STATUS)
        read = (await outbound(app))[0]
        unknown = await post(client, callback | {"MessageSid": "SM" + "9" * 32}, STATUS)
        forged = await client.post(STATUS, data=callback)
        await settle(app)
    assert (delivered.delivery_status, still.delivery_status, read.delivery_status) == (
        "delivered", "delivered", "read"
    )
    assert unknown.status_code == 200
    assert forged.status_code == 403
    statuses = [e.status.value for e in events if type(e).__name__ == "MessageSent"]
    assert statuses[-2:] == ["delivered", "read"]


async def test_an_undelivered_callback_marks_the_message_failed_with_the_error_code(
    make_app: Callable[..., FastAPI], twilio_api: FakeTwilio
) -> None:
    app = make_app()
    async with started(app) as client:
        await post(client, payload("twilio/inbound_text"))
        await settle(app)
        sid = twilio_api.messages[0]["Sid"]
        await post(client, payload("twilio/status_undelivered", MessageSid=sid), STATUS)
        (reply,) = await outbound(app)
    assert reply.delivery_status == "failed"
    assert reply.delivery_error == "Twilio error 63024"


async def test_after_24_hours_an_operator_reply_needs_a_template_or_says_why_not(
    make_app: Callable[..., FastAPI], twilio_api: FakeTwilio
) -> None:
    app = make_app()
    async with started(app) as client:
        await post(client, text("necesito una persona"))
        await settle(app)
        await age_inbound(app, hours=25)
        conversation_id = (await rows(app, "SELECT id FROM conversations"))[0].id
        await operator_reply(app, client, conversation_id, "Sorry for the wait!")
        await settle(app)
        late = (await outbound(app))[-1]
    assert late.delivery_status == "failed"
    assert "outside WhatsApp's 24-hour window" in late.delivery_error
    assert "cannot be delivered until the shopper writes again" in late.delivery_error
    assert not [m for m in twilio_api.messages if "Sorry for the wait!" in m.get("Body", "")]


async def test_after_24_hours_the_configured_template_is_sent_instead(
    make_app: Callable[..., FastAPI], twilio_api: FakeTwilio
) -> None:
    app = make_app(templates={
        "operator_reply": {"content_sid": TEMPLATE_SID, "variables": {"1": "{name}"}},
    })
    async with started(app) as client:
        await post(client, text("necesito una persona"))
        await settle(app)
        await age_inbound(app, hours=30)
        conversation_id = (await rows(app, "SELECT id FROM conversations"))[0].id
        await operator_reply(app, client, conversation_id, "Sorry for the wait!")
        await settle(app)
        late = (await outbound(app))[-1]
    sent = twilio_api.messages[-1]
    assert sent["ContentSid"] == TEMPLATE_SID
    assert json.loads(sent["ContentVariables"]) == {"1": "Lucía · expert"}
    assert "Body" not in sent
    assert late.delivery_status == "sent"


async def test_twilio_refusing_a_closed_window_fails_the_message_plainly(
    make_app: Callable[..., FastAPI], twilio_api: FakeTwilio
) -> None:
    app = make_app()
    twilio_api.fail_next(400, code=63016)
    async with started(app) as client:
        await post(client, payload("twilio/inbound_text"))
        await settle(app)
        (reply,) = await outbound(app)
    assert reply.delivery_status == "failed"
    assert "cannot be delivered until the shopper writes again" in reply.delivery_error
    assert "63016" in reply.delivery_error


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


async def test_a_429_is_retried_after_twilios_retry_after(
    make_app: Callable[..., FastAPI], twilio_api: FakeTwilio
) -> None:
    app = make_app()
    twilio_api.fail_next(429, retry_after=3)
    async with started(app) as client:
        await post(client, payload("twilio/inbound_text"))
        await settle(app)
        (waiting,) = await outbound(app)
        assert waiting.outbox_status == "pending"
        assert "429" in waiting.last_error
        assert (waiting.next_attempt_at - waiting.outbox_updated_at).total_seconds() == 3.0
        async with app.state.relevo.database.write() as conn:  # three seconds later
            await conn.execute(sa.update(outbox).values(next_attempt_at=datetime.now(UTC)))
        await settle(app)
        (done,) = await outbound(app)
    assert done.outbox_status == "done"
    assert twilio_api.attempts == 2
    assert len(twilio_api.messages) == 1


@pytest.mark.parametrize(
    ("author", "meta", "purpose"),
    [
        (AuthorKind.OPERATOR, {}, "operator_reply"),
        (AuthorKind.SYSTEM, {"handoff": "csat_question", "operator_id": 3}, "csat"),
        (AuthorKind.SYSTEM, {"template_purpose": "link_code"}, "link_code"),
        (AuthorKind.BOT, {}, "bot"),
    ],
)
def test_the_template_purpose_of_a_message(
    author: AuthorKind, meta: dict[str, Any], purpose: str
) -> None:
    message = OutboundMessage(1, 1, "whatsapp", SHOPPER, "hi", Author(author, "Lucía"))
    assert template_purpose(message, meta) == purpose
