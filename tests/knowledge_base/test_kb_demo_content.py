"""The Voltia demo knowledge base and its held-out evaluation file."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from pathlib import Path

import pytest
import yaml

from relevo.knowledge_base.articles import (
    DEMO_CONTENT_DIR,
    TOPICS,
    Article,
    load_dir,
    normalise_text,
)
from relevo.knowledge_base.training import examples_from_dir

EVAL_FILE = DEMO_CONTENT_DIR.parent / "eval" / "demo_eval.yml"
LOCALES = ("en", "es")


def _eval_examples() -> list[tuple[str, str]]:
    # BaseLoader: every scalar stays a string, as Rasa reads it.
    root = yaml.load(EVAL_FILE.read_text(encoding="utf-8"), Loader=yaml.BaseLoader)
    examples: list[tuple[str, str]] = []
    for block in root["nlu"]:
        for line in block["examples"].splitlines():
            line = line.strip()
            if line:
                assert line.startswith("- "), f"{block['intent']}: {line!r}"
                examples.append((line[2:].strip(), block["intent"]))
    return examples


@pytest.fixture(scope="module")
def articles() -> list[Article]:
    return load_dir(DEMO_CONTENT_DIR)


def test_demo_content_has_enough_published_articles(articles: list[Article]) -> None:
    published = [a for a in articles if a.is_published]
    assert len(published) >= 44


def test_every_article_is_complete_in_english_and_spanish(articles: list[Article]) -> None:
    for article in articles:
        for locale in LOCALES:
            assert len(article.questions.get(locale, ())) >= 10, (article.intent, locale)
            assert article.answer.get(locale), (article.intent, locale)
            assert article.title.get(locale), (article.intent, locale)


def test_file_names_match_intents(articles: list[Article]) -> None:
    for article in articles:
        assert article.source is not None
        assert article.source.name == f"{article.intent}.yml"


def test_topics_cover_the_shop(articles: list[Article]) -> None:
    topics = {a.topic for a in articles}
    assert topics == set(TOPICS)
    by_intent = {a.intent: a.topic for a in articles}
    assert by_intent["greet"] == "smalltalk"
    assert by_intent["thanks"] == "smalltalk"
    assert by_intent["goodbye"] == "smalltalk"
    assert by_intent["human_handoff"] == "handoff"


def test_no_question_appears_under_two_intents(articles: list[Article]) -> None:
    owners: dict[str, set[str]] = defaultdict(set)
    for article in articles:
        for questions in article.questions.values():
            for question in questions:
                owners[normalise_text(question)].add(article.intent)
    shared = {text: intents for text, intents in owners.items() if len(intents) > 1}
    assert shared == {}


def test_answers_are_plain_text(articles: list[Article]) -> None:
    for article in articles:
        for answer in article.answer.values():
            assert not re.search(r"<[a-zA-Z/][^>]*>", answer), article.intent


def test_training_examples_cover_every_variant(articles: list[Article]) -> None:
    examples = examples_from_dir()
    expected = sum(len(qs) for a in articles if a.is_published for qs in a.questions.values())
    assert len(examples) == expected
    assert {e.locale for e in examples} == set(LOCALES)


def test_content_folders_ship_with_the_package() -> None:
    assert (DEMO_CONTENT_DIR / "__init__.py").is_file()
    assert (EVAL_FILE.parent / "__init__.py").is_file()


# --- evaluation file ----------------------------------------------------------------


def test_eval_file_is_rasa_yaml_with_quoted_intents() -> None:
    text = EVAL_FILE.read_text(encoding="utf-8")
    assert re.search(r'^version: "3\.1"$', text, re.MULTILINE)
    intent_lines = re.findall(r"^- intent: (.*)$", text, re.MULTILINE)
    assert intent_lines
    assert all(re.fullmatch(r'"[a-z_]+"', name) for name in intent_lines)


def test_eval_file_size_and_out_of_scope_share() -> None:
    examples = _eval_examples()
    assert len(examples) >= 320
    assert sum(1 for _, intent in examples if intent == "out_of_scope") >= 70


def test_eval_intents_exist_and_each_has_four_messages(articles: list[Article]) -> None:
    counts = Counter(intent for _, intent in _eval_examples())
    known = {a.intent for a in articles}
    assert set(counts) - {"out_of_scope"} <= known
    assert {intent for intent in known if counts[intent] < 4} == set()


def test_eval_messages_never_repeat_a_training_variant() -> None:
    training = {normalise_text(e.text) for e in examples_from_dir()}
    eval_texts = [normalise_text(text) for text, _ in _eval_examples()]
    assert [t for t in eval_texts if t in training] == []
    assert len(eval_texts) == len(set(eval_texts)), "an eval message is listed twice"


def test_eval_file_path_is_inside_the_package() -> None:
    assert Path(EVAL_FILE).is_file()
