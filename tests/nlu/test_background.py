"""The built-in off-topic background class (nlu/off_topic/<lang>.yml)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from relevo.bot.nlu_types import TrainingExample
from relevo.nlu.background import background_sentences, background_weights
from relevo.nlu.embedded import EmbeddedNLU
from relevo.nlu.features import Vectorizer
from relevo.nlu.text import tokens
from relevo.nlu.yaml_io import load_examples

from .conftest import best_reading, shop_examples

DEMO_EVAL = Path(__file__).resolve().parents[2] / "knowledge_base" / "eval" / "demo_eval.yml"


def test_background_is_bilingual_and_never_repeats_an_eval_line() -> None:
    sentences = background_sentences()
    assert len(sentences) >= 250
    assert len(set(sentences)) == len(sentences)
    evaluation = [e.text for e in load_examples(DEMO_EVAL)]
    docs = [tokens(t) for t in (*sentences, *evaluation)]
    matrix, _ = Vectorizer.fit(docs).matrix(docs)
    n = len(sentences)
    similarity = (matrix[:n] @ matrix[n:].T).toarray()
    # not one equal or near-paraphrase of a held-out eval message (the closest pairs
    # share a template word or two, e.g. "how do i change ..."): the demo's OOS recall
    # must not come from having seen its questions
    assert similarity.max() < 0.45
    assert not {t.casefold() for t in sentences} & {t.casefold() for t in evaluation}


def test_off_topic_falls_back_and_background_is_never_ranked(shop_nlu: EmbeddedNLU) -> None:
    assert shop_nlu._model is not None
    assert shop_nlu._model.linear.weights.shape[1] == len(shop_nlu.intents) + 1
    for text in ["how long should i boil an egg", "quien gano la liga"]:
        result = shop_nlu.parse_sync(text)
        assert result.intent.name == "nlu_fallback"
        assert {p.name for p in result.intent_ranking[1:]} <= set(shop_nlu.intents)


def test_no_background_when_the_data_has_out_of_scope() -> None:
    examples = [*shop_examples(), TrainingExample("tell me a joke", "out_of_scope", "en"),
                TrainingExample("what is the weather", "out_of_scope", "en")]
    engine = EmbeddedNLU()
    engine.train_sync(examples)
    assert engine._model is not None
    assert engine._model.linear.weights.shape[1] == len(engine.intents)


def test_a_bots_own_off_topic_like_intent_wins_over_the_background() -> None:
    weather = ["what is the weather today", "will it rain tomorrow", "is it sunny outside",
               "weather forecast for the weekend", "que tiempo hace hoy",
               "va a llover mañana", "hace sol fuera", "prevision del tiempo para el finde"]
    examples = [*shop_examples()] + [TrainingExample(t, "weather") for t in weather]
    engine = EmbeddedNLU()
    engine.train_sync(examples)
    weekend = engine.parse_sync("what is the weather like this weekend")
    assert best_reading(weekend).name == "weather" and not weekend.out_of_scope
    assert engine.parse_sync("where is my order").intent.name == "order_status"


def test_background_weighs_less_on_small_data() -> None:
    labels = np.array([0] * 30 + [1] * 30 + [2] * 200)
    weights = background_weights(labels, n_intents=2)
    assert (weights[:60] == 1.0).all()
    assert weights[60:].sum() == pytest.approx(30.0)  # half the intents' own examples
    large = np.array([0] * 500 + [1] * 500 + [2] * 200)
    assert (background_weights(large, n_intents=2) == 1.0).all()
