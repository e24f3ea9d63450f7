"""Bodies are limited per route and refused with 413 as they stream in, before any
signature is computed or JSON parsed: a declared Content-Length over the limit at
once, a chunked body as soon as it passes the limit. A 100 MB body was read in full
before the Slack and Twilio signature checks (memory reached 517 MB)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from slack_sdk.signature import SignatureVerifier
from twilio.request_validator import RequestValidator

from relevo.app import create_app
from relevo.app.settings import Settings
from tests.channels.slack.support import SECRET as SLACK_SECRET
from tests.channels.slack.support import TOKEN as SLACK_TOKEN
from tests.channels.slack.support import post_event
from tests.channels.support import payload
from tests.channels.whatsapp.support import INBOUND, PUBLIC, post
from tests.conftest import started
from tests.fakes.nlu import shop_kb, shop_nlu
from tests.fakes.slack_api import FakeSlack
from tests.fakes.twilio_api import ACCOUNT_SID, AUTH_TOKEN, SENDER, FakeTwilio
from tests.handoff.helpers import new_shopper

WEBHOOK_LIMIT = 64 * 1024
CHUNK = 64 * 1024
WEBHOOKS = ["/slack/events", INBOUND]


class Streamed:
    """A body of `total` bytes, produced chunk by chunk; counts what was taken."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.taken = 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        while self.taken < self.total:
            self.taken += CHUNK
            yield b"x" * CHUNK


@pytest.fixture
def signatures(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Which signature checks ran (Slack's and Twilio's verifiers, spied on)."""
    computed: list[str] = []
    slack_check, twilio_check = SignatureVerifier.is_valid, RequestValidator.validate

    def slack(self: SignatureVerifier, *args: Any, **kwargs: Any) -> bool:
        computed.append("slack")
        return slack_check(self, *args, **kwargs)

    def twilio(self: RequestValidator, *args: Any, **kwargs: Any) -> bool:
        computed.append("twilio")
        return twilio_check(self, *args, **kwargs)

    monkeypatch.setattr(SignatureVerifier, "is_valid", slack)
    monkeypatch.setattr(RequestValidator, "validate", twilio)
    return computed


@pytest.fixture
def make_app(make_settings: Callable[..., Settings], tmp_path: Path
             ) -> Iterator[Callable[..., FastAPI]]:
    with FakeSlack.running(SLACK_TOKEN) as slack, FakeTwilio.running() as twilio:
        def make(**body_limits: Any) -> FastAPI:
            settings = make_settings(
                body_limits={"webhook_bytes": WEBHOOK_LIMIT, **body_limits},
                slack={"api_base_url": slack.api_url, "bot_token": SLACK_TOKEN,
                       "signing_secret": SLACK_SECRET, "channel": "C0SUPPORT01"},
                twilio={"api_base_url": twilio.base_url, "account_sid": ACCOUNT_SID,
                        "auth_token": AUTH_TOKEN, "whatsapp_from": SENDER,
                        "public_base_url": PUBLIC, "media_dir": str(tmp_path / "media")},
            )
            return create_app(settings, nlu=shop_nlu(), knowledge_base=shop_kb())

        yield make


@pytest.mark.parametrize("path", WEBHOOKS)
async def test_a_declared_length_over_the_limit_is_a_413_before_the_signature(
    make_app: Callable[..., FastAPI], signatures: list[str], path: str
) -> None:
    async with started(make_app()) as client:
        response = await client.post(path, content=b"x" * (WEBHOOK_LIMIT + 1),
                                     headers={"Content-Type": "application/json"})
    assert response.status_code == 413
    assert response.json() == {"detail": f"request body too large: this route accepts at "
                                         f"most {WEBHOOK_LIMIT} bytes"}
    assert signatures == []


@pytest.mark.parametrize("path", WEBHOOKS)
async def test_a_streamed_100_mb_body_is_cut_off_at_the_limit(
    make_app: Callable[..., FastAPI], signatures: list[str], path: str
) -> None:
    body = Streamed(100 * 1024 * 1024)
    async with started(make_app()) as client:
        response = await client.post(path, content=body,  # chunked: no Content-Length
                                     headers={"Content-Type": "application/json"})
    assert response.status_code == 413
    assert body.taken <= WEBHOOK_LIMIT + CHUNK  # what the app received, not 100 MB
    assert signatures == []


async def test_signed_webhooks_within_the_limit_are_still_verified_and_handled(
    make_app: Callable[..., FastAPI], signatures: list[str]
) -> None:
    async with started(make_app()) as client:
        slack = await post_event(client, payload("slack/url_verification"))
        twilio = await post(client, payload("twilio/inbound_text"))
    assert (slack.status_code, twilio.status_code) == (200, 200)
    assert signatures == ["slack", "twilio"]


async def test_json_apis_have_their_own_limit_and_a_route_may_have_another(
    make_app: Callable[..., FastAPI],
) -> None:
    app = make_app(api_bytes=8 * 1024, routes={"/webchat/sessions": 1024})
    async with started(app) as client:
        shopper = await new_shopper(client)

        def message(size: int) -> bytes:
            return json.dumps({"text": "a" * size}).encode()

        small = await client.post("/webchat/messages", content=message(4000),
                                  headers={**shopper, "Content-Type": "application/json"})
        large = await client.post("/webchat/messages", content=message(9000),
                                  headers={**shopper, "Content-Type": "application/json"})
        streamed = await client.post("/webchat/messages", content=Streamed(10 * CHUNK),
                                     headers={**shopper, "Content-Type": "application/json"})
        session = await client.post("/webchat/sessions", content=b" " * 2048,
                                    headers={"Content-Type": "application/json"})
    assert (small.status_code, large.status_code) == (202, 413)
    assert "at most 8192 bytes" in large.json()["detail"]
    assert streamed.status_code == 413
    assert session.status_code == 413
