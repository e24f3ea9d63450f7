"""Builds the configured NLU backend (embedded, Rasa, or none) at start-up."""

from __future__ import annotations

import logging
import os

from relevo.app.settings import Settings
from relevo.bot.metrics import Metrics
from relevo.bot.protocols import NLU, KnowledgeBase

log = logging.getLogger("relevo.nlu")


async def build_nlu(
    settings: Settings, knowledge_base: KnowledgeBase | None, metrics: Metrics
) -> NLU | None:
    if settings.nlu.backend == "none":
        log.info("no NLU configured: every message is handed to a person")
        return None
    from relevo.knowledge_base.training import examples_from_articles
    from relevo.nlu.embedded import EmbeddedNLU

    articles = getattr(knowledge_base, "articles", None)
    examples = examples_from_articles(articles()) if callable(articles) else []
    embedded: NLU | None = None
    if examples:
        engine = EmbeddedNLU(settings.nlu)
        await engine.train(examples)
        embedded = engine
    if settings.nlu.backend == "embedded":
        return embedded
    from relevo.nlu.rasa import RasaNLU

    rasa = RasaNLU(
        settings.nlu.rasa,
        token=os.environ.get("RELEVO_NLU__RASA__TOKEN") or os.environ.get("RELEVO_RASA_TOKEN"),
        fallback=embedded if settings.nlu.rasa.on_failure == "embedded" else None,
        metrics=metrics,
    )
    await rasa.start()
    return rasa
