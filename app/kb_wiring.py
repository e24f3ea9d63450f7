"""The knowledge base's editorial parts (issue #13), wired beside the rest: the editor
and its REST API, model publishing, the unanswered-question inbox. They see a signed-in
person through a `StaffDoor` built here from handoff's log-in, never handoff itself."""

from __future__ import annotations

import logging
from pathlib import Path

from fastapi import Depends

from relevo.app.parts import Assembly, Lifecycle
from relevo.app.settings import Settings
from relevo.bot import formatting
from relevo.bot.bus import InProcessBus
from relevo.bot.models import LiveModels
from relevo.bot.roles import Staff, StaffDoor
from relevo.bot.store.db import Database
from relevo.handoff.desk import HandoffDesk
from relevo.handoff.http import operator_dependency
from relevo.handoff.operators import OperatorState
from relevo.handoff.service import Handoff
from relevo.knowledge_base.api import kb_articles_router
from relevo.knowledge_base.articles import DEMO_CONTENT_DIR, Article
from relevo.knowledge_base.editor import editor_router
from relevo.knowledge_base.editorial import Editorial
from relevo.knowledge_base.inbox import UnansweredInbox
from relevo.knowledge_base.inbox_api import inbox_router

log = logging.getLogger("relevo.knowledge_base")


def staff_door(handoff: Handoff, desk: HandoffDesk) -> StaffDoor:
    """"Who is asking?" for routes outside handoff: an operator's API token or console
    session (same rules as the operator API), as a `Staff`."""
    current = operator_dependency(desk, handoff)

    async def staff(operator: OperatorState = Depends(current)) -> Staff:
        return Staff(operator.id, operator.name, operator.kind, frozenset(operator.roles))

    return staff


def add_knowledge_base(
    assembly: Assembly, settings: Settings, database: Database, bus: InProcessBus,
    models: LiveModels, staff: StaffDoor,
) -> Editorial:
    """The editor, its API, publishing and the inbox: each part adds its routes and
    lifecycles to `assembly` here. Returns the editorial service (the articles' owner:
    start-up seeds it and serves its published articles)."""
    # Publishing's replay (`check_regressions`) and its retrain (`on_published`) plug in
    # here; answers are checked against the safe formatting subset.
    editorial = Editorial(database, bus, answer_check=formatting.problems)
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
