"""Keeps Slack in step with relevo: the bus subscriber that turns events into queued
Slack posts (`slack_posts` rows, delivered by `slack_poster.SlackPoster`).

A conversation gets its root message once routing has placed it (`QueueChanged` or
`ConversationOffered`: its pool, hence its Slack channel, is known); from then on its
state changes refresh the root and add a line to the thread, and the shopper's
messages, console replies, bot answers and notes are mirrored into the thread.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from relevo.bot.store.db import Database
from relevo.bot.store.schema import conversations, slack_posts, slack_threads
from relevo.bot.types import (
    AuthorKind,
    ConversationAssigned,
    ConversationQueued,
    ConversationResolved,
    ConversationReturnedToBot,
    ConversationStateChanged,
    Event,
    MessageReceived,
    MessageStored,
)
from relevo.channels.slack import store as slack_store
from relevo.channels.slack.view import actor_operator, operator_label
from relevo.handoff.events import ConversationOffered, NoteAdded, OperatorReminded, QueueChanged
from relevo.handoff.service import Handoff

log = logging.getLogger("relevo.channels.slack")

Clock = Callable[[], datetime]
_Post = tuple[str, int | None, dict[str, str] | None]  # kind, ref id, data


def _notice(text: str) -> _Post:
    return ("notice", None, {"text": text})


class SlackSync:
    """The bus subscriber: turns events into `slack_posts` rows."""

    def __init__(self, database: Database, handoff: Handoff, wake: Callable[[], None],
                 clock: Clock = lambda: datetime.now(UTC)) -> None:
        self._db = database
        self._handoff = handoff
        self._wake = wake
        self._clock = clock

    async def on_event(self, event: Event) -> None:
        if not event.conversation_id:
            return  # presence and other operator-wide events
        now = self._clock()
        async with self._db.write() as conn:
            followed = await self._followed(conn, event.conversation_id)
            posts = self._posts_for(event, followed)
            for kind, ref_id, data in posts:
                await slack_store.enqueue(conn, event.conversation_id, kind, now=now,
                                          ref_id=ref_id, data=data)
        if posts:
            self._wake()

    def _posts_for(self, event: Event, followed: bool) -> list[_Post]:
        """What to post for `event`; `followed`: the conversation has a thread (or its
        root message is queued)."""
        if isinstance(event, (QueueChanged, ConversationOffered)):
            # Routing is done (pool known): the conversation gets its root message.
            return [("update" if followed else "root", None, None)]
        if not followed:
            return []
        if isinstance(event, ConversationQueued):
            return [_notice(f"Queued again: {event.reason}"), ("update", None, None)]
        if isinstance(event, ConversationStateChanged):
            text = self._change_text(event)
            return [_notice(text), ("update", None, None)] if text else [("update", None, None)]
        if isinstance(event, MessageReceived):
            return [("shopper", event.message_id, None)]
        if isinstance(event, MessageStored):
            if event.author_kind == AuthorKind.OPERATOR:
                return [("reply", event.message_id, None)]
            if event.author_kind == AuthorKind.BOT:
                return [("bot", event.message_id, None)]
            return []
        if isinstance(event, NoteAdded):
            return [("note", event.note_id, None)]
        if isinstance(event, OperatorReminded):
            who = operator_label(self._handoff, event.operator_id) or "the operator"
            return [_notice(f"The shopper has waited {int(event.waiting_seconds)} s for "
                            f"{who}'s reply.")]
        return []

    def _change_text(self, event: ConversationStateChanged) -> str | None:
        who = operator_label(self._handoff, actor_operator(event.actor))
        if isinstance(event, ConversationAssigned):
            target = operator_label(self._handoff, event.operator_id) or "an operator"
            if event.from_state == event.to_state:
                return f"{who or 'Someone'} transferred the conversation to {target}."
            return f"{target} took the conversation."
        if isinstance(event, ConversationResolved):
            return f"Resolved by {who}." if who else "Resolved."
        if isinstance(event, ConversationReturnedToBot):
            return f"Returned to the bot by {who}." if who else "Returned to the bot."
        return None

    async def _followed(self, conn: AsyncConnection, conversation_id: int) -> bool:
        """Has a thread, or one is about to be posted."""
        if await slack_store.thread_of(conn, conversation_id) is not None:
            return True
        pending = await conn.execute(
            sa.select(slack_posts.c.id).where(
                slack_posts.c.conversation_id == conversation_id, slack_posts.c.kind == "root",
                slack_posts.c.status == "pending",
            ).limit(1)
        )
        return pending.first() is not None

    async def recover(self) -> int:
        """Open handed-off conversations with no thread (the bus lost an event in a
        crash): their root message is queued now."""
        now = self._clock()
        async with self._db.write() as conn:
            rows = await conn.execute(
                sa.select(conversations.c.id)
                .outerjoin(slack_threads, slack_threads.c.conversation_id == conversations.c.id)
                .where(conversations.c.state.in_(("queued", "assigned")),
                       slack_threads.c.conversation_id.is_(None))
            )
            missing = [int(r.id) for r in rows]
            for conversation_id in missing:
                if not await self._followed(conn, conversation_id):
                    await slack_store.enqueue(conn, conversation_id, "root", now=now)
        if missing:
            self._wake()
        return len(missing)
