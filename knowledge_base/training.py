"""The NLU's training feed: every question variant of every published article."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from relevo.bot.nlu_types import TrainingExample
from relevo.knowledge_base.articles import DEMO_CONTENT_DIR, Article, load_dir


def examples_from_articles(articles: Iterable[Article]) -> list[TrainingExample]:
    """One example per question variant of each published article, with its locale."""
    return [
        TrainingExample(text=question, intent=article.intent, locale=locale)
        for article in articles
        if article.is_published
        for locale, questions in sorted(article.questions.items())
        for question in questions
    ]


def examples_from_dir(path: str | Path = DEMO_CONTENT_DIR) -> list[TrainingExample]:
    return examples_from_articles(load_dir(path))
