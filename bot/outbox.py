"""Delivery of outbound messages: rows first, then a worker with retries.

Every outbound message was written with its outbox row in the transaction that
decided it. The worker leases due rows, calls the channel's `send`, and records the
outcome: done, retry later (exponential backoff with jitter, or the provider's
`Retry-After`), or failed with the provider's reason. A retry re-sends the same
stored message; it never creates a second one. Rows left pending by a crash are
picked up again when their lease expires, or at start-up.

Rows that are not shopper messages (Slack's root messages, updates and thread lines)
are posts: the same leases, order, retries and `Retry-After`, delivered by the
`PostDestination` they name instead of a channel.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncConnection

from relevo.bot.clock import Clock, utc_now
from relevo.bot.config import OutboxSettings
from relevo.bot.metrics import Metrics
from relevo.bot.protocols import Bus, Channel, PostDestination
from relevo.bot.store import messages as message_store
from relevo.bot.store import outbox as outbox_store
from relevo.bot.store.db import Database
from relevo.bot.types import (
    DeliveryStatus,
    MessageSent,
    OutboundPost,
    PermanentDeliveryError,
    SendResult,
    TransientDeliveryError,
)
from relevo.bot.worker import RoundWorker

log = logging.getLogger("relevo.outbox")

# Retrying the write of a round's outcome: first after this, doubling up to the max.
_RECORD_FIRST_RETRY_S = 0.05
_RECORD_MAX_RETRY_S = 2.0


class OutboxWorker(RoundWorker):
    name = "relevo-outbox"

    def __init__(
        self,
        database: Database,
        channels: Mapping[str, Channel],
        bus: Bus,
        metrics: Metrics,
        settings: OutboxSettings,
        *,
        clock: Clock = utc_now,
        rng: random.Random | None = None,
        destinations: Mapping[str, PostDestination] | None = None,
    ) -> None:
        super().__init__()
        self._db = database
        self._channels = channels
        self._destinations: Mapping[str, PostDestination] = (
            destinations if destinations is not None else {}
        )
        self._bus = bus
        self._metrics = metrics
        self._settings = settings
        self._clock = clock
        self._rng = rng or random.Random()

    @property
    def poll_seconds(self) -> float:
        return self._settings.poll_interval_seconds

    def set_clock(self, clock: Clock) -> None:
        """Tests move time forward to make backed-off rows due."""
        self._clock = clock

    async def work_round(self) -> int:
        return await self.deliver_due()

    async def deliver_due(self) -> int:
        """One round: lease the due rows (messages and posts), send them, record the
        outcomes."""
        now = self._clock()
        lease = timedelta(seconds=self._settings.lease_seconds)
        async with self._db.write() as conn:
            claimed = await outbox_store.claim_due(
                conn, now=now, lease=lease, limit=self._settings.batch_size,
                is_postgres=not self._db.is_sqlite,
            )
            posts = await outbox_store.claim_due_posts(
                conn, now=now, lease=lease, limit=self._settings.batch_size,
                is_postgres=not self._db.is_sqlite,
            )
        delivered = await asyncio.gather(self._deliver_messages(claimed),
                                         self._deliver_posts(posts))
        return sum(delivered)

    async def _deliver_messages(self, claimed: list[outbox_store.Claimed]) -> int:
        if not claimed:
            return 0
        by_destination: dict[tuple[str, str], list[outbox_store.Claimed]] = defaultdict(list)
        for row in claimed:
            by_destination[(row.message.channel, row.message.recipient)].append(row)
        outcomes = await asyncio.gather(
            *(self._send_in_order(rows) for rows in by_destination.values())
        )
        results = [outcome for group in outcomes for outcome in group]
        now = self._clock()
        sent = [(row, r) for row, r in results if isinstance(r, SendResult)]

        async def record(conn: AsyncConnection) -> None:
            await outbox_store.finish(conn, [row.outbox_id for row, _ in sent], now=now)
            await message_store.set_delivered(
                conn, [(row.message.message_id, r.status, r.external_id) for row, r in sent]
            )
            for row, result in results:
                if not isinstance(result, SendResult):
                    await self._record_failure(conn, row, result, now)

        await self._record(record, "messages")
        for row, _ in sent:
            self._metrics.inc("relevo_messages_out_total", channel=row.message.channel)
        for row, result in results:
            if isinstance(result, SendResult):
                await self._bus.publish(
                    MessageSent(
                        conversation_id=row.message.conversation_id,
                        at=now,
                        message_id=row.message.message_id,
                        channel=row.message.channel,
                        status=result.status,
                    )
                )
        return len(results)

    async def _send_in_order(
        self, rows: list[outbox_store.Claimed]
    ) -> list[tuple[outbox_store.Claimed, SendResult | Exception | None]]:
        """Send one destination's messages in order; stop at the first failure so a
        later message never overtakes one that is being retried (the rest are
        released by returning None: their lease is dropped below)."""
        outcomes: list[tuple[outbox_store.Claimed, SendResult | Exception | None]] = []
        for index, row in enumerate(rows):
            result = await self._send_one(row)
            outcomes.append((row, result))
            if isinstance(result, TransientDeliveryError):
                outcomes.extend((later, None) for later in rows[index + 1 :])
                break
        return outcomes

    async def _send_one(self, row: outbox_store.Claimed) -> SendResult | Exception:
        channel = self._channels.get(row.message.channel)
        if channel is None:
            return PermanentDeliveryError(f"no channel named {row.message.channel!r} is enabled")
        try:
            return await channel.send(row.message)
        except (TransientDeliveryError, PermanentDeliveryError) as exc:
            return exc
        except Exception as exc:  # a channel bug: retry, the provider may be fine
            log.exception("channel %s raised while sending", row.message.channel)
            return TransientDeliveryError(f"{type(exc).__name__}: {exc}")

    async def _record_failure(
        self,
        conn: AsyncConnection,
        row: outbox_store.Claimed,
        result: Exception | None,
        now: datetime,
    ) -> None:
        message_id, channel = row.message.message_id, row.message.channel
        retry_in, failed = await self._retry_or_fail(conn, row.outbox_id, row.attempts,
                                                     result, now)
        if retry_in is not None:
            self._metrics.inc("relevo_delivery_retries_total", channel=channel)
            log.info("delivery of message %s retried in %.2fs: %s", message_id, retry_in,
                     getattr(result, "reason", ""))
        elif failed is not None:
            await message_store.set_delivery(conn, message_id, DeliveryStatus.FAILED,
                                             error=failed)
            self._metrics.inc("relevo_delivery_failures_total", channel=channel)
            log.warning("delivery of message %s failed: %s", message_id, failed)

    async def _retry_or_fail(
        self, conn: AsyncConnection, outbox_id: int, attempts: int, result: Exception | None,
        now: datetime,
    ) -> tuple[float | None, str | None]:
        """One unsent outbox row (a message or a post): released when it was not
        attempted this round (an earlier row to the same destination is backing off),
        retried later after a transient error with attempts left, else failed for good.
        Returns (seconds until the retry, the failure's reason); both None: released."""
        if result is None:
            await outbox_store.release(conn, outbox_id, now=now)
            return None, None
        attempts += 1
        if isinstance(result, TransientDeliveryError) and attempts < self._settings.max_attempts:
            delay = self.backoff(attempts, result.retry_after)
            await outbox_store.retry_later(conn, outbox_id, at=now + timedelta(seconds=delay),
                                           error=result.reason[:500], now=now)
            return delay, None
        reason = getattr(result, "reason", str(result))[:500]
        await outbox_store.fail(conn, outbox_id, error=reason, now=now)
        return None, reason

    async def _record(
        self, write: Callable[[AsyncConnection], Awaitable[None]], what: str
    ) -> None:
        """Write the outcome of a round's sends, retrying while the database is away
        (an exhausted pool, a failover). The sends happened: a round abandoned here
        would leave its rows leased, and they would be sent again when the lease ends,
        a second copy to the shopper. Gives up (raises) after half the lease."""
        deadline = time.monotonic() + self._settings.lease_seconds / 2
        delay = _RECORD_FIRST_RETRY_S
        while True:
            try:
                async with self._db.write() as conn:
                    await write(conn)
                return
            except Exception as exc:
                if time.monotonic() + delay > deadline:
                    raise
                log.warning("recording delivered %s failed (%s); retrying in %.2fs", what,
                            type(exc).__name__, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, _RECORD_MAX_RETRY_S)

    def backoff(self, attempts: int, retry_after: float | None) -> float:
        """Seconds before the next try: the provider's word when it gave one,
        otherwise exponential with full jitter (so retries of many rows spread out)."""
        if retry_after is not None and retry_after >= 0:
            return min(retry_after, self._settings.max_delay_seconds)
        ceiling = min(
            self._settings.max_delay_seconds,
            self._settings.base_delay_seconds * (2 ** (attempts - 1)),
        )
        return float(ceiling / 2 + self._rng.uniform(0, ceiling / 2))


    # --- posts --------------------------------------------------------------------------

    async def _deliver_posts(self, posts: list[OutboundPost]) -> int:
        if not posts:
            return 0
        by_destination: dict[tuple[str, str], list[OutboundPost]] = defaultdict(list)
        for post in posts:
            by_destination[(post.destination, post.recipient)].append(post)
        outcomes = await asyncio.gather(
            *(self._post_in_order(group) for group in by_destination.values())
        )
        now = self._clock()

        async def record(conn: AsyncConnection) -> None:
            done = [p.post_id for group in outcomes for p, r in group
                    if isinstance(r, SendResult)]
            await outbox_store.finish(conn, done, now=now)
            for group in outcomes:
                for post, result in group:
                    if not isinstance(result, SendResult):
                        await self._record_post_failure(conn, post, result, now)

        await self._record(record, "posts")
        return len(posts)

    async def _post_in_order(
        self, posts: list[OutboundPost]
    ) -> list[tuple[OutboundPost, SendResult | Exception | None]]:
        """As `_send_in_order`: a later post never overtakes one being retried."""
        outcomes: list[tuple[OutboundPost, SendResult | Exception | None]] = []
        for index, post in enumerate(posts):
            result = await self._post_one(post)
            outcomes.append((post, result))
            if isinstance(result, TransientDeliveryError):
                outcomes.extend((later, None) for later in posts[index + 1 :])
                break
        return outcomes

    async def _post_one(self, post: OutboundPost) -> SendResult | Exception:
        destination = self._destinations.get(post.destination)
        if destination is None:
            return PermanentDeliveryError(f"no destination named {post.destination!r}")
        try:
            return await destination.deliver(post)
        except (TransientDeliveryError, PermanentDeliveryError) as exc:
            return exc
        except Exception as exc:  # a destination bug: retry, the provider may be fine
            log.exception("%s raised while delivering post %s", post.destination, post.post_id)
            return TransientDeliveryError(f"{type(exc).__name__}: {exc}")

    async def _record_post_failure(
        self, conn: AsyncConnection, post: OutboundPost, result: Exception | None,
        now: datetime,
    ) -> None:
        retry_in, failed = await self._retry_or_fail(conn, post.post_id, post.attempts,
                                                     result, now)
        if retry_in is not None:
            log.info("%s post %s retried in %.2fs: %s", post.destination, post.post_id,
                     retry_in, getattr(result, "reason", ""))
        elif failed is not None:
            log.warning("%s post %s (%s) failed: %s", post.destination, post.post_id,
                        post.kind, failed)
