"""The knowledge base's editorial parts (issue #13), wired beside the rest: the editor
and its REST API, model publishing, the unanswered-question inbox. They see a signed-in
person through a `StaffDoor` built here from handoff's log-in, never handoff itself."""

from __future__ import annotations

from collections.abc import Sequence

from fastapi import Depends

from relevo.app.models import engine_settings, models_from_articles
from relevo.app.parts import Assembly, Lifecycle
from relevo.app.settings import Settings
from relevo.bot.bus import InProcessBus
from relevo.bot.metrics import Metrics
from relevo.bot.models import LiveModels, Models
from relevo.bot.roles import Staff, StaffDoor
from relevo.bot.store.db import Database
from relevo.handoff.desk import HandoffDesk
from relevo.handoff.http import operator_dependency
from relevo.handoff.operators import OperatorState
from relevo.handoff.service import Handoff
from relevo.knowledge_base.articles import Article
from relevo.knowledge_base.models_api import models_api
from relevo.knowledge_base.preview import Previewer
from relevo.knowledge_base.publishing import Build, PublishedArticles, Publisher


def staff_door(handoff: Handoff, desk: HandoffDesk) -> StaffDoor:
    """"Who is asking?" for routes outside handoff: an operator's API token or console
    session (same rules as the operator API), as a `Staff`."""
    current = operator_dependency(desk, handoff)

    async def staff(operator: OperatorState = Depends(current)) -> Staff:
        return Staff(operator.id, operator.name, operator.kind, frozenset({operator.role}))

    return staff


def add_knowledge_base(
    assembly: Assembly, settings: Settings, database: Database, bus: InProcessBus,
    models: LiveModels, staff: StaffDoor, *, metrics: Metrics | None = None,
) -> None:
    """The editor, its API, publishing and the inbox: each part adds its routes and
    lifecycles to `assembly` here."""
    add_publishing(assembly, settings, database, bus, models, staff, metrics or Metrics())


def add_publishing(
    assembly: Assembly, settings: Settings, database: Database, bus: InProcessBus,
    models: LiveModels, staff: StaffDoor, metrics: Metrics,
    published_articles: PublishedArticles | None = None,
) -> tuple[Publisher, Previewer]:
    """Background retrain + swap, preview and replay, `/api/kb/{preview,replay,models}`.
    `published_articles`: the editorial store's (`Editorial.published_articles` once it
    lands); until then, the published articles of the knowledge base being served."""
    published = published_articles or _served_articles(models)
    publisher = Publisher(database, bus, models, build=_builder(settings, metrics),
                          published_articles=published)
    # Drafts are trained aside and never saved over the served model's cache file.
    previewer = Previewer(models, database, build=_builder(_unsaved(settings), metrics),
                          published_articles=published, settings=engine_settings(settings))
    assembly.routers.append(models_api(database, publisher, previewer, staff))
    assembly.lifecycles.append(Lifecycle("kb-publishing", publisher.start, publisher.stop))
    return publisher, previewer


def _builder(settings: Settings, metrics: Metrics) -> Build:
    async def build(articles: Sequence[Article]) -> Models:
        return await models_from_articles(settings, articles, metrics)

    return build


def _unsaved(settings: Settings) -> Settings:
    nlu = settings.nlu.model_copy(update={"model_path": ""})
    return settings.model_copy(update={"nlu": nlu})


def _served_articles(models: LiveModels) -> PublishedArticles:
    async def published() -> list[Article]:
        listed = getattr(models.current.knowledge_base, "articles", None)
        found = listed() if callable(listed) else []
        return [a for a in found if isinstance(a, Article) and a.is_published]

    return published
