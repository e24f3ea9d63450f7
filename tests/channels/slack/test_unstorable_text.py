"""Correctly signed Slack events carrying a NUL or a lone surrogate (an operator's
thread reply and note, the event id) are handled with the text sanitised: answered
200, never refused (Slack retries) and never a 500 or a lost reply."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from relevo.app.settings import Settings
from relevo.bot.types import OperatorKind
from relevo.channels.slack.blocks import ACTION_CLAIM
from tests.channels.slack.support import (
    LUCIA,
    TOKEN,
    build,
    post_event,
    press,
    settle,
    signed,
    thread_reply,
)
from tests.channels.support import rows
from tests.conftest import started
from tests.fakes.slack_api import FakeSlack
from tests.handoff.helpers import add_operator, go_online, new_shopper, transcript


@pytest.fixture
def slack_api() -> Iterator[FakeSlack]:
    with FakeSlack.running(TOKEN) as fake:
        fake.add_user(LUCIA, "Lucía", "lucia@shop.example")
        yield fake


async def test_a_thread_reply_and_a_note_with_nul_and_surrogates_are_stored_sanitised(
    make_settings: Callable[..., Settings], slack_api: FakeSlack
) -> None:
    app = build(make_settings, slack_api)
    async with started(app) as client:
        lucia = await add_operator(app, "Lucía", OperatorKind.EXPERT,
                                   email="lucia@shop.example")
        await go_online(client, lucia)
        shopper = await new_shopper(client)
        sent = await client.post("/webchat/messages", json={"text": "I want a person"},
                                 headers=shopper)
        await settle(app)
        [root] = slack_api.roots()
        await press(client, ACTION_CLAIM, sent.json()["conversation_id"], root["ts"])
        await settle(app)
        reply = await post_event(client, thread_reply(
            root["ts"], "Hola\x00 Marta\ud800", event_id="Ev0NUL\x000001"))
        note = await post_event(client, thread_reply(
            root["ts"], "; VIP\x00, be nice\udc00", ts="1764000510.000300",
            event_id="Ev0NOTE\ud8000001"))
        await settle(app)
        seen = await transcript(client, shopper)
        notes = await rows(app, "SELECT text FROM operator_notes")
    assert (reply.status_code, note.status_code) == (200, 200)
    assert seen[-1]["author"]["kind"] == "operator"
    assert seen[-1]["text"] == "Hola Marta\ufffd"
    assert [n.text for n in notes] == ["VIP, be nice\ufffd"]


async def test_a_signed_body_too_deep_to_decode_is_a_400(
    make_settings: Callable[..., Settings], slack_api: FakeSlack
) -> None:
    body = '{"type": "event_callback", "x": ' + "[" * 100_000 + "]" * 100_000 + "}"
    async with started(build(make_settings, slack_api)) as client:
        response = await client.post("/slack/events", content=body, headers=signed(body))
    assert response.status_code == 400
