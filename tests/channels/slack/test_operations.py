"""Slack: the slash command, the transfer dialog, channel routes, rate limits and 429s,
linking Slack users, and when the Slack side is off. On SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import copy
import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from fastapi import FastAPI
from typer.testing import CliRunner

from relevo.app import create_app
from relevo.app.cli import app as cli
from relevo.app.settings import Settings
from relevo.bot.config import ConfigError
from relevo.bot.types import Attachment, OperatorKind
from relevo.channels.slack.blocks import (
    ACTION_CLAIM,
    ACTION_TRANSFER,
    parse_transfer,
    plain,
    shopper_line,
)
from relevo.channels.slack.config import SlackSettings
from tests.channels.slack.support import (
    CHANNEL,
    LUCIA,
    PABLO,
    TOKEN,
    build,
    post_event,
    post_form,
    press,
    settle,
    shown,
    slash,
    thread_reply,
)
from tests.channels.support import payload, rows
from tests.conftest import started
from tests.fakes.slack_api import FakeSlack
from tests.handoff.helpers import add_operator, go_online, new_shopper
from tests.settle import wait_until

REPO = Path(__file__).resolve().parents[3]


@pytest.fixture
def slack_api() -> Iterator[FakeSlack]:
    with FakeSlack.running(TOKEN) as fake:
        fake.add_user(LUCIA, "Lucía", "lucia@shop.example")
        fake.add_user(PABLO, "Pablo", "pablo@shop.example")
        yield fake


async def ask_for_a_person(app: FastAPI, client: httpx.AsyncClient) -> int:
    shopper = await new_shopper(client)
    sent = await client.post("/webchat/messages", json={"text": "I want a person"},
                             headers=shopper)
    assert sent.status_code == 202
    return int(sent.json()["conversation_id"])


async def test_the_slash_command_sets_presence_and_shows_the_queue(
    make_settings: Callable[..., Settings], slack_api: FakeSlack
) -> None:
    app = build(make_settings, slack_api)
    async with started(app) as client:
        lucia = await add_operator(app, "Lucía", OperatorKind.INTERNAL,
                                   email="lucia@shop.example")
        conversation_id = await ask_for_a_person(app, client)
        await settle(app)
        answers = []
        for text in ("queue", "on", "status", "off", "dance"):
            answers.append(await slash(client, slack_api, text))
            await settle(app)
        presence = await rows(app, f"SELECT presence FROM operators WHERE id = {lucia.id}")
    assert [a.status_code for a in answers] == [200] * 5
    replies = [r["text"] for r in slack_api.responses]
    assert all(r["response_type"] == "ephemeral" for r in slack_api.responses)
    assert replies[0].startswith(f"*1 waiting:*\n• #{conversation_id} — waiting")
    assert replies[1].startswith("*Lucía* — online")  # and the queued one was offered
    assert f"Offered to you: #{conversation_id}" in replies[1]
    assert replies[3].startswith("*Lucía* — offline")
    assert "/relevo on" in replies[4]
    assert presence[0].presence == "offline"


async def test_a_slash_command_from_a_stranger_is_explained(
    make_settings: Callable[..., Settings], slack_api: FakeSlack
) -> None:
    app = build(make_settings, slack_api)
    async with started(app) as client:
        await slash(client, slack_api, "on", user="U0NOBODY001")
        await settle(app)
    [answer] = slack_api.responses
    assert "not a relevo operator" in answer["text"]


async def test_transfer_through_the_dialog(
    make_settings: Callable[..., Settings], slack_api: FakeSlack
) -> None:
    app = build(make_settings, slack_api)
    async with started(app) as client:
        lucia = await add_operator(app, "Lucía", OperatorKind.EXPERT, email="lucia@shop.example")
        pablo = await add_operator(app, "Pablo", OperatorKind.INTERNAL, email="pablo@shop.example")
        await go_online(client, pablo)
        conversation_id = await ask_for_a_person(app, client)
        await settle(app)
        [root] = slack_api.roots()
        await press(client, ACTION_CLAIM, conversation_id, root["ts"])
        await settle(app)
        await press(client, ACTION_TRANSFER, conversation_id, root["ts"])
        await settle(app)
        [opened] = slack_api.sent("views.open")
        view = opened["view"]
        operators = next(b for b in view["blocks"] if b["block_id"] == "operator")
        assert [o["value"] for o in operators["element"]["options"]] == [str(pablo.id)]

        submission = copy.deepcopy(payload("slack/view_submission"))
        submission["view"]["private_metadata"] = view["private_metadata"]
        empty = await post_form(client, {"payload": json.dumps(submission)})
        values = submission["view"]["state"]["values"]
        values["operator"]["operator"]["selected_option"] = {"value": str(pablo.id)}
        values["note"]["note"]["value"] = "Wants a refund"
        done = await post_form(client, {"payload": json.dumps(submission)})
        await settle(app)
        state = await rows(app, f"SELECT assigned_operator_id FROM conversations "
                                f"WHERE id = {conversation_id}")
        actors = await rows(app, f"SELECT actor FROM conversation_transitions "
                                 f"WHERE conversation_id = {conversation_id} ORDER BY id")
        [root] = slack_api.roots()
    assert empty.status_code == 200
    assert empty.json() == {"response_action": "errors",
                            "errors": {"pool": "Pick an operator or a pool (one of them)."}}
    assert done.status_code == 200 and done.content == b""
    assert state[0].assigned_operator_id == pablo.id
    assert "Claimed by *Pablo · agent*" in shown(root)
    lines = [m["text"] for m in slack_api.thread(CHANNEL, root["ts"])]
    assert any("transferred by Lucía to Pablo: Wants a refund" in line for line in lines)
    assert actors[-1].actor == f"operator:{lucia.id}"  # Lucía made the transfer


async def test_root_messages_go_to_the_channel_of_their_pool(
    make_settings: Callable[..., Settings], slack_api: FakeSlack
) -> None:
    app = build(make_settings, slack_api, routes=[
        {"channel": "C0EXPERTS01", "kinds": ["expert"]},
        {"channel": "C0AGENTS001", "kinds": ["internal"], "languages": ["en"]},
    ])
    async with started(app) as client:
        await ask_for_a_person(app, client)  # "anything else": the internal agents' pool
        await settle(app)
    assert [r["channel"] for r in slack_api.roots()] == ["C0AGENTS001"]


async def test_a_429_is_retried_after_slacks_retry_after(
    make_settings: Callable[..., Settings], slack_api: FakeSlack
) -> None:
    slack_api.fail_next("chat.postMessage", 429, retry_after=30)
    app = build(make_settings, slack_api)
    async with started(app) as client:
        poster = app.state.relevo.outbox  # Slack posts are outbox rows
        now = datetime.now(UTC) + timedelta(seconds=5)  # after the posts are queued
        poster.set_clock(lambda: now)
        conversation_id = await ask_for_a_person(app, client)
        relevo = app.state.relevo
        await relevo.engine.join()
        await relevo.bus.drain()

        async def posted() -> bool:
            if slack_api.sent("chat.postMessage"):
                return True
            await poster.deliver_due()
            return False

        await wait_until(posted, "the root post to reach Slack")

        async def root_row() -> Any:
            [row] = await rows(app, "SELECT status, attempts, next_attempt_at, last_error "
                                    "FROM outbox WHERE channel = 'slack' AND kind = 'root'")
            return row

        async def recorded() -> bool:
            # the round that met the 429 may still be writing its outcome (seen on PG)
            return bool((await root_row()).attempts)

        await wait_until(recorded, "the 429 to be recorded on the outbox row")
        post = await root_row()
        assert (post.status, post.attempts) == ("pending", 1)
        assert "429" in post.last_error
        due = post.next_attempt_at
        due = due if isinstance(due, datetime) else datetime.fromisoformat(due)
        assert due.replace(tzinfo=UTC) - now == timedelta(seconds=30)
        assert slack_api.roots() == []
        later = now + timedelta(seconds=31)
        poster.set_clock(lambda: later)
        await settle(app)
    [root] = slack_api.roots()
    assert f"#{conversation_id} " in root["text"]
    assert len(slack_api.sent("chat.postMessage")) == 2


async def test_link_slack_maps_a_slack_user_whose_email_differs(
    make_settings: Callable[..., Settings], slack_api: FakeSlack, database_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    slack_api.add_user("U0MARTA0001", "Marta", "marta.personal@example.org")
    app = build(make_settings, slack_api)
    async with started(app) as client:
        marta = await add_operator(app, "Marta", OperatorKind.AMBASSADOR,
                                   email="marta@shop.example")
        conversation_id = await ask_for_a_person(app, client)
        await settle(app)
        [root] = slack_api.roots()
        await press(client, ACTION_CLAIM, conversation_id, root["ts"], user="U0MARTA0001")
        await settle(app)
        assert "not a relevo operator" in slack_api.sent("chat.postEphemeral")[0]["text"]

        monkeypatch.setenv("RELEVO_DATABASE_URL", database_url)
        def link(*args: str) -> Any:  # the CLI runs its own event loop: in a thread
            return CliRunner().invoke(cli, ["operators", "link-slack", *args])

        bad = await asyncio.to_thread(link, str(marta.id), "nope")
        result = await asyncio.to_thread(link, "marta@shop.example", "U0MARTA0001")
        pablo = await add_operator(app, "Pablo", OperatorKind.INTERNAL)
        taken = await asyncio.to_thread(link, str(pablo.id), "U0MARTA0001")
        missing = await asyncio.to_thread(link, "999", "U0PABLO0001")
        assert bad.exit_code == 2
        assert result.exit_code == 0, result.output
        assert result.output.strip() == "operator marta@shop.example linked to Slack user " \
                                        "U0MARTA0001"
        assert taken.exit_code == 1
        assert f"linked to operator {marta.id} already" in taken.output
        assert missing.exit_code == 1

        await press(client, ACTION_CLAIM, conversation_id, root["ts"], user="U0MARTA0001")
        await settle(app)  # the claim first: under load the reply could overtake it
        await post_event(client, thread_reply(root["ts"], "Hi, Marta here",
                                              user="U0MARTA0001"))
        await settle(app)
        state = await rows(app, f"SELECT assigned_operator_id FROM conversations "
                                f"WHERE id = {conversation_id}")
    assert state[0].assigned_operator_id == marta.id
    assert len(slack_api.sent("chat.postEphemeral")) == 1


async def test_slack_is_off_without_its_secrets(
    make_settings: Callable[..., Settings]
) -> None:
    app = create_app(make_settings(slack={"bot_token": TOKEN}))
    async with started(app) as client:
        response = await client.post("/slack/events", json=payload("slack/url_verification"))
    assert response.status_code == 404
    assert app.state.relevo.slack is None


def test_slack_needs_a_channel_when_it_is_on(make_settings: Callable[..., Settings]) -> None:
    with pytest.raises(ConfigError, match=r"^slack\.channel: .*Slack is on"):
        make_settings(slack={"bot_token": TOKEN, "signing_secret": "s"})
    routed = make_settings(slack={"bot_token": TOKEN, "signing_secret": "s",
                                  "routes": [{"channel": "C0EXPERTS01"}]})
    assert routed.slack.channel is None


# --- pure parts ---------------------------------------------------------------------------


@pytest.mark.parametrize("typed, relayed", [
    ("Fish &amp; chips &lt;3", "Fish & chips <3"),
    ("See <https://shop.example/returns|our returns page>", "See our returns page "
                                                             "(https://shop.example/returns)"),
    ("Mail <mailto:help@shop.example|help@shop.example>", "Mail help@shop.example"),
    ("Ask <@U0PABLO0001>", "Ask @U0PABLO0001"),
    ("  spaced  ", "spaced"),
])
def test_what_an_operator_types_is_relayed_as_plain_text(typed: str, relayed: str) -> None:
    assert plain(typed) == relayed


def test_a_view_relevo_did_not_open_is_refused() -> None:
    view: dict[str, Any] = {"private_metadata": "", "state": {"values": {}}}
    with pytest.raises(ValueError):
        parse_transfer(view)


def test_the_manifest_declares_what_relevo_uses() -> None:
    manifest = yaml.safe_load((REPO / "slack" / "manifest.yml").read_text(encoding="utf-8"))
    settings = manifest["settings"]
    [command] = manifest["features"]["slash_commands"]
    urls = {command["url"], settings["event_subscriptions"]["request_url"],
            settings["interactivity"]["request_url"]}
    assert command["command"] == SlackSettings().command
    assert {url.rsplit("/", 2)[-2:] == ["slack", "events"] for url in urls} == {True}
    assert set(settings["event_subscriptions"]["bot_events"]) == {"message.channels",
                                                                  "message.groups"}
    assert {"chat:write", "commands", "users:read", "users:read.email", "channels:history",
            "groups:history"} <= set(manifest["oauth_config"]["scopes"]["bot"])
    assert settings["interactivity"]["is_enabled"] is True


def test_a_shoppers_attachments_show_in_the_thread_as_links() -> None:
    line = shopper_line("Marta <3", "Is this the one?", [
        Attachment("https://shop.example/media/a1.jpg", "image/jpeg", "photo.jpg"),
        Attachment("https://shop.example/media/a2.pdf", "application/pdf"),
    ])
    assert line == ("*Marta &lt;3:* Is this the one?\n:paperclip: "
                    "<https://shop.example/media/a1.jpg|photo.jpg> · "
                    "<https://shop.example/media/a2.pdf|application/pdf>")
