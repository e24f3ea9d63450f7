"""Delivery through the outbox: retries, Retry-After, failures, restarts."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from relevo.bot.bus import InProcessBus
from relevo.bot.config import OutboxSettings
from relevo.bot.metrics import Metrics
from relevo.bot.outbox import OutboxWorker
from relevo.bot.store import contacts as contact_store
from relevo.bot.store import conversations as conversation_store
from relevo.bot.store import messages as message_store
from relevo.bot.store import outbox as outbox_store
from relevo.bot.store.db import Database
from relevo.bot.store.migrate import upgrade
from relevo.bot.store.schema import messages, outbox
from relevo.bot.types import (
    Author,
    AuthorKind,
    DeliveryError,
    DeliveryStatus,
    OutboundMessage,
    SendResult,
)
from tests.fakes.channel import ScriptedChannel, rate_limited, refused, server_error

START = datetime(2026, 11, 24, 22, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
async def database(database_url: str) -> AsyncIterator[Database]:
    db = Database(database_url)
    await upgrade(db)
    yield db
    await db.close()


async def queue_replies(database: Database, count: int = 1, recipient: str = "u1") -> list[int]:
    async with database.write() as conn:
        identity = await contact_store.resolve_identity(conn, "fake", recipient, now=START)
        conversation, _ = await conversation_store.open_for_contact(
            conn, identity.contact_id, channel="fake", locale="en", now=START
        )
        return [
            await message_store.insert_outbound(
                conn,
                conversation_id=conversation.id,
                contact_id=identity.contact_id,
                channel="fake",
                recipient=recipient,
                author=Author(AuthorKind.BOT),
                text=f"reply {i}",
                locale="en",
                now=START,
            )
            for i in range(count)
        ]


def worker_for(
    database: Database, channel: ScriptedChannel, clock: Clock, **settings: float
) -> tuple[OutboxWorker, Metrics]:
    metrics = Metrics()
    worker = OutboxWorker(
        database, {"fake": channel}, InProcessBus(), metrics,
        OutboxSettings(**settings),  # type: ignore[arg-type]
        clock=clock, rng=random.Random(7),
    )
    return worker, metrics


async def delivery(database: Database, message_id: int) -> tuple[str, str | None, str, int]:
    async with database.read() as conn:
        row = (
            await conn.execute(
                sa.select(
                    messages.c.delivery_status, messages.c.delivery_error,
                    outbox.c.status, outbox.c.attempts,
                )
                .join(outbox, outbox.c.message_id == messages.c.id)
                .where(messages.c.id == message_id)
            )
        ).one()
    return row[0], row[1], row[2], row[3]


async def run_until_quiet(worker: OutboxWorker, clock: Clock, rounds: int = 20) -> None:
    for _ in range(rounds):
        await worker.deliver_due()
        clock.advance(400)


async def test_two_server_errors_then_success_delivers_exactly_once(database: Database) -> None:
    clock = Clock()
    channel = ScriptedChannel(failures=[server_error(), server_error()])
    worker, metrics = worker_for(database, channel, clock)
    [message_id] = await queue_replies(database)
    await run_until_quiet(worker, clock)
    assert channel.attempts == [message_id] * 3
    assert [m.message_id for m in channel.delivered] == [message_id]
    assert await delivery(database, message_id) == ("sent", None, "done", 3)
    assert metrics.value("relevo_delivery_retries_total", channel="fake") == 2
    async with database.read() as conn:
        count = (await conn.execute(sa.select(sa.func.count()).select_from(messages))).scalar()
    assert count == 1  # retries never create another message


async def test_backoff_grows_and_waits_before_retrying(database: Database) -> None:
    clock = Clock()
    channel = ScriptedChannel(failures=[server_error(), server_error()])
    worker, _ = worker_for(database, channel, clock, base_delay_seconds=10)
    await queue_replies(database)
    await worker.deliver_due()
    await worker.deliver_due()  # not due yet: nothing is sent
    assert len(channel.attempts) == 1
    clock.advance(10)  # first delay is within [5, 10]
    await worker.deliver_due()
    assert len(channel.attempts) == 2
    clock.advance(9)  # second delay is within [10, 20]: not due after 9 s
    await worker.deliver_due()
    assert len(channel.attempts) == 2
    clock.advance(11)
    await worker.deliver_due()
    assert len(channel.delivered) == 1


async def test_retry_after_from_a_429_is_honoured(database: Database) -> None:
    clock = Clock()
    channel = ScriptedChannel(failures=[rate_limited(30)])
    worker, _ = worker_for(database, channel, clock)
    await queue_replies(database)
    await worker.deliver_due()
    clock.advance(29)
    await worker.deliver_due()
    assert channel.delivered == []
    clock.advance(1)
    await worker.deliver_due()
    assert len(channel.delivered) == 1


async def test_a_permanent_refusal_is_marked_failed_with_the_providers_reason(
    database: Database,
) -> None:
    clock = Clock()
    channel = ScriptedChannel(failures=[refused()])
    worker, metrics = worker_for(database, channel, clock)
    [message_id] = await queue_replies(database)
    await run_until_quiet(worker, clock)
    status, error, row_status, _ = await delivery(database, message_id)
    assert (status, row_status) == ("failed", "failed")
    assert error == "HTTP 403: bot was blocked by the user"
    assert metrics.value("relevo_delivery_failures_total", channel="fake") == 1
    assert len(channel.attempts) == 1


async def test_gives_up_after_max_attempts(database: Database) -> None:
    clock = Clock()
    failures: list[DeliveryError] = [server_error() for _ in range(10)]
    channel = ScriptedChannel(failures=failures)
    worker, _ = worker_for(database, channel, clock, max_attempts=3)
    [message_id] = await queue_replies(database)
    await run_until_quiet(worker, clock)
    assert len(channel.attempts) == 3
    assert (await delivery(database, message_id))[2] == "failed"


async def test_a_later_message_never_overtakes_one_being_retried(database: Database) -> None:
    clock = Clock()
    channel = ScriptedChannel(failures=[server_error()])
    worker, _ = worker_for(database, channel, clock)
    ids = await queue_replies(database, count=3)
    await run_until_quiet(worker, clock)
    assert [m.message_id for m in channel.delivered] == ids


async def test_pending_rows_are_delivered_after_a_restart(database_url: str) -> None:
    clock = Clock()
    first = Database(database_url)
    await upgrade(first)
    ids = await queue_replies(first, count=2)
    # The process dies with a lease taken and nothing sent.
    async with first.write() as conn:
        await outbox_store.claim_due(
            conn, now=clock(), lease=timedelta(seconds=60), limit=10,
            is_postgres=not first.is_sqlite,
        )
    await first.close()

    restarted = Database(database_url)
    channel = ScriptedChannel()
    worker, _ = worker_for(restarted, channel, clock)
    await worker.deliver_due()
    assert channel.delivered == []  # the lease is still held by the dead process
    clock.advance(61)
    await worker.deliver_due()
    assert [m.message_id for m in channel.delivered] == ids
    await restarted.close()


async def test_backoff_is_capped_and_jittered() -> None:
    worker = OutboxWorker(
        Database("sqlite+aiosqlite:///:memory:"), {}, InProcessBus(), Metrics(),
        OutboxSettings(base_delay_seconds=1, max_delay_seconds=8), rng=random.Random(1),
    )
    delays = [worker.backoff(n, None) for n in range(1, 10)]
    assert all(0.5 <= d <= 1 for d in delays[:1])
    assert max(delays) <= 8
    assert len(set(delays)) == len(delays)
    assert worker.backoff(3, 42.0) == 8  # Retry-After is honoured up to the cap
    assert worker.backoff(3, 2.5) == 2.5


async def test_a_status_callback_that_beats_the_outbox_is_not_overwritten(
    database: Database,
) -> None:
    """The provider reports 'delivered' before the worker records its own 'sent'."""
    clock = Clock()

    class FastProvider(ScriptedChannel):
        async def send(self, message: OutboundMessage) -> SendResult:
            result = await super().send(message)
            async with database.write() as conn:  # the status webhook, meanwhile
                await message_store.set_delivery(conn, message.message_id,
                                                 DeliveryStatus.DELIVERED)
            return result

    worker, _ = worker_for(database, FastProvider(), clock)
    [message_id] = await queue_replies(database)
    await worker.deliver_due()
    status, _, row_status, _ = await delivery(database, message_id)
    assert (status, row_status) == ("delivered", "done")
