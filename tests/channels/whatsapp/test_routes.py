"""The Twilio webhooks (`routes`, `verify`): signatures, proxies, bad requests,
retries deduped by the inbox, and delivery status callbacks."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl

import pytest
from fastapi import FastAPI

from tests.channels.support import inbound, outbound, payload, rows, settle
from tests.channels.whatsapp.support import (
    INBOUND,
    PUBLIC,
    STATUS,
    post,
    text,
)
from tests.conftest import started
from tests.fakes.twilio_api import FakeTwilio, sign


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
