"""`POST /slack/events` with random Events API bodies, interactions and slash commands,
each signed with the signing secret as Slack signs them (v0 HMAC over the timestamp and
the body), through the real app: never a 5xx, and the work acknowledged never crashes
afterwards. A well-formed thread reply reaches the shopper exactly once, however many
times and envelopes Slack delivers it in. Forged requests are refused, never a 5xx.
On SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import logging
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from hypothesis import given
from hypothesis import strategies as st

from relevo.app.settings import Settings
from relevo.bot.store.schema import conversations, messages
from relevo.bot.types import OperatorKind
from relevo.channels.slack.blocks import ACTION_CLAIM
from tests.channels.slack.support import CHANNEL, LUCIA, SECRET, TOKEN, build, press, settle
from tests.conftest import started
from tests.fakes.slack_api import FakeSlack
from tests.fuzz.providers import slack_bodies, transfer_metadata
from tests.fuzz.strategies import CLEAN, NASTY, recorded, texts
from tests.fuzz.tally import Tally, backend
from tests.handoff.helpers import add_operator, go_online, new_shopper


def signature(body: bytes, timestamp: str, secret: str = SECRET) -> str:
    """Slack's v0 signature, over the bytes sent."""
    base = b"v0:" + timestamp.encode() + b":" + body
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


@dataclass
class Shift:
    """relevo with Slack; in `shift`, Lucía (an operator there) has claimed a shopper's
    conversation (`conversation_id`, its thread at `root_ts`); in `slack`, none yet."""

    app: FastAPI
    client: httpx.AsyncClient
    caplog: pytest.LogCaptureFixture
    respond_url: str  # where slash commands are answered (the fake Slack)
    conversation_id: int = 0
    root_ts: str = ""
    ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    async def post(self, body: bytes, content_type: str) -> httpx.Response:
        stamp = str(int(time.time()))
        return await self.client.post("/slack/events", content=body, headers={
            "X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": signature(body, stamp),
            "Content-Type": content_type})

    async def operator_messages(self) -> int:
        async with self.app.state.relevo.database.read() as conn:
            return int((await conn.execute(
                sa.select(sa.func.count()).select_from(messages).where(
                    messages.c.conversation_id == self.conversation_id,
                    messages.c.author_kind == "operator"))).scalar_one())

    def failed_jobs(self) -> list[str]:
        """Work acknowledged to Slack that then raised (logged, never retried)."""
        return [r.getMessage() for r in self.caplog.records
                if r.name == "relevo.channels.slack" and r.levelno >= logging.ERROR]


@pytest.fixture
def slack_api() -> Iterator[FakeSlack]:
    with FakeSlack.running(TOKEN) as fake:
        fake.add_user(LUCIA, "Lucía", "lucia@shop.example")
        yield fake


@pytest.fixture
async def slack(
    make_settings: Callable[..., Settings], caplog: pytest.LogCaptureFixture,
    slack_api: FakeSlack,
) -> AsyncIterator[Shift]:
    app = build(make_settings, slack_api)
    async with started(app) as client:
        yield Shift(app, client, caplog, slack_api.respond_url())


@pytest.fixture
async def shift(slack: Shift, slack_api: FakeSlack) -> Shift:
    app, client = slack.app, slack.client
    lucia = await add_operator(app, "Lucía", OperatorKind.EXPERT, email="lucia@shop.example")
    await go_online(client, lucia)
    said = await client.post("/webchat/messages", json={"text": "I want a person"},
                             headers=await new_shopper(client))
    await settle(app)
    [root] = slack_api.roots()
    conversation_id = int(said.json()["conversation_id"])
    assert (await press(client, ACTION_CLAIM, conversation_id, root["ts"])).status_code == 200
    await settle(app)
    return replace(slack, conversation_id=conversation_id, root_ts=root["ts"])


@pytest.mark.parametrize("alphabet", [CLEAN, NASTY])
@given(data=st.data())
async def test_any_signed_request_is_answered_without_a_server_error(
    alphabet: str, shift: Shift, tally: Tally, database_url: str, data: st.DataObject
) -> None:
    metadata = transfer_metadata(shift.conversation_id, CHANNEL, shift.root_ts)
    body, content_type = data.draw(slack_bodies(
        alphabet, metadata=metadata, response_url=shift.respond_url), label="body")
    encoded = body.encode("utf-8", errors="surrogatepass")
    surface = f"slack events [{backend(database_url)}]"
    response = await tally.send(surface, shift.post(encoded, content_type))
    assert response.status_code < 500
    await settle(shift.app)
    assert shift.failed_jobs() == []


def reply(shift: Shift, text: str) -> dict[str, Any]:
    """A thread reply Slack has not sent before (its own ts and event id)."""
    event = recorded("slack/thread_reply")
    n = next(shift.ids)
    ts = f"{1764000600 + n}.000100"
    event["event_id"] = f"Ev0FUZZ{n:06d}"
    event["event"].update(thread_ts=shift.root_ts, ts=ts, event_ts=ts, text=text)
    return event


@pytest.mark.parametrize("alphabet", [CLEAN, NASTY])
@given(data=st.data())
async def test_a_thread_reply_reaches_the_shopper_exactly_once(
    alphabet: str, shift: Shift, tally: Tally, database_url: str, data: st.DataObject
) -> None:
    # "Re: " so the reply is never empty nor a note (`;`), whatever follows.
    event = reply(shift, "Re: " + data.draw(texts(alphabet), label="text"))
    before = await shift.operator_messages()
    surface = f"slack thread reply [{backend(database_url)}]"
    for envelope in (event, event, {**event, "event_id": event["event_id"] + "b"}):
        # Slack's retry of the same event, then the same message in a second envelope.
        body = json.dumps(envelope).encode()
        response = await tally.send(surface, shift.post(body, "application/json"))
        assert response.status_code == 200
    await settle(shift.app)
    assert shift.failed_jobs() == []
    assert await shift.operator_messages() == before + 1


