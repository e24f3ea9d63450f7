"""Slack's share of a shopper's data (`bot.protocols.ContactData`): the threads their
conversations got in Slack, and the posts still waiting to go there.

An erasure cancels the posts not sent yet (they would carry the shopper's words) and,
when Slack is running, queues an update of each thread's root message, which then
shows the erased transcript. Lines already posted in a thread stay in Slack: Slack
keeps its own copy, which a workspace admin deletes there (README, "GDPR").
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from relevo.bot.personal import Erased, Subject, rows_of
from relevo.bot.store.schema import outbox
from relevo.channels.slack.store import slack_threads
from relevo.channels.slack.sync import DESTINATION, enqueue, recipient

ERASED = "erased"


class SlackContactData:
    """`refresh`: Slack is configured here, so root messages can be re-rendered."""

    def __init__(self, *, refresh: bool) -> None:
        self._refresh = refresh

    async def export(self, conn: AsyncConnection, subject: Subject) -> Mapping[str, list[Any]]:
        threads = await conn.execute(
            sa.select(slack_threads)
            .where(slack_threads.c.conversation_id.in_(subject.conversation_ids))
            .order_by(slack_threads.c.conversation_id))
        return {"slack_threads": rows_of(threads)}

    async def erase(self, conn: AsyncConnection, subject: Subject, now: datetime) -> Erased:
        posts = (outbox.c.channel == DESTINATION) & outbox.c.recipient.in_(
            [recipient(cid) for cid in subject.conversation_ids])
        cancelled = await conn.execute(
            sa.update(outbox).where(posts, outbox.c.status == "pending")
            .values(status="failed", last_error=ERASED, payload=None, updated_at=now))
        await conn.execute(sa.update(outbox).where(posts).values(payload=None))
        counts = {"slack_posts_cancelled": int(cancelled.rowcount or 0)}
        if self._refresh:
            threads = await conn.execute(
                sa.select(slack_threads.c.conversation_id)
                .where(slack_threads.c.conversation_id.in_(subject.conversation_ids)))
            refreshed = [int(row.conversation_id) for row in threads]
            for conversation_id in refreshed:
                await enqueue(conn, conversation_id, "update", {}, now=now)
            counts["slack_roots_refreshed"] = len(refreshed)
        return Erased(counts)
