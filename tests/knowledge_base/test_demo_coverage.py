"""The demo knowledge base covers what shoppers ask: enough varied questions per article
and language, no question shared by two articles (even when accents, case and
punctuation differ), the account-profile and product-size articles, and delivery
promises that agree between the demo page and every article that states them."""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from importlib import resources

import pytest

from relevo.knowledge_base.articles import DEMO_CONTENT_DIR, Article, load_dir

LOCALES = ("en", "es")
MIN_QUESTIONS = 12


def fold(text: str) -> str:
    """Lower case, accents and punctuation dropped, single spaces: how a shopper's
    "¿Cómo cambio mi email?" and "como cambio mi email" compare as the same question."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(re.sub(r"[^\w\s]", " ", bare).split())


@pytest.fixture(scope="module")
def articles() -> dict[str, Article]:
    return {a.intent: a for a in load_dir(DEMO_CONTENT_DIR)}


def test_fold_ignores_accents_case_and_punctuation() -> None:
    assert fold("¿Cómo cambio el EMAIL?") == fold("como cambio el email")
    assert fold("cancelar pedido") != fold("cancelar cuenta")


def test_every_published_article_has_enough_questions_per_language(
    articles: dict[str, Article],
) -> None:
    short = {
        (intent, locale): len(article.questions.get(locale, ()))
        for intent, article in articles.items()
        if article.is_published
        for locale in LOCALES
        if len(article.questions.get(locale, ())) < MIN_QUESTIONS
    }
    assert short == {}


def test_no_folded_question_belongs_to_two_articles(articles: dict[str, Article]) -> None:
    owners: dict[str, set[str]] = defaultdict(set)
    for intent, article in articles.items():
        for questions in article.questions.values():
            for question in questions:
                owners[fold(question)].add(intent)
    assert {text: intents for text, intents in owners.items() if len(intents) > 1} == {}


@pytest.mark.parametrize(
    ("intent", "topic", "words"),
    [
        ("edit_account", "account", ("email", "phone", "Personal details")),
        ("product_sizes", "product", ("Specifications", "Size guide", "mm")),
    ],
)
def test_the_profile_and_size_articles_are_published(
    articles: dict[str, Article], intent: str, topic: str, words: tuple[str, ...]
) -> None:
    article = articles[intent]
    assert article.is_published and article.topic == topic
    assert all(article.title.get(locale) for locale in LOCALES)
    assert all(word in article.answer["en"] for word in words)


def _folded_questions(article: Article) -> set[str]:
    return {fold(q) for questions in article.questions.values() for q in questions}


def test_profile_details_moved_out_of_the_address_article(
    articles: dict[str, Article],
) -> None:
    # "change my email" used to be taught to change_address; it belongs to edit_account now.
    address_questions = _folded_questions(articles["change_address"])
    profile_questions = _folded_questions(articles["edit_account"])
    assert fold("How do I change the email on my account?") in profile_questions
    profile_word = re.compile(r"\b(email|correo|phone|telefono|name|nombre)\b")
    assert [q for q in address_questions if profile_word.search(q)] == []


# --- delivery promises --------------------------------------------------------------

# The demo page's shipping_times promises, as the figures the articles must repeat.
CUT_OFF = "14:00"
STANDARD_DAYS = "1–3"
# Articles that state the weekday cut-off for same-day dispatch / next-day delivery.
CUT_OFF_ARTICLES = ("shipping_times", "express_delivery")


def _page_shipping_promises() -> str:
    html = resources.files("relevo.channels.web.static").joinpath("index.html").read_text("utf-8")
    found = re.findall(r'<(\w+)[^>]*data-promise="shipping_times"[^>]*>(.*?)</\1>', html, re.DOTALL)
    return " ".join(re.sub(r"<[^>]+>", " ", text) for _, text in found)


def test_the_page_still_promises_the_figures_checked_here() -> None:
    promised = _page_shipping_promises()
    assert CUT_OFF in promised and STANDARD_DAYS in promised


@pytest.mark.parametrize("locale", LOCALES)
def test_delivery_articles_agree_with_the_page(articles: dict[str, Article], locale: str) -> None:
    assert STANDARD_DAYS in articles["shipping_times"].answer[locale]
    for intent in CUT_OFF_ARTICLES:
        answer = articles[intent].answer[locale]
        hours = set(re.findall(r"\b\d{1,2}:\d{2}\b", answer))
        assert CUT_OFF in hours, (intent, locale)
        # No other weekday cut-off than the page's: express may add its own same-day one.
        assert hours - {CUT_OFF, "12:00", "17:00", "22:00"} == set(), (intent, locale, hours)
