"""A quality floor on BANKING77 (public data in shared/, never copied into the repo)."""

from __future__ import annotations

from pathlib import Path

import pytest

from nlu.config import NLUSettings
from nlu.embedded import EmbeddedNLU
from nlu.evaluate import evaluate_sync, held_out_intents_split
from nlu.yaml_io import load_examples

BANKING77 = Path(__file__).resolve().parents[3] / "shared" / "datasets" / "banking77"


@pytest.fixture(scope="module")
def banking77() -> tuple[list, list]:  # type: ignore[type-arg]
    if not (BANKING77 / "train.yml").exists():
        pytest.skip(f"BANKING77 not found at {BANKING77}")
    return load_examples(BANKING77 / "train.yml"), load_examples(BANKING77 / "test.yml")


def test_banking77_in_scope_accuracy(banking77: tuple[list, list]) -> None:  # type: ignore[type-arg]
    train, test = banking77
    # thresholds 0: the classifier's own accuracy, what Rasa's DIET is compared on
    engine = EmbeddedNLU(NLUSettings(fallback_threshold=0.0, ambiguity_threshold=0.0))
    engine.train_sync(train)
    report = evaluate_sync(engine.parse_sync, test)
    assert report.in_scope_accuracy >= 0.90


def test_banking77_held_out_intents_fallback(banking77: tuple[list, list]) -> None:  # type: ignore[type-arg]
    train, test = banking77
    kept, relabelled, _ = held_out_intents_split(train, test, 15, seed=0)
    engine = EmbeddedNLU()
    engine.train_sync(kept)
    report = evaluate_sync(engine.parse_sync, relabelled)
    assert report.in_scope_accuracy >= 0.85
    assert report.oos_recall is not None and report.oos_recall >= 0.5
