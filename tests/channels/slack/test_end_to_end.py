"""Slack end to end: a shopper in the web widget → handoff → a root message with buttons
in the fake Slack (real `slack_sdk` client over HTTP) → Claim → thread reply → the
shopper reads the signed reply → Resolve → CSAT asked. Requests are signed for real.
On SQLite and PostgreSQL."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from fastapi import FastAPI

from relevo.app.settings import Settings
from relevo.bot import replies
from relevo.bot.types import OperatorKind
from relevo.channels.slack.blocks import ACTION_CLAIM, ACTION_RESOLVE, ACTION_TRANSFER
from tests.channels.slack.support import (
    CHANNEL,
    LUCIA,
    PABLO,
    STRANGER,
    TOKEN,
    build,
    buttons,
    post_event,
    press,
    settle,
    shown,
    signed,
    thread_reply,
)
from tests.channels.support import payload, rows
from tests.conftest import started
from tests.fakes.slack_api import FakeSlack
from tests.handoff.helpers import add_operator, go_online, new_shopper, transcript


@pytest.fixture
def slack_api() -> Iterator[FakeSlack]:
    with FakeSlack.running(TOKEN) as fake:
        fake.add_user(LUCIA, "Lucía", "lucia@shop.example")
        fake.add_user(STRANGER, "Sam", "sam@elsewhere.example")
        yield fake


async def test_url_verification_answers_the_challenge(
    make_settings: Callable[..., Settings], slack_api: FakeSlack
) -> None:
    app = build(make_settings, slack_api)
    async with started(app) as client:
        response = await post_event(client, payload("slack/url_verification"))
    assert response.status_code == 200
    assert response.json() == {"challenge": payload("slack/url_verification")["challenge"]}


async def test_the_whole_shift_from_slack(
    make_settings: Callable[..., Settings], slack_api: FakeSlack
) -> None:
    app = build(make_settings, slack_api)
    async with started(app) as client:
        lucia = await add_operator(app, "Lucía", OperatorKind.EXPERT,
                                   email="lucia@shop.example")
        await go_online(client, lucia)
        shopper = await new_shopper(client, "es")
        sent = await client.post("/webchat/messages", json={"text": "I want a person <now>"},
                                 headers=shopper)
        conversation_id = sent.json()["conversation_id"]
        await settle(app)

        # 1. The root message, with the contact, channel, reason, transcript and buttons.
        [root] = slack_api.roots()
        assert root["channel"] == CHANNEL
        assert buttons(root) == ["relevo_claim", "relevo_return_to_bot", "relevo_resolve"]
        assert "I want a person &lt;now&gt;" in shown(root)
        assert "web · en" in shown(root)
        [thread] = await rows(app, "SELECT conversation_id, channel, ts FROM slack_threads")
        assert (thread.conversation_id, thread.channel, thread.ts) == (
            conversation_id, CHANNEL, root["ts"])

        # 2. Claim: the root shows who has it, for everyone.
        response = await press(client, ACTION_CLAIM, conversation_id, root["ts"])
        assert response.status_code == 200
        await settle(app)
        [root] = slack_api.roots()
        assert "Claimed by *Lucía · expert*" in shown(root)
        assert buttons(root) == ["relevo_transfer", "relevo_return_to_bot", "relevo_resolve"]
        state = await rows(app, f"SELECT state, assigned_operator_id FROM conversations "
                                f"WHERE id = {conversation_id}")
        assert (state[0].state, state[0].assigned_operator_id) == ("assigned", lucia.id)

        # 3. A thread reply reaches the shopper, signed; it is not echoed into the thread.
        response = await post_event(client, thread_reply(
            root["ts"], "Hola Marta, I'm checking your order &amp; box."))
        assert response.status_code == 200
        await settle(app)
        seen = await transcript(client, shopper)
        assert seen[-1]["author"] == {"kind": "operator", "name": "Lucía · expert"}
        assert seen[-1]["text"] == "Hola Marta, I'm checking your order & box."
        assert not any("checking your order" in m["text"]
                       for m in slack_api.thread(CHANNEL, root["ts"]))

        # 4. The shopper's next message appears in the thread.
        await client.post("/webchat/messages", json={"text": "Gracias, espero"},
                          headers=shopper)
        await settle(app)
        lines = [m["text"] for m in slack_api.thread(CHANNEL, root["ts"])]
        assert any("Gracias, espero" in line for line in lines)

        # 5. A note (`;`) stays between operators.
        await post_event(client, thread_reply(root["ts"], "; VIP, be nice",
                                              ts="1764000510.000300", event_id="Ev0NOTE00001"))
        await settle(app)
        notes = await rows(app, "SELECT text, kind FROM operator_notes")
        assert [(n.text, n.kind) for n in notes] == [("VIP, be nice", "note")]
        assert all("VIP" not in m["text"] for m in await transcript(client, shopper))

        # 6. Resolve: the shopper is asked for a rating; the root says it is closed.
        response = await press(client, ACTION_RESOLVE, conversation_id, root["ts"])
        assert response.status_code == 200
        await settle(app)
        seen = await transcript(client, shopper)
        assert seen[-1]["text"] == replies.text("csat_question", "en").format(
            name="Lucía · expert")
        [root] = slack_api.roots()
        assert "Resolved by *Lucía · expert*" in shown(root)
        assert buttons(root) == []
    assert slack_api.sent("chat.postEphemeral") == []


async def test_transfer_button_opens_the_dialog(
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
        conversation_id = sent.json()["conversation_id"]
        await settle(app)
        [root] = slack_api.roots()
        await press(client, ACTION_CLAIM, conversation_id, root["ts"])
        await settle(app)
        await press(client, ACTION_TRANSFER, conversation_id, root["ts"])
        await settle(app)
    [opened] = slack_api.sent("views.open")
    assert opened["view"]["callback_id"] == "relevo_transfer"


async def handed_off(app: FastAPI, client: httpx.AsyncClient, fake: FakeSlack,
                     text: str = "I want a person") -> tuple[int, dict[str, str], dict[str, Any]]:
    shopper = await new_shopper(client)
    sent = await client.post("/webchat/messages", json={"text": text}, headers=shopper)
    assert sent.status_code == 202
    await settle(app)
    [root] = [r for r in fake.roots() if f"#{sent.json()['conversation_id']} " in r["text"]]
    return int(sent.json()["conversation_id"]), shopper, root


# --- bad input ------------------------------------------------------------------------


@pytest.mark.parametrize("forgery", ["wrong secret", "stale", "no headers", "body changed"])
async def test_a_forged_or_stale_request_is_refused_and_changes_nothing(
    make_settings: Callable[..., Settings], slack_api: FakeSlack, forgery: str
) -> None:
    app = build(make_settings, slack_api)
    async with started(app) as client:
        lucia = await add_operator(app, "Lucía", OperatorKind.EXPERT, email="lucia@shop.example")
        conversation_id, _, _ = await handed_off(app, client, slack_api)
        data = payload("slack/block_actions")
        data["actions"][0]["value"] = str(conversation_id)
        body = urlencode({"payload": json.dumps(data)})
        form = "application/x-www-form-urlencoded"
        headers = {
            "wrong secret": signed(body, secret="not-the-secret", content_type=form),
            "stale": signed(body, timestamp=int(time.time()) - 301, content_type=form),
            "no headers": {"Content-Type": form},
            "body changed": signed(body.replace("relevo_claim", "relevo_x"), content_type=form),
        }[forgery]
        response = await client.post("/slack/events", content=body, headers=headers)
        await settle(app)
        state = await rows(app, f"SELECT state FROM conversations WHERE id = {conversation_id}")
        by_lucia = await rows(app, f"SELECT id FROM conversation_transitions "
                                   f"WHERE actor = 'operator:{lucia.id}'")
    assert response.status_code == 401
    assert state[0].state == "queued"
    assert by_lucia == [] and slack_api.sent("chat.postEphemeral") == []


@pytest.mark.parametrize("body, content_type", [
    ("{not json", "application/json"),
    ('{"type": "event_callback", "event": {"type": "message"}}', "application/json"),
    ('{"type": "event_callback", "event_id": "Ev1", "event": "x"}', "application/json"),
    ('{"type": "mystery"}', "application/json"),
    ("[1, 2]", "application/json"),
    ("payload=%7Bbroken", "application/x-www-form-urlencoded"),
    ('payload={"type": "block_actions", "actions": []}', "application/x-www-form-urlencoded"),
])
async def test_a_malformed_payload_is_a_400(
    make_settings: Callable[..., Settings], slack_api: FakeSlack, body: str, content_type: str
) -> None:
    app = build(make_settings, slack_api)
    async with started(app) as client:
        response = await client.post("/slack/events", content=body,
                                     headers=signed(body, content_type=content_type))
    assert response.status_code == 400
    assert response.json()["detail"].startswith("not a Slack payload")


async def test_an_unknown_slack_user_gets_an_explanation_and_nothing_is_sent(
    make_settings: Callable[..., Settings], slack_api: FakeSlack
) -> None:
    app = build(make_settings, slack_api)
    async with started(app) as client:
        await add_operator(app, "Lucía", OperatorKind.EXPERT, email="lucia@shop.example")
        conversation_id, shopper, root = await handed_off(app, client, slack_api)
        await post_event(client, thread_reply(root["ts"], "I can help!", user=STRANGER))
        await press(client, ACTION_CLAIM, conversation_id, root["ts"], user=STRANGER)
        await settle(app)
        seen = await transcript(client, shopper)
        state = await rows(app, f"SELECT state FROM conversations WHERE id = {conversation_id}")
    assert all(m["text"] != "I can help!" for m in seen)
    assert state[0].state == "queued"
    ephemerals = slack_api.sent("chat.postEphemeral")
    assert len(ephemerals) == 2
    assert {e["user"] for e in ephemerals} == {STRANGER}
    assert all("not a relevo operator" in e["text"] for e in ephemerals)
    assert ephemerals[0]["thread_ts"] == root["ts"]


async def test_buttons_on_a_resolved_or_someone_elses_conversation_say_why(
    make_settings: Callable[..., Settings], slack_api: FakeSlack
) -> None:
    slack_api.add_user(PABLO, "Pablo", "pablo@shop.example")
    app = build(make_settings, slack_api)
    async with started(app) as client:
        lucia = await add_operator(app, "Lucía", OperatorKind.EXPERT, email="lucia@shop.example")
        await add_operator(app, "Pablo", OperatorKind.INTERNAL, email="pablo@shop.example")
        first, _, root = await handed_off(app, client, slack_api)
        await press(client, ACTION_CLAIM, first, root["ts"])
        await settle(app)
        await press(client, ACTION_CLAIM, first, root["ts"], user=PABLO)
        await settle(app)
        await press(client, ACTION_RESOLVE, first, root["ts"], user=PABLO)
        await settle(app)
        await press(client, ACTION_RESOLVE, first, root["ts"])
        await settle(app)
        await press(client, ACTION_CLAIM, first, root["ts"], user=PABLO)
        await settle(app)
        state = await rows(app, f"SELECT state, assigned_operator_id FROM conversations "
                                f"WHERE id = {first}")
    texts = [(e["user"], e["text"]) for e in slack_api.sent("chat.postEphemeral")]
    assert texts == [
        (PABLO, f"Claim refused: conversation {first} was already claimed by Lucía."),
        (PABLO, f"Resolve refused: conversation {first} is not assigned to you: "
                "claim it before you resolve it."),
        (PABLO, f"Claim refused: conversation {first} is resolved."),
    ]
    assert state[0].state == "resolved" and state[0].assigned_operator_id == lucia.id


# --- replays, loops ------------------------------------------------------------------------


async def test_slack_retries_and_second_envelopes_relay_one_message(
    make_settings: Callable[..., Settings], slack_api: FakeSlack
) -> None:
    app = build(make_settings, slack_api)
    async with started(app) as client:
        await add_operator(app, "Lucía", OperatorKind.EXPERT, email="lucia@shop.example")
        conversation_id, shopper, root = await handed_off(app, client, slack_api)
        await press(client, ACTION_CLAIM, conversation_id, root["ts"])
        await settle(app)
        reply = thread_reply(root["ts"], "On it")
        answers = [await post_event(client, reply)]
        for attempt in (1, 2):
            answers.append(await post_event(client, reply, **{
                "X-Slack-Retry-Num": str(attempt), "X-Slack-Retry-Reason": "http_timeout"}))
        # The same message again under another event id (e.g. a second subscription).
        answers.append(await post_event(client, {**reply, "event_id": "Ev0OTHER0001"}))
        broadcast = payload("slack/thread_broadcast")
        broadcast["event"]["thread_ts"] = broadcast["event"]["root"]["ts"] = root["ts"]
        answers.append(await post_event(client, broadcast))
        answers.append(await post_event(client, {**broadcast, "event_id": "Ev0BROADCAST2"}))
        own = payload("slack/bot_message")
        own["event"]["thread_ts"] = root["ts"]
        answers.append(await post_event(client, own))
        await settle(app)
        seen = [m["text"] for m in await transcript(client, shopper)
                if m["author"]["kind"] == "operator"]
        dedupe = await rows(app, "SELECT key FROM slack_events WHERE key LIKE 'event:%'")
    assert [a.status_code for a in answers] == [200] * 7
    assert seen == ["On it", "Your refund is on its way."]
    assert len(dedupe) == 5


# --- the console and Slack in step -------------------------------------------------------


async def test_the_console_and_slack_stay_in_sync_both_ways(
    make_settings: Callable[..., Settings], slack_api: FakeSlack
) -> None:
    app = build(make_settings, slack_api)
    async with started(app) as client:
        lucia = await add_operator(app, "Lucía", OperatorKind.EXPERT, email="lucia@shop.example")
        pablo = await add_operator(app, "Pablo", OperatorKind.INTERNAL)
        first, _, root1 = await handed_off(app, client, slack_api)
        second, _, root2 = await handed_off(app, client, slack_api, "I want a person!")

        # Console claims, Slack shows it; a Slack claim of the same one is refused.
        claimed = await client.post(f"/api/conversations/{first}/claim", headers=pablo.headers)
        assert claimed.status_code == 200
        await settle(app)
        await press(client, ACTION_CLAIM, first, root1["ts"])
        await settle(app)
        root1 = next(r for r in slack_api.roots() if r["ts"] == root1["ts"])
        assert "Claimed by *Pablo · agent*" in shown(root1)
        [refused] = slack_api.sent("chat.postEphemeral")
        assert refused["text"] == f"Claim refused: conversation {first} was already claimed " \
                                  "by Pablo."

        # A console reply appears in the thread; the console sees the Slack claim.
        await client.post(f"/api/conversations/{first}/messages", json={"text": "Hi from web"},
                          headers=pablo.headers)
        await press(client, ACTION_CLAIM, second, root2["ts"])
        await settle(app)
        lines = [m["text"] for m in slack_api.thread(CHANNEL, root1["ts"])]
        assert "*Pablo · agent* (console) → shopper: Hi from web" in lines
        seen = await client.get(f"/api/conversations/{second}", headers=lucia.headers)
        assert seen.json()["conversation"]["assigned_operator"]["id"] == lucia.id
        assert seen.json()["conversation"]["mine"] is True

        # A Slack reply shows in the console; a console note shows in the thread.
        await post_event(client, thread_reply(root2["ts"], "Hi from Slack"))
        await client.post(f"/api/conversations/{second}/notes", json={"text": "call back"},
                          headers=lucia.headers)
        await settle(app)
        history = (await client.get(f"/api/conversations/{second}",
                                    headers=lucia.headers)).json()["messages"]
        assert history[-1]["text"] == "Hi from Slack"
        lines = [m["text"] for m in slack_api.thread(CHANNEL, root2["ts"])]
        assert any("(private note): call back" in line for line in lines)
        assert not any("Hi from Slack" in line for line in lines)

        # Resolved in the console: the Slack root says so and has no buttons left.
        await client.post(f"/api/conversations/{second}/resolve", headers=lucia.headers)
        await settle(app)
        root2 = next(r for r in slack_api.roots() if r["ts"] == root2["ts"])
        linked = await rows(app, f"SELECT slack_user_id FROM operators WHERE id = {lucia.id}")
    assert "Resolved by *Lucía · expert*" in shown(root2)
    assert buttons(root2) == []
    assert linked[0].slack_user_id == LUCIA  # found by e-mail through users.info
