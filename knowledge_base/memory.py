"""A `KnowledgeBase` held in memory: the embedded default and the test double."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from relevo.bot.text import language_of
from relevo.knowledge_base.articles import Article

FALLBACK_LOCALE = "en"


def _pick(texts: Mapping[str, str], locale: str) -> str | None:
    """The text for `locale`, else its base language (`es-MX` → `es`), else English,
    else the first locale alphabetically, so a shopper always gets some answer."""
    if not texts:
        return None
    base = language_of(locale) or locale
    for candidate in (locale, base, FALLBACK_LOCALE):
        if candidate in texts:
            return texts[candidate]
    return texts[min(texts)]


class InMemoryKnowledgeBase:
    """Implements `bot.protocols.KnowledgeBase` over a fixed list of articles.

    `answer`, `title` and `topic` only see published articles; `get` and `articles`
    see every status (editors and exports need drafts too).
    """

    def __init__(self, articles: Iterable[Article]) -> None:
        by_intent: dict[str, Article] = {}
        for article in articles:
            if article.intent in by_intent:
                raise ValueError(f"intent {article.intent!r} is defined twice")
            by_intent[article.intent] = article
        self._by_intent = dict(sorted(by_intent.items()))

    def articles(self) -> list[Article]:
        return list(self._by_intent.values())

    def get(self, intent: str) -> Article | None:
        return self._by_intent.get(intent)

    def _published(self, intent: str) -> Article | None:
        article = self._by_intent.get(intent)
        return article if article is not None and article.is_published else None

    def answer(self, intent: str, locale: str) -> str | None:
        article = self._published(intent)
        return None if article is None else _pick(article.answer, locale)

    def title(self, intent: str, locale: str) -> str | None:
        article = self._published(intent)
        return None if article is None else _pick(article.title, locale)

    def topic(self, intent: str) -> str | None:
        article = self._published(intent)
        return None if article is None else article.topic

    def __len__(self) -> int:
        return len(self._by_intent)

    def __contains__(self, intent: object) -> bool:
        return intent in self._by_intent
