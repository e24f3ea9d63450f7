"""Delivers Slack posts (outbox rows for the `slack` destination) through the Web API.

The core's outbox worker owns order (per conversation: the root message before its
thread), leases, retries with backoff or Slack's `Retry-After`, and failure; this is
the `PostDestination` it calls. Posts are rate limited per Slack channel
(`slack.messages_per_second`). Root messages are rendered when they are sent, so an
update always shows the current state, and an update with a later one waiting is
skipped (several pending updates of one conversation are sent as one).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from relevo.bot.clock import Clock, utc_now
from relevo.bot.protocols import OperatorDesk
from relevo.bot.store import messages as message_store
from relevo.bot.store import outbox as outbox_store
from relevo.bot.store.db import Database
from relevo.bot.types import (
    Direction,
    OutboundPost,
    PermanentDeliveryError,
    Refused,
    SendResult,
    TransientDeliveryError,
)
from relevo.channels.ratelimit import RateLimiter
from relevo.channels.slack import store as slack_store
from relevo.channels.slack.blocks import (
    event_line,
    note_line,
    operator_line,
    root_message,
    shopper_line,
)
from relevo.channels.slack.config import SlackSettings
from relevo.channels.slack.sync import DESTINATION
from relevo.channels.slack.texts import SlackTexts
from relevo.channels.slack.view import choose_channel, root_view

log = logging.getLogger("relevo.channels.slack")


class SlackPoster:
    """The outbox's `PostDestination` for Slack."""

    name = DESTINATION

    def __init__(
        self,
        database: Database,
        desk: OperatorDesk,
        client: AsyncWebClient,
        settings: SlackSettings,
        *,
        texts: SlackTexts,
        clock: Clock = utc_now,
        limiter: RateLimiter | None = None,
    ) -> None:
        self._say = texts
        self._db = database
        self._desk = desk
        self._client = client
        self._settings = settings
        self._clock = clock
        self._limiter = limiter or RateLimiter(per_destination=settings.messages_per_second,
                                               total=None)

    async def deliver(self, post: OutboundPost) -> SendResult:
        conversation_id = int(post.payload["conversation_id"])
        async with self._db.read() as conn:
            thread = await slack_store.thread_of(conn, conversation_id)
            superseded = post.kind == "update" and await outbox_store.later_post_pending(
                conn, post, ("update", "root"))
        if superseded:
            pass  # the later update renders the root as it will be then
        elif post.kind == "root" and thread is None:
            await self._post_root(conversation_id)
        elif thread is None:
            pass  # never reached Slack (no channel, or the root failed for good)
        elif post.kind in ("root", "update"):
            await self._update_root(conversation_id, thread)
        else:
            text = await self._thread_text(post, conversation_id)
            if text is not None:
                await self._post(thread.channel, thread.ts, text)
        return SendResult()

    async def _thread_text(self, post: OutboundPost, conversation_id: int) -> str | None:
        if post.kind == "notice":
            return event_line(str(post.payload.get("text") or ""))
        ref_id = int(post.payload.get("ref_id") or 0)
        async with self._db.read() as conn:
            if post.kind == "note":
                found = await slack_store.note(conn, ref_id)
                if found is None or found[3]:
                    return None  # gone, or written in this thread already
                operator_id, kind, text, _ = found
                author = self._desk.label(operator_id) or self._say("operator_number",
                                                                     operator=operator_id)
                return note_line(author, kind, text, self._say)
            message = await message_store.get(conn, ref_id)
            if message is None:
                return None
            shown = await slack_store.transcript_end(conn, conversation_id)
            if post.kind in ("shopper", "bot") and shown is not None and message.id <= shown:
                return None  # the root message's transcript has it
            if post.kind == "shopper" and message.direction == Direction.INBOUND:
                return shopper_line(message.author.name or self._say("shopper"), message.text,
                                    message.attachments)
            if post.kind == "reply":
                if await slack_store.message_written_here(conn, message.id):
                    return None  # the operator wrote it in this thread
                return operator_line(message.author.name or self._say("operator"), message.text,
                                     self._say("surface_console"), self._say)
            if post.kind == "bot":
                return self._say("bot_line", text=message.text)
        return None

    async def _post_root(self, conversation_id: int) -> None:
        snapshot = await self._desk.snapshot(conversation_id)
        if isinstance(snapshot, Refused):
            return
        async with self._db.read() as conn:
            view = await root_view(conn, self._desk, conversation_id,
                                   transcript_messages=self._settings.transcript_messages,
                                   transcript_until=None, say=self._say)
            last_id = await slack_store.last_message_id(conn, conversation_id)
        if view is None or view.state not in ("queued", "assigned"):
            return  # back with the bot or closed before Slack heard of it
        channel = choose_channel(self._settings, snapshot)
        if channel is None:
            raise PermanentDeliveryError("slack.channel is not set and no route matched")
        text, blocks = root_message(view, self._say)
        response = await self._call(channel, self._client.chat_postMessage, channel=channel,
                                    text=text, blocks=blocks, unfurl_links=False)
        async with self._db.write() as conn:
            await slack_store.save_thread(conn, conversation_id, str(response["channel"]),
                                          str(response["ts"]), last_message_id=last_id,
                                          now=self._clock())

    async def _update_root(self, conversation_id: int, thread: slack_store.Thread) -> None:
        async with self._db.read() as conn:
            until = await slack_store.transcript_end(conn, conversation_id)
            view = await root_view(conn, self._desk, conversation_id,
                                   transcript_messages=self._settings.transcript_messages,
                                   transcript_until=until, say=self._say)
        if view is None:
            return
        text, blocks = root_message(view, self._say)
        await self._call(thread.channel, self._client.chat_update, channel=thread.channel,
                         ts=thread.ts, text=text, blocks=blocks)

    async def _post(self, channel: str, thread_ts: str, text: str) -> None:
        await self._call(channel, self._client.chat_postMessage, channel=channel,
                         thread_ts=thread_ts, text=text, unfurl_links=False)

    async def _call(self, destination: str, method: Callable[..., Awaitable[Any]],
                    **kwargs: Any) -> dict[str, Any]:
        await self._limiter.acquire(destination)
        try:
            response = await method(**kwargs)
        except SlackApiError as exc:
            raise delivery_error(exc) from exc
        except (TimeoutError, OSError, aiohttp.ClientError) as exc:
            raise TransientDeliveryError(f"Slack unreachable: {type(exc).__name__}") from exc
        return dict(response.data)


_TRANSIENT_ERRORS = frozenset({"ratelimited", "internal_error", "service_unavailable",
                               "fatal_error", "request_timeout"})


def delivery_error(exc: SlackApiError) -> TransientDeliveryError | PermanentDeliveryError:
    response = exc.response
    status = getattr(response, "status_code", 0)
    data = getattr(response, "data", None)
    error = data.get("error") if isinstance(data, dict) else None
    if status == 429 or error == "ratelimited":
        headers = getattr(response, "headers", {}) or {}
        raw = headers.get("Retry-After") or headers.get("retry-after")
        try:
            retry_after = float(raw) if raw is not None else None
        except ValueError:
            retry_after = None
        return TransientDeliveryError(f"Slack 429: rate limited (Retry-After {raw})",
                                      retry_after=retry_after)
    if status >= 500 or error in _TRANSIENT_ERRORS:
        return TransientDeliveryError(f"Slack {status}: {error or 'server error'}")
    return PermanentDeliveryError(f"Slack refused the post: {error or status}")
