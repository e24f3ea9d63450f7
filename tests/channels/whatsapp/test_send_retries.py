"""Twilio answering 5xx, or not reachable at all, delays a WhatsApp reply: the outbox
retries it until Twilio takes it, and the shopper gets it exactly once."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from fastapi import FastAPI

from relevo.app import create_app
from relevo.app.settings import Settings
from tests.channels.support import outbound, payload
from tests.channels.whatsapp.support import PUBLIC, post
from tests.conftest import free_port, started
from tests.fakes.nlu import shop_kb, shop_nlu
from tests.fakes.twilio_api import ACCOUNT_SID, AUTH_TOKEN, SENDER, FakeTwilio
from tests.settle import settle, wait_until

ANSWER = "Orders arrive in 2-3 working days."
BODY = ANSWER + "\n\nDid this help? Reply 👍 or 👎"  # what WhatsApp gets: the vote line too


def whatsapp_app(make_settings: Callable[..., Settings], base_url: str,
                 tmp_path: Path) -> FastAPI:
    settings = make_settings(
        twilio={"api_base_url": base_url, "account_sid": ACCOUNT_SID, "auth_token": AUTH_TOKEN,
                "whatsapp_from": SENDER, "public_base_url": PUBLIC,
                "media_dir": str(tmp_path / "media")},
        # Retries a few milliseconds apart, so the test waits on them for real.
        outbox={"base_delay_seconds": 0.01, "max_delay_seconds": 0.05},
    )
    return create_app(settings, nlu=shop_nlu(), knowledge_base=shop_kb())


async def delivered(app: FastAPI) -> list[Any]:
    await settle(app)
    found = await outbound(app)
    return found if found and found[0].outbox_status != "pending" else []


async def test_server_errors_are_retried_and_the_reply_sent_once(
    make_settings: Callable[..., Settings], tmp_path: Path
) -> None:
    with FakeTwilio.running() as twilio:
        twilio.fail_next(500, code=20500)
        twilio.fail_next(502, code=20500)
        twilio.fail_next(503, code=20500)
        app = whatsapp_app(make_settings, twilio.base_url, tmp_path)
        async with started(app) as client:
            await post(client, payload("twilio/inbound_text"))
            (reply,) = await wait_until(lambda: delivered(app), "the reply to be delivered")
    assert (reply.outbox_status, reply.delivery_status) == ("done", "sent")
    assert reply.attempts == 4
    assert twilio.attempts == 4
    assert [m["Body"] for m in twilio.messages] == [BODY]
    assert reply.provider_message_id == twilio.messages[0]["Sid"]


async def test_an_unreachable_twilio_is_retried_and_the_reply_sent_once(
    make_settings: Callable[..., Settings], tmp_path: Path
) -> None:
    port = free_port()  # nothing listens there yet: connections are refused
    app = whatsapp_app(make_settings, f"http://127.0.0.1:{port}", tmp_path)
    async with started(app) as client:
        await post(client, payload("twilio/inbound_text"))
        await settle(app)
        (waiting,) = await outbound(app)
        with FakeTwilio.running(port) as twilio:  # Twilio is back
            (reply,) = await wait_until(lambda: delivered(app), "the reply to be delivered")
    assert waiting.outbox_status == "pending"
    assert "unreachable" in waiting.last_error
    assert (reply.outbox_status, reply.delivery_status) == ("done", "sent")
    assert twilio.attempts == 1
    assert [m["Body"] for m in twilio.messages] == [BODY]
