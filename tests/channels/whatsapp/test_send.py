"""Sending on WhatsApp (`send`): the 24-hour window, templates, Twilio's refusals
and rate limits."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi import FastAPI

from relevo.bot.store.schema import outbox
from relevo.bot.types import Author, AuthorKind, OutboundMessage
from relevo.channels.whatsapp.send import template_purpose
from tests.channels.support import operator_reply, outbound, payload, rows, settle
from tests.channels.whatsapp.support import (
    SHOPPER,
    TEMPLATE_SID,
    age_inbound,
    post,
    text,
)
from tests.conftest import free_port, started
from tests.fakes.twilio_api import FakeTwilio


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
    assert json.loads(sent["ContentVariables"]) == {"1": "Lucía · especialista"}  # Spanish
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


async def test_a_twilio_5xx_is_retried_and_then_delivered(
    make_app: Callable[..., FastAPI], twilio_api: FakeTwilio
) -> None:
    app = make_app()
    twilio_api.fail_next(500)
    async with started(app) as client:
        await post(client, payload("twilio/inbound_text"))
        await settle(app)
        (waiting,) = await outbound(app)
        assert waiting.outbox_status == "pending"
        assert "Twilio 500" in waiting.last_error
        async with app.state.relevo.database.write() as conn:  # the backoff is over
            await conn.execute(sa.update(outbox).values(next_attempt_at=datetime.now(UTC)))
        await settle(app)
        (done,) = await outbound(app)
    assert done.outbox_status == "done"
    assert len(twilio_api.messages) == 1


async def test_an_unreachable_twilio_is_retried_not_failed(
    make_app: Callable[..., FastAPI],
) -> None:
    app = make_app(api_base_url=f"http://127.0.0.1:{free_port()}")
    async with started(app) as client:
        await post(client, payload("twilio/inbound_text"))
        await settle(app)
        (waiting,) = await outbound(app)
    assert waiting.outbox_status == "pending"
    assert waiting.delivery_status == "pending"
    assert "Twilio unreachable: ConnectError" in waiting.last_error
