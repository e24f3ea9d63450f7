"""What operators do in Slack reaches the desk, and only the desk: thread replies and
notes (with their Slack origin), buttons, the slash command; a refusal is told to the
one operator who asked. Against a fake desk and the fake Slack API, on both databases."""

from __future__ import annotations

import copy
from collections.abc import Iterator

import pytest

from relevo.bot.types import OperatorKind, Origin, Presence, QueueLine, RefusalKind, Refused
from relevo.channels.slack.blocks import ACTION_CLAIM, ACTION_RESOLVE
from tests.channels.slack.rig import slack_rig
from tests.channels.slack.support import (
    CHANNEL,
    LUCIA,
    STRANGER,
    TOKEN,
    post_event,
    press,
    slash,
    thread_reply,
)
from tests.channels.support import payload
from tests.fakes.desk import operator
from tests.fakes.slack_api import FakeSlack

ROOT_TS = "1764000000.000100"


@pytest.fixture
def slack_api() -> Iterator[FakeSlack]:
    with FakeSlack.running(TOKEN) as fake:
        fake.add_user(LUCIA, "Lucía", "lucia@shop.example")
        fake.add_user(STRANGER, "Sam", "sam@elsewhere.example")
        yield fake


async def test_a_thread_reply_goes_to_the_desk_with_its_slack_origin(
    database_url: str, slack_api: FakeSlack
) -> None:
    async with slack_rig(database_url, slack_api) as rig:
        lucia = rig.desk.add(operator(7, "Lucía", OperatorKind.EXPERT), slack_user=LUCIA)
        conversation_id = await rig.conversation()
        await rig.thread(conversation_id, ROOT_TS)
        reply = thread_reply(ROOT_TS, "Fish &amp; chips", ts="1764000500.000200")
        first = await post_event(rig.client, reply)
        # The same message under another event id (a second subscription, a broadcast).
        second = await post_event(rig.client, {**reply, "event_id": "Ev0OTHER0001"})
        await rig.settle()
    assert (first.status_code, second.status_code) == (200, 200)
    origin = Origin("slack", f"{CHANNEL}:1764000500.000200")
    assert rig.desk.called("reply") == [(lucia.id, conversation_id, "Fish & chips", origin)] * 2
    assert rig.desk.called("seen") == [(lucia.id,)] * 2
    assert slack_api.sent("chat.postEphemeral") == []


async def test_a_note_goes_to_the_desk_as_a_note(database_url: str, slack_api: FakeSlack) -> None:
    async with slack_rig(database_url, slack_api) as rig:
        lucia = rig.desk.add(operator(7, "Lucía"), slack_user=LUCIA)
        conversation_id = await rig.conversation()
        await rig.thread(conversation_id, ROOT_TS)
        await post_event(rig.client, thread_reply(ROOT_TS, ";  VIP, be nice", ts="17.5"))
        await rig.settle()
    assert rig.desk.called("note") == [
        (lucia.id, conversation_id, "VIP, be nice", Origin("slack", f"{CHANNEL}:17.5"))]
    assert rig.desk.called("reply") == []


async def test_a_refused_reply_is_explained_to_that_operator_only(
    database_url: str, slack_api: FakeSlack
) -> None:
    async with slack_rig(database_url, slack_api) as rig:
        rig.desk.add(operator(7, "Lucía"), slack_user=LUCIA)
        conversation_id = await rig.conversation()
        await rig.thread(conversation_id, ROOT_TS)
        rig.desk.refuse("reply", Refused(RefusalKind.FORBIDDEN, "claim it first"))
        await post_event(rig.client, thread_reply(ROOT_TS, "Hello"))
        await rig.settle()
    [told] = slack_api.sent("chat.postEphemeral")
    assert (told["user"], told["thread_ts"]) == (LUCIA, ROOT_TS)
    assert told["text"] == "Not sent to the shopper: claim it first."


async def test_a_reply_in_a_thread_relevo_did_not_start_is_ignored(
    database_url: str, slack_api: FakeSlack
) -> None:
    async with slack_rig(database_url, slack_api) as rig:
        rig.desk.add(operator(7, "Lucía"), slack_user=LUCIA)
        await post_event(rig.client, thread_reply("1700000000.000001", "Hello"))
        own = payload("slack/bot_message")
        own["event"]["thread_ts"] = ROOT_TS
        await post_event(rig.client, own)
        await rig.settle()
    assert rig.desk.calls == []


