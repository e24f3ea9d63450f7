"""Keeps Slack in step with relevo: the bus subscriber that turns events into Slack
posts, written as outbox rows (`bot.store.outbox.enqueue_post`) and delivered by the
core's outbox worker through `poster.SlackPoster`.

A conversation gets its root message once routing has placed it (`QueueChanged` or
`ConversationOffered`: its pool, hence its Slack channel, is known); from then on its
state changes refresh the root and add a line to the thread, and the shopper's
messages, console replies, bot answers and notes are mirrored into the thread.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from relevo.bot.clock import Clock, utc_now
from relevo.bot.protocols import OperatorDesk
from relevo.bot.store import outbox as outbox_store
from relevo.bot.store.db import Database
from relevo.bot.types import (
    AuthorKind,
    ConversationAssigned,
    ConversationOffered,
    ConversationQueued,
    ConversationResolved,
    ConversationReturnedToBot,
    ConversationStateChanged,
    Event,
    MessageReceived,
    MessageStored,
    NoteAdded,
    OperatorReminded,
    QueueChanged,
)
from relevo.channels.slack import store as slack_store
from relevo.channels.slack.texts import SlackTexts
from relevo.channels.slack.view import actor_operator

log = logging.getLogger("relevo.channels.slack")

DESTINATION = "slack"
_Post = tuple[str, dict[str, Any]]  # kind, payload


def recipient(conversation_id: int) -> str:
    """Posts are delivered in order per conversation (the root before its thread)."""
    return f"conversation:{conversation_id}"


def _notice(text: str) -> _Post:
    return ("notice", {"text": text})


def _ref(kind: str, ref_id: int) -> _Post:
    return (kind, {"ref_id": ref_id})


_UPDATE: _Post = ("update", {})


class SlackSync:
    """The bus subscriber: turns events into Slack posts in the outbox."""

    def __init__(self, database: Database, desk: OperatorDesk, wake: Callable[[], None],
                 texts: SlackTexts, clock: Clock = utc_now) -> None:
        self._say = texts
        self._db = database
        self._desk = desk
        self._wake = wake
        self._clock = clock

    async def on_event(self, event: Event) -> None:
        if not event.conversation_id:
            return  # presence and other operator-wide events
        now = self._clock()
        async with self._db.write() as conn:
            followed = await self._followed(conn, event.conversation_id)
            posts = self._posts_for(event, followed)
            for kind, payload in posts:
                await enqueue(conn, event.conversation_id, kind, payload, now=now)
        if posts:
            self._wake()

    def _posts_for(self, event: Event, followed: bool) -> list[_Post]:
        """What to post for `event`; `followed`: the conversation has a thread (or its
        root message is queued)."""
        if isinstance(event, (QueueChanged, ConversationOffered)):
            # Routing is done (pool known): the conversation gets its root message.
            return [_UPDATE if followed else ("root", {})]
        if not followed:
            return []
        if isinstance(event, ConversationQueued):
            return [_notice(self._say("queued_again", reason=event.reason)), _UPDATE]
        if isinstance(event, ConversationStateChanged):
            text = self._change_text(event)
            return [_notice(text), _UPDATE] if text else [_UPDATE]
        if isinstance(event, MessageReceived):
            return [_ref("shopper", event.message_id)]
        if isinstance(event, MessageStored):
            if event.author_kind == AuthorKind.OPERATOR:
                return [_ref("reply", event.message_id)]
            if event.author_kind == AuthorKind.BOT:
                return [_ref("bot", event.message_id)]
            return []
        if isinstance(event, NoteAdded):
            return [_ref("note", event.note_id)]
        if isinstance(event, OperatorReminded):
            who = self._desk.label(event.operator_id) or self._say("the_operator")
            return [_notice(self._say("reminded", seconds=int(event.waiting_seconds),
                                      operator=who))]
        return []

    def _change_text(self, event: ConversationStateChanged) -> str | None:
        say, who = self._say, self._desk.label(actor_operator(event.actor))
        if isinstance(event, ConversationAssigned):
            target = self._desk.label(event.operator_id) or say("an_operator")
            if event.from_state == event.to_state:
                return say("transferred", who=who or say("someone"), target=target)
            return say("took", target=target)
        if isinstance(event, ConversationResolved):
            return say("resolved_by", who=who) if who else say("resolved")
        if isinstance(event, ConversationReturnedToBot):
            return say("returned_by", who=who) if who else say("returned")
        return None

    async def _followed(self, conn: AsyncConnection, conversation_id: int) -> bool:
        """Has a thread, or one is about to be posted."""
        if await slack_store.thread_of(conn, conversation_id) is not None:
            return True
        return bool(await outbox_store.pending_posts(
            conn, destination=DESTINATION, recipient=recipient(conversation_id), kind="root"
        ))

    async def recover(self) -> int:
        """Open handed-off conversations with no thread (the bus lost an event in a
        crash): their root message is queued now."""
        now = self._clock()
        async with self._db.write() as conn:
            missing = await slack_store.handed_off_without_thread(conn)
            for conversation_id in missing:
                if not await self._followed(conn, conversation_id):
                    await enqueue(conn, conversation_id, "root", {}, now=now)
        if missing:
            self._wake()
        return len(missing)


async def enqueue(
    conn: AsyncConnection, conversation_id: int, kind: str, payload: dict[str, Any], *,
    now: datetime,
) -> None:
    await outbox_store.enqueue_post(
        conn, destination=DESTINATION, recipient=recipient(conversation_id), kind=kind,
        payload={"conversation_id": conversation_id, **payload}, now=now,
    )
