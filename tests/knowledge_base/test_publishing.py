"""Live publishing (knowledge_base/publishing.py): a retrain in the background becomes a
version row and the served models; a failed one keeps the old model and says why;
requests coalesce; other processes pick the version up from the bus and at start-up.
Real SQLite and PostgreSQL; the build is injected (word-overlap models, instant)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator

import pytest
import sqlalchemy as sa

from relevo.app.migrations import PACKAGE_MIGRATIONS
from relevo.bot.bus import InProcessBus
from relevo.bot.events import ModelPublished
from relevo.bot.models import LiveModels
from relevo.bot.store.db import Database
from relevo.bot.store.migrate import upgrade
from relevo.bot.types import Event
from relevo.knowledge_base.publishing import Publisher
from relevo.knowledge_base.schema import kb_models
from tests.knowledge_base.publishing_support import (
    GIFT,
    RETURNS,
    SHIPPING,
    Builds,
    Published,
    words_models,
)
from tests.settle import wait_until


@pytest.fixture
async def database(database_url: str) -> AsyncIterator[Database]:
    db = Database(database_url)
    await upgrade(db, locations=PACKAGE_MIGRATIONS)
    yield db
    await db.close()


@pytest.fixture
async def bus() -> AsyncIterator[InProcessBus]:
    bus = InProcessBus()
    yield bus
    await bus.close()


async def versions(database: Database) -> list[dict[str, object]]:
    async with database.read() as conn:
        rows = (await conn.execute(sa.select(kb_models).order_by(kb_models.c.version))).all()
    return [dict(row._mapping) for row in rows]


async def answer(models: LiveModels, text: str) -> str | None:
    current = models.current
    assert current.nlu is not None and current.knowledge_base is not None
    parsed = await current.nlu.parse(text, "en")
    return current.knowledge_base.answer(parsed.intent.name, "en")


def publisher_for(
    database: Database, bus: InProcessBus, published: Published, builds: Builds,
) -> tuple[Publisher, LiveModels]:
    models = LiveModels(words_models(published.articles))
    return Publisher(database, bus, models, build=builds, published_articles=published), models


async def test_a_publish_trains_a_version_serves_it_and_announces_it(
    database: Database, bus: InProcessBus
) -> None:
    published, builds = Published([SHIPPING]), Builds()
    publisher, models = publisher_for(database, bus, published, builds)
    heard: list[Event] = []

    async def listen(event: Event) -> None:
        heard.append(event)

    bus.subscribe(listen, name="test")
    await publisher.start()
    assert await answer(models, "do you offer gift wrapping") is None

    published.articles.append(GIFT)
    publisher.request("Rita")
    await publisher.join()

    [row] = await versions(database)
    assert (row["status"], row["articles"], row["examples"], row["actor_name"]) == (
        "ready", 2, 3, "Rita")
    assert row["train_seconds"] is not None and row["finished_at"] is not None
    assert publisher.served_version == row["version"]
    assert await answer(models, "do you offer gift wrapping") == "Yes, for 2 euros."
    await bus.drain()
    assert [e for e in heard if isinstance(e, ModelPublished)] == [
        ModelPublished(0, heard[0].at, int(str(row["version"])))]
    await publisher.stop()


async def test_a_failed_training_keeps_the_old_model_and_records_why(
    database: Database, bus: InProcessBus, caplog: pytest.LogCaptureFixture
) -> None:
    published, builds = Published([SHIPPING]), Builds()
    publisher, models = publisher_for(database, bus, published, builds)
    await publisher.start()
    before = models.current
    builds.failing = "the vocabulary is empty"
    published.articles.append(GIFT)
    with caplog.at_level(logging.ERROR, logger="relevo.kb.publishing"):
        publisher.request()
        await publisher.join()

    [row] = await versions(database)
    assert row["status"] == "failed"
    assert row["error"] == "RuntimeError: the vocabulary is empty"
    assert models.current is before
    assert await answer(models, "how long does shipping take") == "Orders arrive in 2-3 days."
    [logged] = [r for r in caplog.records if r.name == "relevo.kb.publishing"]
    assert "failed to train" in logged.getMessage()
    assert "vocabulary" not in logged.getMessage()  # the reason is in the table only
    await publisher.stop()


async def test_requests_during_a_training_coalesce_into_one_more(
    database: Database, bus: InProcessBus
) -> None:
    published, builds = Published([SHIPPING]), Builds()
    publisher, models = publisher_for(database, bus, published, builds)
    await publisher.start()
    builds.gate = asyncio.Event()
    publisher.request()
    await wait_until(builds.started.is_set, "the first training to start")
    published.articles.append(RETURNS)
    for _ in range(3):
        publisher.request()
    published.articles.append(GIFT)
    assert publisher.training
    builds.gate.set()
    await publisher.join()

    rows = await versions(database)
    assert [r["status"] for r in rows] == ["ready", "ready"]
    assert builds.built == [["shipping_times"],
                            ["gift_wrap", "returns_policy", "shipping_times"]]
    assert publisher.served_version == rows[-1]["version"]
    assert await answer(models, "do you offer gift wrapping") == "Yes, for 2 euros."
    assert not publisher.training
    await publisher.stop()


async def test_another_process_picks_the_version_up_from_the_bus_and_at_start_up(
    database: Database, bus: InProcessBus
) -> None:
    published = Published([SHIPPING])
    first, _ = publisher_for(database, bus, published, Builds())
    other, other_models = publisher_for(database, bus, published, Builds())
    await first.start()
    await other.start()
    assert other.served_version is None

    published.articles.append(GIFT)
    first.request()
    await first.join()
    version = first.served_version
    assert version is not None
    await wait_until(lambda: other.served_version == version, "the other process to load it")
    assert await answer(other_models, "do you offer gift wrapping") == "Yes, for 2 euros."

    late, late_models = publisher_for(database, InProcessBus(), published, Builds())
    await late.start()  # a process started after the publish
    assert late.served_version == version
    assert await answer(late_models, "do you offer gift wrapping") == "Yes, for 2 euros."
    for publisher in (first, other, late):
        await publisher.stop()


async def test_stopping_mid_training_records_the_interruption(
    database: Database, bus: InProcessBus
) -> None:
    published, builds = Published([SHIPPING]), Builds()
    publisher, _models = publisher_for(database, bus, published, builds)
    await publisher.start()
    builds.gate = asyncio.Event()
    publisher.request()
    await wait_until(builds.started.is_set, "the training to start")
    await publisher.stop()

    [row] = await versions(database)
    assert (row["status"], row["error"]) == ("failed", "interrupted: the server stopped")
    assert publisher.served_version is None
