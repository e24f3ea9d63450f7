"""The knowledge base's editorial parts (issue #13), wired beside the rest: the articles'
editorial service and its REST API, live publishing (background retrain + swap, preview,
regression replay), the unanswered-question inbox. They see a signed-in person through a
`StaffDoor` built here from handoff's log-in, never handoff itself."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from functools import partial
from pathlib import Path

from fastapi import Depends

from relevo.app.models import engine_settings, models_from_articles
from relevo.app.parts import Assembly, Lifecycle
from relevo.app.settings import Settings
from relevo.bot import formatting
from relevo.bot.bus import InProcessBus
from relevo.bot.metrics import Metrics
from relevo.bot.models import LiveModels, Models
from relevo.bot.roles import Staff, StaffDoor
from relevo.bot.store.db import Database
from relevo.handoff.desk import HandoffDesk
from relevo.handoff.http import operator_dependency
from relevo.handoff.operators import OperatorState
from relevo.handoff.service import Handoff
from relevo.knowledge_base.api import kb_articles_router
from relevo.knowledge_base.articles import DEMO_CONTENT_DIR, Article
from relevo.knowledge_base.editor import editor_router
from relevo.knowledge_base.editorial import Editorial, Hook, published_articles
from relevo.knowledge_base.inbox import UnansweredInbox
from relevo.knowledge_base.inbox_api import inbox_router
from relevo.knowledge_base.models_api import models_api
from relevo.knowledge_base.preview import Previewer
from relevo.knowledge_base.publishing import Build, PublishedArticles, Publisher
from relevo.nlu.trainer import Trainer

log = logging.getLogger("relevo.knowledge_base")


def staff_door(handoff: Handoff, desk: HandoffDesk) -> StaffDoor:
    """"Who is asking?" for routes outside handoff: an operator's API token or console
    session (same rules as the operator API), as a `Staff` with every role they hold."""
    current = operator_dependency(desk, handoff)

    async def staff(operator: OperatorState = Depends(current)) -> Staff:
        return Staff(operator.id, operator.name, operator.kind, frozenset(operator.roles))

    return staff


def add_knowledge_base(
    assembly: Assembly, settings: Settings, database: Database, bus: InProcessBus,
    models: LiveModels, staff: StaffDoor, *, metrics: Metrics, trainer: Trainer,
) -> Editorial:
    """The articles' owner (start-up seeds it and serves its published articles), live
    publishing fed by it, and the inbox. A publish replays the affected questions
    first, then asks for a background retrain; answers are checked against the safe
    formatting subset."""
    publisher, previewer = add_publishing(
        assembly, settings, database, bus, models, staff, metrics, trainer,
        published_articles=partial(published_articles, database))
    editorial = Editorial(database, bus, answer_check=formatting.problems,
                          check_regressions=previewer.regressions,
                          on_published=_retrain(publisher))
    assembly.routers.append(kb_articles_router(editorial, staff))
    assembly.routers.append(editor_router())
    add_inbox(assembly, settings, database, bus, staff)
    return editorial


async def served_articles(editorial: Editorial, settings: Settings) -> list[Article]:
    """What shoppers are served at start-up: the database's published articles, after
    a first start seeded it from `knowledge_base.content_dir` (the demo shop's)."""
    directory = Path(settings.knowledge_base.content_dir or DEMO_CONTENT_DIR)
    if await editorial.seed_from(directory):
        log.info("knowledge base: seeded from %s", directory)
    return await editorial.published_articles()


def add_inbox(
    assembly: Assembly, settings: Settings, database: Database, bus: InProcessBus,
    staff: StaffDoor,
) -> UnansweredInbox:
    """The unanswered-question inbox: files the bus's `BotMissed` into clusters, accepts
    proposals on `ArticlePublished`, and serves `/api/kb/clusters…`."""
    inbox = UnansweredInbox(database, bus, settings.knowledge_base.inbox)
    assembly.lifecycles.append(Lifecycle("kb-inbox", inbox.start, inbox.stop))
    assembly.routers.append(inbox_router(inbox, staff, settings.languages))
    return inbox


def add_publishing(
    assembly: Assembly, settings: Settings, database: Database, bus: InProcessBus,
    models: LiveModels, staff: StaffDoor, metrics: Metrics, trainer: Trainer,
    published_articles: PublishedArticles,
) -> tuple[Publisher, Previewer]:
    """Background retrain + swap, preview and replay, `/api/kb/{preview,replay,models}`."""
    publisher = Publisher(database, bus, models, build=_builder(settings, metrics, trainer),
                          published_articles=published_articles)
    # Drafts are trained aside and never saved over the served model's cache file.
    previewer = Previewer(models, database,
                          build=_builder(_unsaved(settings), metrics, trainer),
                          published_articles=published_articles,
                          settings=engine_settings(settings))
    assembly.routers.append(models_api(database, publisher, previewer, staff))
    assembly.lifecycles.append(Lifecycle("kb-publishing", publisher.start, publisher.stop))
    return publisher, previewer


def _retrain(publisher: Publisher) -> Hook:
    async def request() -> None:
        publisher.request()

    return request


def _builder(settings: Settings, metrics: Metrics, trainer: Trainer) -> Build:
    async def build(articles: Sequence[Article]) -> Models:
        return await models_from_articles(settings, articles, metrics, trainer)

    return build


def _unsaved(settings: Settings) -> Settings:
    nlu = settings.nlu.model_copy(update={"model_path": ""})
    return settings.model_copy(update={"nlu": nlu})
