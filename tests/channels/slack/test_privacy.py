"""Slack's share of an erasure: posts not sent yet are cancelled (they would carry the
shopper's words), and the thread's root message is re-rendered without them. Its
threads are in the export. Against the fake Slack API, on both databases."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from relevo.bot.personal import Subject
from relevo.bot.store import personal
from relevo.bot.store.schema import outbox
from relevo.bot.types import ConversationState, Origin, QueueChanged
from relevo.channels.slack.privacy import SlackContactData
from relevo.channels.slack.sync import enqueue
from tests.channels.slack.rig import NOW, slack_rig
from tests.channels.slack.support import CHANNEL, TOKEN, shown
from tests.channels.slack.test_sync import operator_reply, snapshot
from tests.fakes.slack_api import FakeSlack

MARKER = "Zebra4417"


@pytest.fixture
def slack_api() -> Iterator[FakeSlack]:
    with FakeSlack.running(TOKEN) as fake:
        yield fake


async def test_an_erasure_cancels_waiting_posts_and_rewrites_the_root(
    database_url: str, slack_api: FakeSlack
) -> None:
    async with slack_rig(database_url, slack_api) as rig:
        conversation_id = await rig.conversation()
        await operator_reply(rig, conversation_id, f"About your order, {MARKER}",
                             Origin("console", "request-1"))
        rig.desk.snapshots[conversation_id] = snapshot(conversation_id, 1,
                                                       ConversationState.QUEUED, position=1)
        await rig.bus.publish(QueueChanged(conversation_id=conversation_id, at=NOW, position=1))
        await rig.settle()
        [root] = slack_api.roots()
        assert MARKER in shown(root)  # the transcript shows what was written
        subject = Subject((1,), (conversation_id,))
        contribution = SlackContactData(refresh=True)
        async with rig.database.write() as conn:
            await enqueue(conn, conversation_id, "notice", {"text": f"{MARKER} waiting"},
                          now=NOW)
            await personal.erase_core(conn, subject, NOW)
            done = await contribution.erase(conn, subject, NOW)
        calls_before = len(slack_api.calls)
        await rig.settle()
        async with rig.database.read() as conn:
            exported = await contribution.export(conn, subject)
            payloads = (await conn.execute(sa.select(outbox.c.payload, outbox.c.status))).all()
    sent = slack_api.calls[calls_before:]
    assert done.counts == {"slack_posts_cancelled": 1, "slack_roots_refreshed": 1}
    assert [call.method for call in sent] == ["chat.update"]
    assert MARKER not in shown(sent[0].params)
    assert MARKER not in str(payloads)
    assert [(t["channel"], t["ts"]) for t in exported["slack_threads"]] == [
        (CHANNEL, root["ts"])]
