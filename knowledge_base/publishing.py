"""Live publishing: retrain in the background, swap the served models atomically, and
let every process know.

A publish calls `Publisher.request()`, which returns at once. One training runs at a
time; requests arriving during it coalesce into one more training after it (it reads
the published articles when it starts, so it includes them all). Each training is a
`kb_models` row (training → ready | failed): the version is the row id. A ready model is
swapped into `LiveModels` (one reference assignment: requests in flight keep the models
they started with, none waits) and `ModelPublished(version)` goes on the bus. A failed
training keeps the old model serving and records why.

Other processes hear the event (and read the newest ready version at start-up) and
rebuild the models from the published articles: the embedded NLU's model cache makes
that a load when the training data is unchanged.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import sqlalchemy as sa

from relevo.bot.bus import InProcessBus
from relevo.bot.clock import Clock, utc_now
from relevo.bot.events import NO_CONVERSATION, ModelPublished
from relevo.bot.models import LiveModels, Models
from relevo.bot.store.db import Database
from relevo.bot.types import Event
from relevo.knowledge_base.articles import Article, article_to_mapping
from relevo.knowledge_base.schema import kb_models
from relevo.knowledge_base.training import examples_from_articles

log = logging.getLogger("relevo.kb.publishing")

# The models for exactly these (published) articles: trained aside, never served by it.
Build = Callable[[Sequence[Article]], Awaitable[Models]]
# The articles shoppers are served now (their published revisions).
PublishedArticles = Callable[[], Awaitable[list[Article]]]

MAX_ERROR_CHARS = 2000


def fingerprint(articles: Sequence[Article]) -> str:
    """Of the training data and answers: equal for equal published knowledge bases."""
    content = [article_to_mapping(a) for a in sorted(articles, key=lambda a: a.intent)]
    encoded = json.dumps(content, sort_keys=True, ensure_ascii=False).encode()
    return hashlib.sha256(encoded).hexdigest()


class Publisher:
    """Trains and serves new model versions; see the module's docstring."""

    def __init__(
        self,
        database: Database,
        bus: InProcessBus,
        models: LiveModels,
        *,
        build: Build,
        published_articles: PublishedArticles,
        clock: Clock = utc_now,
    ) -> None:
        self._db = database
        self._bus = bus
        self._models = models
        self._build = build
        self._published_articles = published_articles
        self._clock = clock
        self._served: int | None = None  # the version this process serves, if any
        self._task: asyncio.Task[None] | None = None
        self._again = False
        self._requested_by = "relevo"
        self._swap = asyncio.Lock()
        self._subscription: Any = None

    @property
    def served_version(self) -> int | None:
        return self._served

    @property
    def training(self) -> bool:
        return self._task is not None and not self._task.done()

    async def start(self) -> None:
        """Listen for other processes' versions, then serve the newest ready one."""
        self._subscription = self._bus.subscribe(self._on_event, name="kb-models")
        await self.load_newest()

    async def stop(self) -> None:
        if self._subscription is not None:
            await self._subscription.close()
            self._subscription = None
        task, self._task = self._task, None
        if task is not None and not task.done():
            task.cancel()
            try:
                await task
            except asyncio.CancelledError:
                pass

    def request(self, actor_name: str = "relevo") -> None:
        """Ask for a retrain from the published articles; returns at once."""
        self._requested_by = actor_name
        if self.training:
            self._again = True  # one more after the running one, however many ask
            return
        self._task = asyncio.create_task(self._run(), name="relevo-kb-training")

    async def join(self) -> None:
        """Wait until no training is running or scheduled (tests, the benchmark)."""
        while self._task is not None and not self._task.done():
            await asyncio.shield(self._task)

    async def _run(self) -> None:
        while True:
            self._again = False
            try:
                await self._train_once(self._requested_by)
            except asyncio.CancelledError:
                raise
            except Exception:  # storage trouble: the next request tries again
                log.exception("model publishing failed")
            if not self._again:
                return

    async def _train_once(self, actor_name: str) -> None:
        articles = await self._published_articles()
        examples = len(examples_from_articles(articles))
        async with self._db.write() as conn:
            version = int((await conn.execute(sa.insert(kb_models).values(
                status="training", fingerprint=fingerprint(articles), articles=len(articles),
                examples=examples, actor_name=actor_name, created_at=self._clock(),
            ).returning(kb_models.c.version))).scalar_one())
        started = time.perf_counter()
        try:
            built = await self._build(articles)
        except asyncio.CancelledError:
            await self._finish(version, "failed", error="interrupted: the server stopped")
            raise
        except Exception as exc:
            # The text may quote an article, never a shopper: it goes to the table only.
            await self._finish(version, "failed", error=_describe(exc))
            log.error("model version %d failed to train (%s): the previous model keeps "
                      "serving", version, type(exc).__name__)
            return
        seconds = time.perf_counter() - started
        async with self._swap:
            await self._finish(version, "ready", seconds=seconds)
            self._serve(version, built)
        log.info("model version %d serving: %d articles, %d examples, trained in %.1f s",
                 version, len(articles), examples, seconds)
        await self._bus.publish(ModelPublished(NO_CONVERSATION, self._clock(), version))

    def _serve(self, version: int, built: Models) -> None:
        if self._served is not None and version < self._served:
            return  # a newer version (another process's) already serves
        self._models.publish(built)
        self._served = version

    async def _finish(
        self, version: int, status: str, *, seconds: float | None = None, error: str | None = None
    ) -> None:
        async with self._db.write() as conn:
            await conn.execute(sa.update(kb_models).where(kb_models.c.version == version).values(
                status=status, train_seconds=seconds, error=error, finished_at=self._clock()))

    async def _on_event(self, event: Event) -> None:
        if isinstance(event, ModelPublished) and event.version > (self._served or 0):
            await self.load_newest()

    async def load_newest(self) -> int | None:
        """Serve the newest ready version if it is newer than the served one (another
        process trained it): rebuilt from the published articles. Its version."""
        async with self._db.read() as conn:
            newest = (await conn.execute(
                sa.select(sa.func.max(kb_models.c.version)).where(kb_models.c.status == "ready")
            )).scalar_one_or_none()
        if newest is None or newest <= (self._served or 0):
            return self._served
        try:
            built = await self._build(await self._published_articles())
        except Exception as exc:
            log.error("model version %d could not be loaded (%s): the previous model keeps "
                      "serving", newest, type(exc).__name__)
            return self._served
        async with self._swap:
            self._serve(int(newest), built)
        log.info("model version %d loaded", newest)
        return self._served


def _describe(exc: BaseException) -> str:
    text = f"{type(exc).__name__}: {exc}".strip().rstrip(":")
    return text[:MAX_ERROR_CHARS]
