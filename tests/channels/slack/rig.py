"""Slack's parts built explicitly around a fake desk (tests/fakes/desk.py): the real
database (with Slack's migration branch), bus and outbox worker, the fake Slack Web
API, and an app that serves only `/slack/events`. No handoff tier is involved."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
from fastapi import FastAPI

from relevo.app.migrations import PACKAGE_MIGRATIONS
from relevo.bot.bus import InProcessBus
from relevo.bot.catalog import Catalog
from relevo.bot.config import OutboxSettings
from relevo.bot.metrics import Metrics
from relevo.bot.outbox import OutboxWorker
from relevo.bot.store import contacts as contact_store
from relevo.bot.store import conversations as conversation_store
from relevo.bot.store import outbox as outbox_store
from relevo.bot.store.db import Database
from relevo.bot.store.migrate import upgrade
from relevo.channels.slack import store as slack_store
from relevo.channels.slack.channel import SlackRuntime, make_client
from relevo.channels.slack.config import SlackSettings
from tests.channels.slack.support import CHANNEL, SECRET, TOKEN
from tests.fakes.desk import FakeDesk
from tests.fakes.slack_api import FakeSlack

NOW = datetime(2026, 3, 4, 10, 0, tzinfo=UTC)


@dataclass
class Rig:
    database: Database
    bus: InProcessBus
    desk: FakeDesk
    slack: SlackRuntime
    outbox: OutboxWorker
    client: httpx.AsyncClient

    async def settle(self, rounds: int = 200) -> None:
        """Until the acknowledged work, the bus and the outbox have nothing left."""
        for _ in range(rounds):
            await self.slack.jobs.join()
            await self.bus.drain()
            await self.outbox.deliver_due()
            async with self.database.read() as conn:
                waiting = await outbox_store.backlog(conn)
            if not waiting and not self.slack.jobs.running:
                return
        raise AssertionError("the Slack rig did not settle")

    async def conversation(self, user: str = "shopper-1") -> int:
        async with self.database.write() as conn:
            identity = await contact_store.resolve_identity(conn, "web", user, now=NOW)
            conversation, _ = await conversation_store.open_for_contact(
                conn, identity.contact_id, channel="web", locale="en", now=NOW
            )
        return conversation.id

    async def thread(self, conversation_id: int, ts: str) -> None:
        async with self.database.write() as conn:
            await slack_store.save_thread(conn, conversation_id, CHANNEL, ts,
                                          last_message_id=None, now=NOW)


@asynccontextmanager
async def slack_rig(database_url: str, fake: FakeSlack, **options: Any) -> AsyncIterator[Rig]:
    settings = SlackSettings(api_base_url=fake.api_url, bot_token=TOKEN, signing_secret=SECRET,
                             channel=CHANNEL, messages_per_second=1000.0, **options)
    database = Database(database_url)
    await upgrade(database, locations=PACKAGE_MIGRATIONS)
    bus = InProcessBus()
    desk = FakeDesk()
    destinations: dict[str, Any] = {}
    outbox = OutboxWorker(database, {}, bus, Metrics(), OutboxSettings(),
                          destinations=destinations)
    runtime = SlackRuntime(settings, database, desk, bus, make_client(settings), outbox.wake,
                           Catalog.load())
    destinations[runtime.poster.name] = runtime.poster
    app = FastAPI()
    app.include_router(runtime.router())
    await runtime.start()
    try:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://relevo.test") as client:
            yield Rig(database, bus, desk, runtime, outbox, client)
    finally:
        await runtime.stop()
        await bus.close()
        await database.close()
