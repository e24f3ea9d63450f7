"""`InMemoryKnowledgeBase` and the NLU training feed."""

from __future__ import annotations

from dataclasses import replace

import pytest

from relevo.bot.protocols import KnowledgeBase
from relevo.knowledge_base.articles import DEMO_CONTENT_DIR, Article, load_dir
from relevo.knowledge_base.memory import InMemoryKnowledgeBase
from relevo.knowledge_base.training import examples_from_articles


def _article(intent: str, locales: tuple[str, ...], status: str = "published") -> Article:
    return Article(
        intent=intent,
        topic="shipping",
        tags=(),
        status=status,
        title={loc: f"{intent} title {loc}" for loc in locales},
        questions={loc: (f"{intent} question {loc}",) for loc in locales},
        answer={loc: f"{intent} answer {loc}" for loc in locales},
    )


@pytest.fixture
def kb() -> InMemoryKnowledgeBase:
    return InMemoryKnowledgeBase(
        [
            _article("bilingual", ("en", "es")),
            _article("spanish_only", ("es",)),
            _article("two_others", ("pt", "de")),
            _article("draft", ("en", "es"), status="draft"),
        ]
    )


def test_satisfies_the_protocol(kb: InMemoryKnowledgeBase) -> None:
    seam: KnowledgeBase = kb
    assert seam.answer("bilingual", "en") == "bilingual answer en"


def test_answer_in_requested_locale(kb: InMemoryKnowledgeBase) -> None:
    assert kb.answer("bilingual", "es") == "bilingual answer es"
    assert kb.title("bilingual", "es") == "bilingual title es"


def test_regional_locale_uses_its_language(kb: InMemoryKnowledgeBase) -> None:
    assert kb.answer("bilingual", "es-MX") == "bilingual answer es"
    assert kb.answer("bilingual", "es_AR") == "bilingual answer es"


def test_missing_locale_falls_back_to_english(kb: InMemoryKnowledgeBase) -> None:
    assert kb.answer("bilingual", "fr") == "bilingual answer en"
    assert kb.title("bilingual", "fr") == "bilingual title en"


def test_without_english_falls_back_to_any_locale(kb: InMemoryKnowledgeBase) -> None:
    assert kb.answer("spanish_only", "en") == "spanish_only answer es"
    assert kb.answer("two_others", "fr") == "two_others answer de"


def test_unpublished_and_unknown_intents_have_no_answer(kb: InMemoryKnowledgeBase) -> None:
    for intent in ("draft", "nope"):
        assert kb.answer(intent, "en") is None
        assert kb.title(intent, "en") is None
        assert kb.topic(intent) is None
    draft = kb.get("draft")
    assert draft is not None and draft.status == "draft"


def test_topic_articles_and_get(kb: InMemoryKnowledgeBase) -> None:
    assert kb.topic("bilingual") == "shipping"
    assert [a.intent for a in kb.articles()] == ["bilingual", "draft", "spanish_only", "two_others"]
    assert kb.get("nope") is None
    assert "bilingual" in kb and len(kb) == 4


def test_duplicate_intent_is_refused() -> None:
    with pytest.raises(ValueError, match="defined twice"):
        InMemoryKnowledgeBase([_article("a", ("en",)), _article("a", ("es",))])


def test_demo_kb_answers_every_intent_in_both_languages() -> None:
    kb = InMemoryKnowledgeBase(load_dir(DEMO_CONTENT_DIR))
    assert kb.topic("human_handoff") == "handoff"
    for article in kb.articles():
        assert kb.answer(article.intent, "es") == article.answer["es"]
        assert kb.answer(article.intent, "en") == article.answer["en"]


def test_training_examples_skip_unpublished_articles() -> None:
    published = _article("bilingual", ("en", "es"))
    articles = [
        published,
        replace(published, intent="in_review", status="in_review"),
        replace(published, intent="archived", status="archived"),
    ]
    examples = examples_from_articles(articles)
    assert {(e.text, e.intent, e.locale) for e in examples} == {
        ("bilingual question en", "bilingual", "en"),
        ("bilingual question es", "bilingual", "es"),
    }
