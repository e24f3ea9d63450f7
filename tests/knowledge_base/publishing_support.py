"""Helpers of the publishing tests: articles in a line, a word-overlap NLU built from
them in no time (the embedded NLU's training takes seconds), builds that fail or wait
for the test's signal, and the published articles as a list the test changes."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Sequence

from relevo.bot.models import Models
from relevo.bot.nlu_types import IntentPrediction, ParseResult, TrainingExample
from relevo.knowledge_base.articles import Article
from relevo.knowledge_base.memory import InMemoryKnowledgeBase

FALLBACK = IntentPrediction("nlu_fallback", 0.0)


def article(
    intent: str, en: Sequence[str], answer: str, *, es: Sequence[str] = (),
    status: str = "published", topic: str = "product",
) -> Article:
    questions = {"en": tuple(en), **({"es": tuple(es)} if es else {})}
    title = intent.replace("_", " ").capitalize()
    return Article(intent=intent, topic=topic, tags=(), status=status,
                   title={loc: title for loc in questions},
                   questions=questions, answer={loc: answer for loc in questions})


def words(text: str) -> set[str]:
    return set(re.findall(r"\w+", text.lower()))


class WordsNLU:
    """Confidence: the best share of a question's words the message has (Jaccard)."""

    def __init__(self, articles: Sequence[Article]) -> None:
        self._questions = [(a.intent, words(q)) for a in articles if a.is_published
                           for qs in a.questions.values() for q in qs]

    async def parse(self, text: str, locale: str | None = None) -> ParseResult:
        said = words(text)
        best: dict[str, float] = {}
        for intent, question in self._questions:
            score = len(said & question) / len(said | question) if said | question else 0.0
            best[intent] = max(best.get(intent, 0.0), score)
        ranking = tuple(sorted((IntentPrediction(i, round(c, 4)) for i, c in best.items()
                                if c > 0), key=lambda p: -p.confidence))
        top = ranking[0] if ranking and ranking[0].confidence >= 0.6 else FALLBACK
        return ParseResult(text, top, ranking, (), locale or "en")

    async def train(self, examples: Sequence[TrainingExample]) -> None:
        return None


def words_models(articles: Sequence[Article]) -> Models:
    return Models(nlu=WordsNLU(articles), knowledge_base=InMemoryKnowledgeBase(articles))


class Builds:
    """The injected `build`: word-overlap models; fails while `failing` is set; waits
    for `gate` when one is given. Counts what it built."""

    def __init__(self) -> None:
        self.built: list[list[str]] = []
        self.failing: str | None = None
        self.gate: asyncio.Event | None = None
        self.started = asyncio.Event()

    async def __call__(self, articles: Sequence[Article]) -> Models:
        self.started.set()
        if self.gate is not None:
            await self.gate.wait()
        if self.failing:
            raise RuntimeError(self.failing)
        self.built.append(sorted(a.intent for a in articles))
        return words_models(articles)


class Published:
    """The injected `published_articles`: the articles the test says are published."""

    def __init__(self, articles: Sequence[Article]) -> None:
        self.articles = list(articles)

    async def __call__(self) -> list[Article]:
        return list(self.articles)


SHIPPING = article("shipping_times", ["how long does shipping take"],
                   "Orders arrive in 2-3 days.", es=["cuanto tarda el envio"])
RETURNS = article("returns_policy", ["how do i return an item"], "You have 30 days.")
GIFT = article("gift_wrap", ["do you offer gift wrapping"], "Yes, for 2 euros.")