async def test_a_stranger_is_told_and_the_desk_does_nothing(
    database_url: str, slack_api: FakeSlack
) -> None:
    async with slack_rig(database_url, slack_api) as rig:
        conversation_id = await rig.conversation()
        await rig.thread(conversation_id, ROOT_TS)
        await post_event(rig.client, thread_reply(ROOT_TS, "I can help", user=STRANGER))
        await press(rig.client, ACTION_CLAIM, conversation_id, ROOT_TS, user=STRANGER)
        await rig.settle()
    assert [name for name, _ in rig.desk.calls] == []
    told = slack_api.sent("chat.postEphemeral")
    assert [t["user"] for t in told] == [STRANGER, STRANGER]
    assert all("not a relevo operator" in t["text"] for t in told)


async def test_buttons_call_the_desk_and_a_refusal_names_the_action(
    database_url: str, slack_api: FakeSlack
) -> None:
    async with slack_rig(database_url, slack_api) as rig:
        lucia = rig.desk.add(operator(7, "Lucía"), slack_user=LUCIA)
        rig.desk.refuse("claim", Refused(RefusalKind.CONFLICT,
                                         "conversation 5 was already claimed by Pablo"))
        await press(rig.client, ACTION_CLAIM, 5, ROOT_TS)
        await press(rig.client, ACTION_RESOLVE, 5, ROOT_TS)
        await rig.settle()
    assert rig.desk.called("claim") == [(lucia.id, 5)]
    assert rig.desk.called("resolve") == [(lucia.id, 5)]
    [told] = slack_api.sent("chat.postEphemeral")
    assert told["text"] == "Claim refused: conversation 5 was already claimed by Pablo."


async def test_the_slash_command_shows_the_desks_queue_and_sets_presence(
    database_url: str, slack_api: FakeSlack
) -> None:
    async with slack_rig(database_url, slack_api) as rig:
        lucia = rig.desk.add(operator(7, "Lucía", presence=Presence.OFFLINE), slack_user=LUCIA)
        rig.desk.add(operator(8, "Pablo"))
        rig.desk.waiting = [QueueLine(12, 2, 125, offered_to=8), QueueLine(13, 0, 9)]
        await slash(rig.client, slack_api, "queue")
        await slash(rig.client, slack_api, "on")
        await rig.settle()
    assert [r["text"] for r in slack_api.responses] == [
        "*2 waiting:*\n• #12 — waiting 2 min, priority 2, offered to Pablo\n"
        "• #13 — waiting 9 s",
        "*Lucía* — online, 0/3 conversations\nYours: none",
    ]
    assert rig.desk.called("set_presence") == [(lucia.id, Presence.ONLINE)]


async def test_an_event_id_is_handled_once(database_url: str, slack_api: FakeSlack) -> None:
    async with slack_rig(database_url, slack_api) as rig:
        rig.desk.add(operator(7, "Lucía"), slack_user=LUCIA)
        conversation_id = await rig.conversation()
        await rig.thread(conversation_id, ROOT_TS)
        reply = thread_reply(ROOT_TS, "On it")
        answers = [await post_event(rig.client, copy.deepcopy(reply)),
                   await post_event(rig.client, reply, **{"X-Slack-Retry-Num": "1"})]
        await rig.settle()
    assert [a.status_code for a in answers] == [200, 200]
    assert len(rig.desk.called("reply")) == 1


async def test_a_spanish_team_reads_slack_in_spanish(
    database_url: str, slack_api: FakeSlack
) -> None:
    async with slack_rig(database_url, slack_api, locale="es") as rig:
        lucia = rig.desk.add(operator(7, "Lucía", presence=Presence.OFFLINE), slack_user=LUCIA)
        rig.desk.add(operator(8, "Pablo"))
        rig.desk.waiting = [QueueLine(12, 2, 125, offered_to=8), QueueLine(13, 0, 9)]
        rig.desk.refuse("claim", Refused(RefusalKind.CONFLICT, "ya la tiene Pablo"))
        await slash(rig.client, slack_api, "queue")
        await slash(rig.client, slack_api, "on")
        await press(rig.client, ACTION_CLAIM, 5, ROOT_TS)
        await rig.settle()
    assert rig.desk.called("set_presence") == [(lucia.id, Presence.ONLINE)]
    assert [r["text"] for r in slack_api.responses] == [
        "*2 esperando:*\n• #12 — esperando 2 min, prioridad 2, ofrecida a Pablo\n"
        "• #13 — esperando 9 s",
        "*Lucía* — en línea, 0/3 conversaciones\nTuyas: ninguna",
    ]
    [told] = slack_api.sent("chat.postEphemeral")
    assert told["text"] == "Atender: rechazado (ya la tiene Pablo)."
