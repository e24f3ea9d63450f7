"""Correctly signed Twilio webhooks carrying NUL characters (the shopper's text and
name, a status callback's MessageSid) are stored sanitised and answered with TwiML,
never refused (Twilio would retry) and never a 500 (PostgreSQL refused the NUL)."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import FastAPI

from tests.channels.support import inbound, outbound, payload, settle
from tests.channels.whatsapp.support import STATUS, post, text
from tests.conftest import started
from tests.fakes.twilio_api import FakeTwilio


async def test_nul_characters_from_twilio_are_stored_sanitised(
    make_app: Callable[..., FastAPI], twilio_api: FakeTwilio
) -> None:
    form = text("How long does\x00 shipping take?") | {"ProfileName": "Mar\x00ta Ruiz"}
    status = payload("twilio/status_delivered", MessageSid="SM\x00nothing",
                     SmsSid="SM\x00nothing", ErrorCode="63\x00016")
    app = make_app()
    async with started(app) as client:
        message = await post(client, form)
        receipt = await post(client, status, STATUS)
        await settle(app)
        stored = await inbound(app, "whatsapp")
        replies = await outbound(app)
    assert (message.status_code, receipt.status_code) == (200, 200)
    assert "<Response>" in message.text
    assert [(m.text, m.author_name) for m in stored] == [
        ("How long does shipping take?", "Marta Ruiz")]
    assert [r.text for r in replies] == ["Orders arrive in 2-3 working days."]
    assert [m["Body"] for m in twilio_api.messages] == [
        "Orders arrive in 2-3 working days.\n\nDid this help? Reply 👍 or 👎"]
