"""Delivers the queued Slack posts (`slack_posts` rows) through the Web API.

In order per conversation (the root message before its thread), rate limited per
Slack channel (`slack.messages_per_second`), retried with backoff or Slack's
`Retry-After` on a 429, failed for good on Slack's refusals. Root messages are
rendered from the database when they are sent, so an update always shows the
current state, and several pending updates of one conversation are sent as one.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import sqlalchemy as sa
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.ext.asyncio import AsyncConnection

from relevo.bot.config import OutboxSettings
from relevo.bot.store import messages as message_store
from relevo.bot.store.db import Database
from relevo.bot.store.schema import messages
from relevo.bot.types import Direction, PermanentDeliveryError, TransientDeliveryError
from relevo.bot.worker import RoundWorker
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
from relevo.channels.slack.store import Post
from relevo.channels.slack.view import choose_channel, note, operator_label, root_view
from relevo.handoff.service import Handoff

log = logging.getLogger("relevo.channels.slack")

Clock = Callable[[], datetime]
KEEP_KEYS_DAYS = 2  # Slack retries an event for minutes; a day or two is plenty
PRUNE_EVERY_SECONDS = 3600.0


class SlackPoster(RoundWorker):
    """Delivers `slack_posts` rows through the Web API."""

    name = "relevo-slack-poster"

    def __init__(
        self,
        database: Database,
        handoff: Handoff,
        client: AsyncWebClient,
        settings: SlackSettings,
        outbox: OutboxSettings,
        *,
        clock: Clock = lambda: datetime.now(UTC),
        limiter: RateLimiter | None = None,
    ) -> None:
        super().__init__()
        self._db = database
        self._handoff = handoff
        self._client = client
        self._settings = settings
        self._outbox = outbox
        self._clock = clock
        self._limiter = limiter or RateLimiter(per_destination=settings.messages_per_second,
                                               total=None)
        self._rng = random.Random()
        self._round = asyncio.Lock()
        self._pruned_at = 0.0

    def set_clock(self, clock: Clock) -> None:
        self._clock = clock

    @property
    def poll_seconds(self) -> float:
        return self._outbox.poll_interval_seconds

    async def work_round(self) -> int:
        if time.monotonic() - self._pruned_at > PRUNE_EVERY_SECONDS:
            await self.prune()
            self._pruned_at = time.monotonic()
        return await self.deliver_due()

    async def prune(self) -> int:
        """Forget handled keys (event ids, messages, echoes) older than Slack retries."""
        before = self._clock() - timedelta(days=KEEP_KEYS_DAYS)
        async with self._db.write() as conn:
            return await slack_store.prune(conn, before=before)

    async def deliver_due(self) -> int:
        """One round (rounds never overlap in a process: a caller waits for the one
        under way, then runs its own)."""
        async with self._round:
            now = self._clock()
            async with self._db.write() as conn:
                claimed = await slack_store.claim_due(
                    conn, now=now, lease=timedelta(seconds=self._outbox.lease_seconds),
                    limit=self._outbox.batch_size, is_postgres=not self._db.is_sqlite,
                )
            if not claimed:
                return 0
            by_conversation: dict[int, list[Post]] = defaultdict(list)
            for post in claimed:
                by_conversation[post.conversation_id].append(post)
            groups = await asyncio.gather(
                *(self._send_in_order(p) for p in by_conversation.values())
            )
            now = self._clock()
            async with self._db.write() as conn:
                for group in groups:
                    for post, outcome in group:
                        await self._record(conn, post, outcome, now)
            return len(claimed)

    async def _send_in_order(
        self, posts: list[Post]
    ) -> list[tuple[Post, Exception | bool | None]]:
        """True: sent; an exception: failed; None: not tried (an earlier one backs off)."""
        outcomes: list[tuple[Post, Exception | bool | None]] = []
        last_update = max((i for i, p in enumerate(posts) if p.kind in ("update", "root")),
                          default=-1)
        for index, post in enumerate(posts):
            if post.kind == "update" and index < last_update:
                outcomes.append((post, True))  # a later update or root shows it anyway
                continue
            try:
                await self._deliver(post)
                outcomes.append((post, True))
            except (TransientDeliveryError, PermanentDeliveryError) as exc:
                outcomes.append((post, exc))
            except Exception as exc:
                log.exception("slack post %s (%s) raised", post.id, post.kind)
                outcomes.append((post, TransientDeliveryError(f"{type(exc).__name__}: {exc}")))
            if isinstance(outcomes[-1][1], TransientDeliveryError):
                outcomes.extend((later, None) for later in posts[index + 1:])
                break
        return outcomes

    async def _record(
        self, conn: AsyncConnection, post: Post, outcome: Exception | bool | None,
        now: datetime,
    ) -> None:
        if outcome is None:
            await slack_store.release(conn, post.id, now=now)
        elif outcome is True:
            await slack_store.finish(conn, post.id, now=now)
        elif isinstance(outcome, TransientDeliveryError) and \
                post.attempts + 1 < self._outbox.max_attempts:
            delay = self._backoff(post.attempts + 1, outcome.retry_after)
            await slack_store.retry_later(conn, post.id, at=now + timedelta(seconds=delay),
                                          error=outcome.reason, now=now)
            log.info("slack post %s retried in %.2fs: %s", post.id, delay, outcome.reason)
        else:
            reason = getattr(outcome, "reason", str(outcome))
            await slack_store.fail(conn, post.id, error=reason, now=now)
            log.warning("slack post %s (%s) failed: %s", post.id, post.kind, reason)

    def _backoff(self, attempts: int, retry_after: float | None) -> float:
        if retry_after is not None and retry_after >= 0:
            return min(retry_after, self._outbox.max_delay_seconds)
        ceiling = min(self._outbox.max_delay_seconds,
                      self._outbox.base_delay_seconds * 2.0 ** (attempts - 1))
        return float(ceiling / 2 + self._rng.uniform(0, ceiling / 2))

    # --- one post ------------------------------------------------------------------------

    async def _deliver(self, post: Post) -> None:
        async with self._db.read() as conn:
            thread = await slack_store.thread_of(conn, post.conversation_id)
        if post.kind == "root":
            if thread is None:
                await self._post_root(post.conversation_id)
            else:
                await self._update_root(post.conversation_id, thread)
            return
        if thread is None:
            return  # never reached Slack (no channel, or the root failed for good)
        if post.kind == "update":
            await self._update_root(post.conversation_id, thread)
            return
        text = await self._thread_text(post)
        if text is not None:
            await self._post(thread.channel, thread.ts, text)

    async def _thread_text(self, post: Post) -> str | None:
        if post.kind == "notice":
            return event_line(str(post.data.get("text") or ""))
        async with self._db.write() as conn:
            if post.kind == "note":
                found = await note(conn, post.ref_id or 0)
                if found is None:
                    return None
                operator_id, kind, text = found
                if kind == "note" and await slack_store.consume(
                    conn, slack_store.echo_key("note", post.conversation_id, operator_id, text)
                ):
                    return None  # written in this thread already
                author = operator_label(self._handoff, operator_id) or f"operator {operator_id}"
                return note_line(author, kind, text)
            message = await message_store.get(conn, post.ref_id or 0)
            if message is None:
                return None
            shown = await slack_store.transcript_end(conn, post.conversation_id)
            if post.kind in ("shopper", "bot") and shown is not None and message.id <= shown:
                return None  # the root message's transcript has it
            if post.kind == "shopper" and message.direction == Direction.INBOUND:
                return shopper_line(message.author.name or "Shopper", message.text,
                                    message.attachments)
            if post.kind == "reply":
                key = slack_store.echo_key("reply", post.conversation_id,
                                           message.author.operator_id or 0, message.text)
                if await slack_store.consume(conn, key):
                    return None  # the operator wrote it in this thread
                return operator_line(message.author.name or "Operator", message.text, "console")
            if post.kind == "bot":
                return f"*Bot* → shopper: {message.text}"
        return None

    async def _post_root(self, conversation_id: int) -> None:
        async with self._db.read() as conn:
            view = await root_view(conn, self._handoff, conversation_id,
                                   transcript_messages=self._settings.transcript_messages,
                                   transcript_until=None)
            if view is None or view.state not in ("queued", "assigned"):
                return  # back with the bot or closed before Slack heard of it
            channel = await choose_channel(conn, self._settings, conversation_id, view.locale)
            last_id = (await conn.execute(
                sa.select(sa.func.max(messages.c.id))
                .where(messages.c.conversation_id == conversation_id)
            )).scalar_one_or_none()
        if channel is None:
            raise PermanentDeliveryError("slack.channel is not set and no route matched")
        text, blocks = root_message(view)
        response = await self._call(channel, self._client.chat_postMessage, channel=channel,
                                    text=text, blocks=blocks, unfurl_links=False)
        async with self._db.write() as conn:
            await slack_store.save_thread(conn, conversation_id, str(response["channel"]),
                                          str(response["ts"]), last_message_id=last_id,
                                          now=self._clock())

    async def _update_root(self, conversation_id: int, thread: slack_store.Thread) -> None:
        async with self._db.read() as conn:
            until = await slack_store.transcript_end(conn, conversation_id)
            view = await root_view(conn, self._handoff, conversation_id,
                                   transcript_messages=self._settings.transcript_messages,
                                   transcript_until=until)
        if view is None:
            return
        text, blocks = root_message(view)
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
