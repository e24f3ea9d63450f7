"""`/slack/events`: each request is verified once (relevo's check; Bolt's is off), and
bodies are read without slack_bolt's internals. On both databases."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from slack_sdk.signature import SignatureVerifier

from relevo.channels.slack.channel import parse_body
from tests.channels.slack.rig import slack_rig
from tests.channels.slack.support import LUCIA, TOKEN, post_event, slash, thread_reply
from tests.channels.support import payload
from tests.fakes.desk import operator
from tests.fakes.slack_api import FakeSlack


@pytest.fixture
def slack_api() -> Iterator[FakeSlack]:
    with FakeSlack.running(TOKEN) as fake:
        yield fake


async def test_each_request_is_verified_once(
    database_url: str, slack_api: FakeSlack, monkeypatch: pytest.MonkeyPatch
) -> None:
    checks: list[str] = []
    real = SignatureVerifier.is_valid

    def counted(self: SignatureVerifier, body: Any, timestamp: str, signature: str) -> bool:
        checks.append(timestamp)
        return real(self, body, timestamp, signature)

    monkeypatch.setattr(SignatureVerifier, "is_valid", counted)
    async with slack_rig(database_url, slack_api) as rig:
        rig.desk.add(operator(7, "Lucía"), slack_user=LUCIA)
        answers = [
            await post_event(rig.client, payload("slack/url_verification")),
            await post_event(rig.client, thread_reply("1.1", "Hi")),
            await slash(rig.client, slack_api, "status"),
        ]
        await rig.settle()
    assert [a.status_code for a in answers] == [200, 200, 200]
    assert len(checks) == 3
    assert slack_api.responses[0]["text"].startswith("*Lucía* — online")


@pytest.mark.parametrize("body, content_type, parsed", [
    ('{"type": "url_verification"}', "application/json", {"type": "url_verification"}),
    ("payload=%7B%22type%22%3A%22block_actions%22%7D", "application/x-www-form-urlencoded",
     {"type": "block_actions"}),
    ("command=%2Frelevo&text=on&user_id=U1", "application/x-www-form-urlencoded",
     {"command": "/relevo", "text": "on", "user_id": "U1"}),
    ("[1, 2]", "application/json", [1, 2]),
])
def test_a_body_is_read_as_json_or_a_form(body: str, content_type: str, parsed: Any) -> None:
    assert parse_body(body, content_type) == parsed


@pytest.mark.parametrize("body", ["{not json", "payload=%7Bbroken"])
def test_a_broken_body_is_refused(body: str) -> None:
    with pytest.raises(json.JSONDecodeError):
        parse_body(body, "application/x-www-form-urlencoded")
