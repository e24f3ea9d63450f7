"""Nearest neighbours for large knowledge bases (nlu/neighbours.py) and the trainer that
runs large trainings in a child process (nlu/trainer.py)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy.sparse import csr_matrix

from relevo.bot.intents import FALLBACK_INTENT
from relevo.bot.nlu_types import TrainingExample
from relevo.knowledge_base.training import examples_from_dir
from relevo.nlu.config import NLUSettings
from relevo.nlu.embedded import EmbeddedNLU
from relevo.nlu.neighbours import NeighbourModel, prune_rows
from relevo.nlu.trainer import Trainer

NEIGHBOURS = NLUSettings(neighbour_min_intents=2)  # every knowledge base is "large"


def test_prune_rows_keeps_each_rows_largest_values() -> None:
    matrix = csr_matrix(np.array([
        [0.1, 0.5, 0.0, 0.3, 0.2],
        [0.0, 0.0, 0.9, 0.0, 0.0],
        [0.4, 0.1, 0.2, 0.3, 0.6],
    ]))
    pruned = prune_rows(matrix, keep=2).toarray()
    assert pruned.tolist() == [
        [0.0, 0.5, 0.0, 0.3, 0.0],
        [0.0, 0.0, 0.9, 0.0, 0.0],
        [0.4, 0.0, 0.0, 0.0, 0.6],
    ]


def test_prune_rows_drops_unindexed_features() -> None:
    matrix = csr_matrix(np.array([[0.1, 0.5, 0.3], [0.2, 0.2, 0.2]]))
    pruned = prune_rows(matrix, keep=5, unindexed=np.array([False, True, False]))
    assert pruned.toarray().tolist() == [[0.1, 0.0, 0.3], [0.2, 0.0, 0.2]]


@pytest.fixture(scope="module")
def large() -> EmbeddedNLU:
    engine = EmbeddedNLU(NEIGHBOURS)
    engine.train_sync(examples_from_dir())
    return engine


def test_a_large_knowledge_base_is_scored_by_neighbours(large: EmbeddedNLU) -> None:
    assert large._model is not None
    assert isinstance(large._model.linear, NeighbourModel)


@pytest.mark.parametrize(("text", "intent"), [
    ("how many days does delivery take", "shipping_times"),
    ("cuanto tarda el envio a mi casa", "shipping_times"),
    ("what is your returns policy", "returns_policy"),
])
def test_neighbours_rank_the_right_article_first(
    large: EmbeddedNLU, text: str, intent: str
) -> None:
    result = large.parse_sync(text)
    ranked = [p.name for p in result.intent_ranking if p.name != FALLBACK_INTENT]
    assert ranked[0] == intent


@pytest.mark.parametrize("text", [
    "what's the weather in paris tomorrow",
    "pon una alarma a las siete",
])
def test_neighbours_decline_what_no_article_is_about(large: EmbeddedNLU, text: str) -> None:
    assert large.parse_sync(text).intent.name == FALLBACK_INTENT


def test_a_saved_neighbour_model_parses_exactly_like_the_trained_one(
    large: EmbeddedNLU, tmp_path: Path
) -> None:
    large.save(tmp_path / "model.npz")
    loaded = EmbeddedNLU.load(tmp_path / "model.npz", NEIGHBOURS)
    for text in ("where is my parcel", "¿aceptáis bizum?", "hola", "quiero hablar con alguien"):
        assert loaded.parse_sync(text) == large.parse_sync(text)


def test_a_large_training_runs_in_a_child_process_with_the_same_result() -> None:
    examples = [e for e in examples_from_dir() if e.locale == "en"]
    trainer = Trainer(subprocess_from=1)  # everything counts as large
    try:
        child = trainer.train(examples, NLUSettings())
        again = trainer.train(examples, NLUSettings())  # a second child, same pool
    finally:
        trainer.close()
    here = EmbeddedNLU(NLUSettings())
    here.train_sync(examples)
    for text in ("how much is shipping to portugal", "can I pay with paypal", "hello"):
        assert child.parse_sync(text) == here.parse_sync(text) == again.parse_sync(text)


def test_a_training_that_fails_in_the_child_raises_in_the_caller() -> None:
    trainer = Trainer(subprocess_from=1)
    try:
        with pytest.raises(ValueError, match="at least two intents"):
            trainer.train([TrainingExample("hello", "greet")], NLUSettings())
    finally:
        trainer.close()
