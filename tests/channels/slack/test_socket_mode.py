"""Slack over Socket Mode (`slack.mode: socket`, an `xapp-` app token): relevo asks
`apps.connections.open` for the WebSocket URL, connects, and the buttons and thread
replies Slack sends as envelopes take effect and are acknowledged."""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest

from relevo.app.settings import Settings
from relevo.bot.types import OperatorKind
from relevo.channels.slack.blocks import ACTION_CLAIM
from tests.channels.slack.support import CHANNEL, LUCIA, TOKEN, build, thread_reply
from tests.channels.support import payload, rows
from tests.conftest import started
from tests.fakes.slack_api import FakeSlack
from tests.fakes.slack_socket import FakeSocketMode
from tests.handoff.helpers import add_operator, go_online, new_shopper, transcript
from tests.settle import settle, wait_until

APP_TOKEN = "xapp-1-A0RELEVO001-7000000000003-FakeAppLevelTokenForRelevoTests"


@pytest.fixture
async def slack() -> AsyncIterator[tuple[FakeSlack, FakeSocketMode]]:
    async with FakeSocketMode.running() as socket_mode:
        with FakeSlack.running(TOKEN) as fake:
            fake.app_token, fake.socket_url = APP_TOKEN, socket_mode.url
            fake.add_user(LUCIA, "Lucía", "lucia@shop.example")
            yield fake, socket_mode


def claim_button(conversation_id: int, thread_ts: str) -> dict[str, Any]:
    data = copy.deepcopy(payload("slack/block_actions"))
    data["container"]["message_ts"] = thread_ts
    data["message"]["ts"] = thread_ts
    data["actions"][0].update(action_id=ACTION_CLAIM, value=str(conversation_id),
                              block_id=f"relevo_{conversation_id}")
    return data


async def test_buttons_and_thread_replies_arrive_over_socket_mode(
    make_settings: Callable[..., Settings], slack: tuple[FakeSlack, FakeSocketMode]
) -> None:
    slack_api, socket_mode = slack
    app = build(make_settings, slack_api, mode="socket", app_token=APP_TOKEN)
    async with started(app) as client:
        connected = await wait_until(lambda: socket_mode.connections, "relevo to connect")
        lucia = await add_operator(app, "Lucía", OperatorKind.EXPERT, email="lucia@shop.example")
        await go_online(client, lucia)
        shopper = await new_shopper(client)
        sent = await client.post("/webchat/messages", json={"text": "I want a person"},
                                 headers=shopper)
        conversation_id = int(sent.json()["conversation_id"])
        await settle(app)
        [root] = slack_api.roots()

        claim = await socket_mode.deliver("interactive", claim_button(conversation_id, root["ts"]))
        await wait_until(lambda: socket_mode.acknowledged(claim), "the claim's acknowledgement")
        await wait_until(lambda: assigned_to(app, conversation_id), "the claim to take effect")
        reply = await socket_mode.deliver(
            "events_api", thread_reply(root["ts"], "Hola, soy Lucía. ¿En qué te ayudo?"))
        await wait_until(lambda: socket_mode.acknowledged(reply), "the reply's acknowledgement")
        heard = await wait_until(lambda: operator_said(app, client, shopper),
                                 "the thread reply to reach the shopper")
        holder = await assigned_to(app, conversation_id)
    opened = slack_api.sent("apps.connections.open")
    assert connected and len(opened) == 1
    assert holder == lucia.id
    assert heard == [("Lucía · expert", "Hola, soy Lucía. ¿En qué te ayudo?")]
    assert "Claimed by *Lucía · expert*" in str(slack_api.roots()[0]["blocks"])
    assert all(root["channel"] == CHANNEL for root in slack_api.roots())


async def assigned_to(app: Any, conversation_id: int) -> int | None:
    [row] = await rows(app, f"SELECT assigned_operator_id FROM conversations "
                            f"WHERE id = {conversation_id}")
    return int(row.assigned_operator_id) if row.assigned_operator_id else None


async def operator_said(app: Any, client: httpx.AsyncClient,
                        shopper: dict[str, str]) -> list[tuple[str, str]]:
    await settle(app)
    return [(m["author"]["name"], m["text"]) for m in await transcript(client, shopper)
            if m["author"]["kind"] == "operator"]
