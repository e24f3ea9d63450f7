"""Helpers of the Slack tests: an app wired to the fake Slack, requests signed the way
Slack signs them (slack_sdk's `SignatureVerifier`), and waiting for the work to end."""

from __future__ import annotations

import copy
import json
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

import httpx
from fastapi import FastAPI
from slack_sdk.signature import SignatureVerifier

from relevo.app import create_app
from relevo.app.settings import Settings
from tests.channels.support import payload
from tests.fakes.nlu import shop_kb, shop_nlu
from tests.fakes.slack_api import FakeSlack
from tests.handoff.helpers import ManualClock, service
from tests.settle import settle as settle

TOKEN = "xoxb-7000000000001-7000000000002-FakeTokenForRelevoTests"
SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
CHANNEL = "C0SUPPORT01"
LUCIA = "U0LUCIA0001"
PABLO = "U0PABLO0001"
STRANGER = "U0STRANGER1"


def build(make_settings: Callable[..., Settings], fake: FakeSlack, **slack: Any) -> FastAPI:
    options = {"api_base_url": fake.api_url, "bot_token": TOKEN, "signing_secret": SECRET,
               "channel": CHANNEL, "messages_per_second": 1000.0, **slack}
    settings = make_settings(slack=options, handoff={"sla": {"tick_seconds": 60}})
    app = create_app(settings, nlu=shop_nlu(), knowledge_base=shop_kb())
    service(app).set_clock(ManualClock())
    return app


def signed(body: str, *, secret: str = SECRET, timestamp: int | None = None,
           content_type: str = "application/json") -> dict[str, str]:
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    signature = str(SignatureVerifier(secret).generate_signature(timestamp=stamp, body=body))
    return {"X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": signature,
            "Content-Type": content_type}


async def post_event(client: httpx.AsyncClient, data: dict[str, Any],
                     **headers: str) -> httpx.Response:
    body = json.dumps(data)
    return await client.post("/slack/events", content=body, headers={**signed(body), **headers})


async def post_form(client: httpx.AsyncClient, fields: dict[str, str]) -> httpx.Response:
    body = urlencode(fields)
    return await client.post("/slack/events", content=body,
                             headers=signed(body,
                                            content_type="application/x-www-form-urlencoded"))


def thread_reply(thread_ts: str, text: str, *, user: str = LUCIA, ts: str = "1764000500.000200",
                 event_id: str = "Ev0REPLY00001", channel: str = CHANNEL) -> dict[str, Any]:
    data = copy.deepcopy(payload("slack/thread_reply"))
    data["event_id"] = event_id
    data["event"].update(thread_ts=thread_ts, text=text, user=user, ts=ts, event_ts=ts,
                         channel=channel)
    return data


async def press(client: httpx.AsyncClient, action_id: str, conversation_id: int,
                thread_ts: str, *, user: str = LUCIA, channel: str = CHANNEL) -> httpx.Response:
    data = copy.deepcopy(payload("slack/block_actions"))
    data["user"]["id"] = user
    data["channel"]["id"] = channel
    data["container"].update(message_ts=thread_ts, channel_id=channel)
    data["message"]["ts"] = thread_ts
    data["actions"][0].update(action_id=action_id, value=str(conversation_id),
                              block_id=f"relevo_{conversation_id}")
    return await post_form(client, {"payload": json.dumps(data)})


async def slash(client: httpx.AsyncClient, fake: FakeSlack, text: str, *,
                user: str = LUCIA) -> httpx.Response:
    fields = dict(payload("slack/command"))
    fields.update(text=text, user_id=user, response_url=fake.respond_url())
    return await post_form(client, fields)


def buttons(message: dict[str, Any]) -> list[str]:
    return [e["action_id"] for b in message["blocks"] if b["type"] == "actions"
            for e in b["elements"]]


def shown(message: dict[str, Any]) -> str:
    """All the text of a message's blocks."""
    return json.dumps(message["blocks"], ensure_ascii=False)