HEADER_TEXT = st.text(st.characters(min_codepoint=0x20, max_codepoint=0xFF), max_size=40)


# Now, so that the signature is what fails; digits int() refuses; anything.
TIMESTAMPS = st.one_of(st.builds(lambda: str(int(time.time()))),
                       st.sampled_from(["²", "1²", "³¹"]), st.integers().map(str), HEADER_TEXT)


@given(body=st.binary(max_size=300), headers=st.fixed_dictionaries({}, optional={
    "X-Slack-Request-Timestamp": TIMESTAMPS, "X-Slack-Signature": HEADER_TEXT,
    "Content-Type": HEADER_TEXT,
}))
async def test_a_forged_request_is_refused_without_a_server_error(
    body: bytes, headers: dict[str, str], slack: Shift, tally: Tally
) -> None:
    raw = {name: value.encode("latin-1") for name, value in headers.items()}  # as on the wire
    response = await tally.send("slack events, forged",
                                slack.client.post("/slack/events", content=body, headers=raw))
    assert response.status_code in (400, 401)


# --- what the fuzzer found (outside issue #10's table), pinned -------------------------

NOW = str(int(time.time()))
UNSIGNED = {
    "a body that is not UTF-8": (b'{"type": "\xff"}', NOW, signature(b'{"type": "\xff"}', NOW)),
    "a timestamp in superscript digits": (b"{}", "1\u00b2", "v0=00"),
    "a signature that is not ASCII": (b"{}", NOW, "v0=\u00e9"),
}


async def test_a_request_slack_cannot_have_signed_is_a_401(slack: Shift) -> None:
    for case, (body, stamp, signed) in UNSIGNED.items():
        answer = await slack.client.post("/slack/events", content=body, headers={
            "X-Slack-Request-Timestamp": stamp.encode("latin-1"),
            "X-Slack-Signature": signed.encode("latin-1"), "Content-Type": "application/json"})
        assert answer.status_code == 401, case


def transfer_submitted(shift: Shift, **view: Any) -> dict[str, Any]:
    submitted = recorded("slack/view_submission")
    submitted["view"]["private_metadata"] = transfer_metadata(
        shift.conversation_id, CHANNEL, shift.root_ts)
    submitted["view"].update(view)
    return submitted


def interaction(payload: dict[str, Any]) -> tuple[bytes, str]:
    return urlencode({"payload": json.dumps(payload)}).encode(), \
        "application/x-www-form-urlencoded"


FOUND_SIGNED: dict[str, tuple[Callable[[Shift], tuple[bytes, str]], int]] = {
    "a transfer dialog whose choices are not objects": (lambda shift: interaction(
        transfer_submitted(shift, state={"values": {"operator": "Eva", "pool": [1]}})), 200),
    "a transfer dialog for conversation Infinity": (lambda shift: interaction(
        transfer_submitted(shift, private_metadata='{"conversation_id": Infinity}')), 200),
    "a team that is true": (lambda shift: interaction(
        {**recorded("slack/block_actions"), "team": True}), 400),
    "response_urls that is null": (lambda shift: interaction(
        transfer_submitted(shift) | {"response_urls": None}), 400),
    "an action without action_id": (lambda shift: interaction(
        {**recorded("slack/block_actions"), "actions": [{"value": "1"}]}), 400),
    "a view without a type": (lambda shift: interaction(
        {**recorded("slack/view_submission"), "view": {"callback_id": "relevo_transfer"}}),
        400),
    "JSON nested too deep": (lambda shift: (b'{"type": ' + b"[" * 10_000 + b"]" * 10_000
                                            + b"}", "application/json"), 400),
}


async def test_a_signed_payload_the_fuzzer_found_is_answered_without_a_server_error(
    slack: Shift,
) -> None:
    for case, (build_request, status) in FOUND_SIGNED.items():
        answer = await slack.post(*build_request(slack))
        assert answer.status_code == status, case
        await settle(slack.app)
        assert slack.failed_jobs() == [], case


async def test_a_slash_command_without_a_usable_response_url_fails_no_work(
    slack: Shift
) -> None:
    for response_url in (None, "true"):
        fields = {k: v for k, v in recorded("slack/command").items() if k != "response_url"}
        if response_url is not None:
            fields["response_url"] = response_url
        answer = await slack.post(urlencode(fields).encode(),
                                  "application/x-www-form-urlencoded")
        assert answer.status_code == 200
    await settle(slack.app)
    assert slack.failed_jobs() == []


async def test_a_button_whose_channel_is_named_as_a_string_still_works(shift: Shift) -> None:
    pressed = recorded("slack/block_actions")
    pressed["channel"] = CHANNEL  # Slack names a channel by id or by object
    pressed["message"]["ts"] = shift.root_ts
    pressed["actions"][0].update(action_id="relevo_resolve", value=str(shift.conversation_id))
    answer = await shift.post(*interaction(pressed))
    await settle(shift.app)
    assert answer.status_code == 200
    assert shift.failed_jobs() == []
    async with shift.app.state.relevo.database.read() as conn:
        state = (await conn.execute(sa.select(conversations.c.state).where(
            conversations.c.id == shift.conversation_id))).scalar_one()
    assert state == "resolved"
