"""Events become Slack posts in the core outbox and are delivered by its worker: the
root message once routing placed the conversation (in the channel of its pool), the
thread lines after; what an operator wrote in Slack is not echoed back. Against a
fake desk and the fake Slack API, on both databases."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from relevo.bot.store import messages as message_store
from relevo.bot.store import origins
from relevo.bot.types import (
    Author,
    AuthorKind,
    ConversationAssigned,
    ConversationState,
    HandoffSnapshot,
    MessageStored,
    OperatorKind,
    Origin,
    PoolRef,
    QueueChanged,
)
from tests.channels.slack.rig import NOW, Rig, slack_rig
from tests.channels.slack.support import CHANNEL, TOKEN, buttons, shown
from tests.fakes.desk import operator
from tests.fakes.slack_api import FakeSlack


@pytest.fixture
def slack_api() -> Iterator[FakeSlack]:
    with FakeSlack.running(TOKEN) as fake:
        yield fake


def snapshot(conversation_id: int, contact_id: int, state: ConversationState, **more: object
             ) -> HandoffSnapshot:
    return HandoffSnapshot(conversation_id=conversation_id, state=state, channel="web",
                           locale="en", contact_id=contact_id, language="en",
                           handoff_reason="asked for a person", **more)  # type: ignore[arg-type]


async def operator_reply(rig: Rig, conversation_id: int, text: str, origin: Origin) -> int:
    async with rig.database.write() as conn:
        found = await message_store.for_conversation(conn, conversation_id)
        contact_id = found[0].contact_id if found else 1
        message_id = await message_store.insert_outbound(
            conn, conversation_id=conversation_id, contact_id=contact_id, channel="web",
            recipient="visitor", author=Author(AuthorKind.OPERATOR, "Lucía · expert"),
            text=text, locale="en", now=NOW,
        )
        await origins.set_message_origin(conn, message_id, origin)
    return message_id


async def test_a_routed_conversation_gets_its_root_message_in_its_pools_channel(
    database_url: str, slack_api: FakeSlack
) -> None:
    routes = [{"channel": "C0EXPERTS01", "kinds": ["expert"]}]
    async with slack_rig(database_url, slack_api, routes=routes) as rig:
        conversation_id = await rig.conversation()
        rig.desk.snapshots[conversation_id] = snapshot(
            conversation_id, 1, ConversationState.QUEUED, position=1,
            pools=(PoolRef(kinds=(OperatorKind.EXPERT,)),))
        await rig.bus.publish(QueueChanged(conversation_id=conversation_id, at=NOW, position=1))
        await rig.settle()
        [root] = slack_api.roots()
        assert root["channel"] == "C0EXPERTS01"
        assert "Waiting in the queue (position 1)" in shown(root)
        assert buttons(root) == ["relevo_claim", "relevo_return_to_bot", "relevo_resolve"]

        # Claimed: the root says by whom, and the thread tells it once.
        rig.desk.add(operator(7, "Lucía", OperatorKind.EXPERT))
        rig.desk.snapshots[conversation_id] = snapshot(
            conversation_id, 1, ConversationState.ASSIGNED, assigned_operator_id=7)
        await rig.bus.publish(ConversationAssigned(
            conversation_id=conversation_id, at=NOW, from_state=ConversationState.QUEUED,
            to_state=ConversationState.ASSIGNED, actor="operator:7", reason="claimed",
            operator_id=7))
        await rig.settle()
        [root] = slack_api.roots()
        lines = [m["text"] for m in slack_api.thread("C0EXPERTS01", root["ts"])]
    assert "Claimed by *Lucía · expert*" in shown(root)
    assert lines == ["_Lucía · expert took the conversation._"]


async def test_a_reply_written_in_slack_is_not_echoed_and_one_from_the_console_is(
    database_url: str, slack_api: FakeSlack
) -> None:
    async with slack_rig(database_url, slack_api) as rig:
        conversation_id = await rig.conversation()
        rig.desk.snapshots[conversation_id] = snapshot(conversation_id, 1,
                                                       ConversationState.ASSIGNED)
        await rig.bus.publish(QueueChanged(conversation_id=conversation_id, at=NOW, position=1))
        await rig.settle()
        [root] = slack_api.roots()
        for text, origin in (("From Slack", Origin("slack", f"{CHANNEL}:1.1")),
                             ("From the console", Origin("console", "request-1"))):
            message_id = await operator_reply(rig, conversation_id, text, origin)
            await rig.bus.publish(MessageStored(
                conversation_id=conversation_id, at=NOW, message_id=message_id, channel="web",
                author_kind=AuthorKind.OPERATOR))
        await rig.settle()
        lines = [m["text"] for m in slack_api.thread(CHANNEL, root["ts"])]
    assert lines == ["*Lucía · expert* (console) → shopper: From the console"]


async def test_a_conversation_not_yet_routed_posts_nothing(
    database_url: str, slack_api: FakeSlack
) -> None:
    async with slack_rig(database_url, slack_api) as rig:
        conversation_id = await rig.conversation()
        await rig.bus.publish(ConversationAssigned(
            conversation_id=conversation_id, at=NOW, from_state=ConversationState.QUEUED,
            to_state=ConversationState.ASSIGNED, actor="operator:7", reason="claimed",
            operator_id=7))
        await rig.settle()
    assert slack_api.calls == []


async def test_a_root_message_slack_failed_to_take_is_retried_by_the_outbox(
    database_url: str, slack_api: FakeSlack
) -> None:
    slack_api.fail_next("chat.postMessage", 500)
    async with slack_rig(database_url, slack_api) as rig:
        conversation_id = await rig.conversation()
        rig.desk.snapshots[conversation_id] = snapshot(conversation_id, 1,
                                                       ConversationState.QUEUED)
        await rig.bus.publish(QueueChanged(conversation_id=conversation_id, at=NOW, position=1))
        await rig.bus.drain()
        await rig.outbox.deliver_due()  # the root fails once (5xx): retried later
        assert slack_api.roots() == []
        rig.outbox.set_clock(lambda: NOW.replace(year=2100))
        await rig.settle()
    [root] = slack_api.roots()
    assert f"#{conversation_id} " in root["text"]


async def test_several_pending_updates_of_a_root_are_sent_as_one(
    database_url: str, slack_api: FakeSlack
) -> None:
    async with slack_rig(database_url, slack_api) as rig:
        conversation_id = await rig.conversation()
        rig.desk.snapshots[conversation_id] = snapshot(conversation_id, 1,
                                                       ConversationState.QUEUED, position=3)
        await rig.bus.publish(QueueChanged(conversation_id=conversation_id, at=NOW, position=3))
        await rig.settle()
        rig.desk.snapshots[conversation_id] = snapshot(conversation_id, 1,
                                                       ConversationState.QUEUED, position=1)
        for position in (2, 1, 1):
            await rig.bus.publish(QueueChanged(conversation_id=conversation_id, at=NOW,
                                               position=position))
        await rig.settle()
        [root] = slack_api.roots()
    assert len(slack_api.sent("chat.update")) == 1
    assert "Waiting in the queue (position 1)" in shown(root)


async def test_a_spanish_team_gets_the_root_message_and_thread_lines_in_spanish(
    database_url: str, slack_api: FakeSlack
) -> None:
    async with slack_rig(database_url, slack_api, locale="es") as rig:
        conversation_id = await rig.conversation()
        rig.desk.snapshots[conversation_id] = snapshot(
            conversation_id, 1, ConversationState.QUEUED, position=1)
        await rig.bus.publish(QueueChanged(conversation_id=conversation_id, at=NOW, position=1))
        await rig.settle()
        rig.desk.add(operator(7, "Lucía", OperatorKind.EXPERT))
        rig.desk.snapshots[conversation_id] = snapshot(
            conversation_id, 1, ConversationState.ASSIGNED, assigned_operator_id=7)
        await rig.bus.publish(ConversationAssigned(
            conversation_id=conversation_id, at=NOW, from_state=ConversationState.QUEUED,
            to_state=ConversationState.ASSIGNED, actor="operator:7", reason="claimed",
            operator_id=7))
        await rig.settle()
        [root] = slack_api.roots()
        lines = [m["text"] for m in slack_api.thread(CHANNEL, root["ts"])]
    assert "*Contacto*" in shown(root) and "*Motivo*" in shown(root)
    assert "Atendida por *Lucía · expert*" in shown(root)
    assert root["text"] == f"Conversación #{conversation_id} con Cliente 1: asignada"
    assert lines == ["_Lucía · expert ha tomado la conversación._"]
