"""Quality floors on BANKING77 (public data in shared/, never copied into the repo)
and on the demo shop's held-out evaluation file."""

from __future__ import annotations

from pathlib import Path

import pytest

from relevo.nlu.config import NLUSettings
from relevo.nlu.embedded import EmbeddedNLU
from relevo.nlu.evaluate import evaluate_sync, held_out_intents_split
from relevo.nlu.yaml_io import load_examples
from tests.conftest import require

BANKING77 = Path(__file__).resolve().parents[3] / "shared" / "datasets" / "banking77"
DEMO_EVAL = Path(__file__).resolve().parents[2] / "knowledge_base" / "eval" / "demo_eval.yml"
SHOP_DEV = DEMO_EVAL.with_name("shop_dev.yml")


@pytest.fixture(scope="module")
def banking77() -> tuple[list, list]:  # type: ignore[type-arg]
    # The data lives in ../shared/datasets beside the repository (as CI lays it out):
    # skipped on a laptop without it, a failure in CI.
    require((BANKING77 / "train.yml").exists(), f"BANKING77 not found at {BANKING77}")
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
    # near-domain held-out intents are the hard case; the default threshold (0.75) is
    # chosen for few wrong answers: 0.76 / 0.70 on this draw (0.90 / 0.44 at 0.35)
    assert report.in_scope_accuracy >= 0.72
    assert report.oos_recall is not None and report.oos_recall >= 0.6


def test_demo_shop_out_of_scope_recall() -> None:
    from relevo.knowledge_base.training import examples_from_dir

    engine = EmbeddedNLU()
    engine.train_sync(examples_from_dir())
    report = evaluate_sync(engine.parse_sync, load_examples(DEMO_EVAL),
                           threshold=engine.fallback_threshold)
    # at the 0.75 threshold: 0.737 right, 1.5% wrong, 0.975 off-topic declined
    assert report.in_scope_accuracy >= 0.70
    assert report.configured is not None and report.configured.answered_wrong <= 0.03
    assert report.oos_recall is not None and report.oos_recall >= 0.93


def test_shop_phrasing_targets_of_issue_12() -> None:
    """The shop-phrasing dev set (752 in scope, 950 off-topic, es and en): at most 3%
    wrong articles while answering at least 60%, off-topic declined >= 95% (es) and
    >= 93% (en)."""
    from relevo.knowledge_base.training import examples_from_dir
    from relevo.nlu.langid import LanguageDetector

    shop = examples_from_dir()
    engine = EmbeddedNLU()
    engine.train_sync(shop)
    dev = load_examples(SHOP_DEV)
    report = evaluate_sync(engine.parse_sync, dev, threshold=engine.fallback_threshold)
    at = report.configured
    assert at is not None
    assert at.answered_right + at.answered_wrong >= 0.60
    assert at.answered_wrong <= 0.03
    language = LanguageDetector.fit(shop)  # the dev file has no locales: read them
    for code, floor in (("es", 0.95), ("en", 0.93)):
        off_topic = [outcome for example, outcome in zip(dev, report.outcomes, strict=True)
                     if not outcome.in_scope and language.detect(example.text) == code]
        declined = sum(not outcome.answered for outcome in off_topic)
        assert declined / len(off_topic) >= floor, code
