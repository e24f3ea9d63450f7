"""Loads the models relevo serves at start-up: the knowledge base (the configured folder
of articles, the demo shop's by default) and the configured NLU backend (embedded,
Rasa, or none) trained on it."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from relevo.app.settings import Settings
from relevo.bot.deciding import EngineSettings
from relevo.bot.metrics import Metrics
from relevo.bot.models import Models
from relevo.bot.protocols import NLU, KnowledgeBase, LanguageDetector
from relevo.bot.text import language_of
from relevo.knowledge_base.articles import DEMO_CONTENT_DIR, Article, load_dir
from relevo.knowledge_base.memory import InMemoryKnowledgeBase

if TYPE_CHECKING:  # numpy and the model code load only when a model is built
    from relevo.nlu.trainer import Trainer

log = logging.getLogger("relevo.nlu")


async def build_nlu(
    settings: Settings, knowledge_base: KnowledgeBase | None, metrics: Metrics,
    trainer: Trainer | None = None,
) -> NLU | None:
    if settings.nlu.backend == "none":
        log.info("no NLU configured: every message is handed to a person")
        return None
    from relevo.knowledge_base.training import examples_from_articles
    from relevo.nlu.model_cache import load_or_train, model_path

    articles = getattr(knowledge_base, "articles", None)
    examples = examples_from_articles(articles()) if callable(articles) else []
    embedded: NLU | None = None
    if examples:
        # The model saved by the last training, if its data is unchanged; else trained
        # (seconds of CPU, off the event loop) and saved for the next start.
        ready = await asyncio.to_thread(
            load_or_train, examples, settings.nlu, model_path(settings.nlu), trainer=trainer
        )
        log.info("nlu model %s", f"loaded from {ready.path}" if ready.loaded else "trained")
        embedded = ready.engine
    if settings.nlu.backend == "embedded":
        return embedded
    from relevo.nlu.rasa import RasaNLU

    rasa = RasaNLU(
        settings.nlu.rasa,
        token=settings.nlu.rasa.token.get_secret_value() if settings.nlu.rasa.token else None,
        fallback=embedded if settings.nlu.rasa.on_failure == "embedded" else None,
        metrics=metrics,
    )
    await rasa.start()
    return rasa


def build_language(settings: Settings, knowledge_base: KnowledgeBase | None) -> LanguageDetector:
    """The shop's language detector: built-in function words plus the knowledge base's
    questions tagged with a locale, for the configured `languages` only. relevo reads the
    shopper's language with it whatever the NLU backend (Rasa's parse has no locale)."""
    from relevo.knowledge_base.training import examples_from_articles
    from relevo.nlu.langid import LanguageDetector as WordDetector

    articles = getattr(knowledge_base, "articles", None)
    examples = examples_from_articles(articles()) if callable(articles) else []
    return WordDetector.fit(examples, settings.languages, language_of(settings.default_locale))


async def load_models(
    settings: Settings, given: Models, metrics: Metrics,
    articles: Sequence[Article] | None = None, trainer: Trainer | None = None,
) -> Models:
    """What to serve: the models given (tests' fakes), else the configured ones; the
    knowledge base is `articles` (the database's published ones) when given, else the
    configured folder's."""
    knowledge_base = given.knowledge_base or (
        InMemoryKnowledgeBase(articles) if articles is not None
        else load_knowledge_base(settings))
    nlu = given.nlu or await build_nlu(settings, knowledge_base, metrics, trainer)
    return Models(nlu=nlu, knowledge_base=knowledge_base,
                  language=build_language(settings, knowledge_base))


async def models_from_articles(
    settings: Settings, articles: Sequence[Article], metrics: Metrics,
    trainer: Trainer | None = None,
) -> Models:
    """The models for exactly these articles (only the published ones answer): what a
    publish trains aside before swapping it in, and what a preview parses with."""
    knowledge_base = InMemoryKnowledgeBase(articles)
    nlu = await build_nlu(settings, knowledge_base, metrics, trainer)
    return Models(nlu=nlu, knowledge_base=knowledge_base,
                  language=build_language(settings, knowledge_base))


def engine_settings(settings: Settings) -> EngineSettings:
    """The engine's thresholds from the configuration (the preview decides with them)."""
    return EngineSettings(default_locale=settings.default_locale, languages=settings.languages,
                          clarify_margin=settings.nlu.clarify_margin,
                          low_confidence=settings.nlu.low_confidence,
                          log_shopper_text=settings.log_shopper_text)


def load_knowledge_base(settings: Settings) -> KnowledgeBase:
    """The configured folder's articles as files say them (tools and tests; `relevo run`
    serves the database's published articles, seeded from this folder)."""
    directory = Path(settings.knowledge_base.content_dir or DEMO_CONTENT_DIR)
    articles = load_dir(directory)
    log.info("knowledge base: %d articles from %s", len(articles), directory)
    return InMemoryKnowledgeBase(articles)
