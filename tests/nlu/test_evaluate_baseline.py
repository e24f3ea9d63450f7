"""The TF-IDF + logistic-regression baseline of bench/nlu.py: its threshold is tuned to
decline as many out-of-scope messages as relevo, and the bench itself starts."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from relevo.bot.nlu_types import TrainingExample
from relevo.nlu.baseline import TfidfLogReg, at_threshold, threshold_for_oos_recall
from relevo.nlu.curve import Outcome, point

from .conftest import shop_examples

REPO = Path(__file__).resolve().parents[2]

# Four out-of-scope messages the baseline answers at 0.2, 0.4, 0.4 and 0.9, one it
# declines at any threshold (its top class is the data's own out_of_scope), and
# in-scope messages that must not change the search.
SYNTHETIC = [
    Outcome("out_of_scope", "greet", "greet", 0.2),
    Outcome("out_of_scope", "invoices", "invoices", 0.4),
    Outcome("out_of_scope", "refunds", "refunds", 0.4),
    Outcome("out_of_scope", "invoices", "invoices", 0.9),
    Outcome("out_of_scope", "out_of_scope", "out_of_scope", 0.7),
    Outcome("invoices", "invoices", "invoices", 0.1),
    Outcome("invoices", "invoices", "invoices", 0.95),
]


@pytest.mark.parametrize(
    ("recall", "declined_at_threshold"),
    [
        (0.0, 0.2),  # nothing to tune: threshold 0, the class declines one of five
        (0.2, 0.2),
        (0.4, 0.4),  # just above 0.2
        (0.5, 0.8),  # two at 0.4 tie: both go, overshooting to 80%
        (0.8, 0.8),
        (0.9, 1.0),  # only declining 0.9 too reaches it
        (1.0, 1.0),
    ],
)
def test_threshold_matches_the_oos_recall(recall: float, declined_at_threshold: float) -> None:
    threshold = threshold_for_oos_recall(SYNTHETIC, recall)
    assert point(SYNTHETIC, threshold).oos_declined == declined_at_threshold
    # and it is the lowest such threshold: any lower one declines less than asked
    if threshold > 0.0:
        assert (point(SYNTHETIC, threshold - 1e-6).oos_declined or 0.0) < recall


def test_threshold_without_out_of_scope_examples_is_zero() -> None:
    assert threshold_for_oos_recall(SYNTHETIC[-2:], 0.9) == 0.0


def test_at_threshold_recomputes_the_final_intent() -> None:
    final = [o.final for o in at_threshold(SYNTHETIC, 0.5)]
    assert final == ["nlu_fallback", "nlu_fallback", "nlu_fallback", "invoices",
                     "out_of_scope", "nlu_fallback", "invoices"]


def test_baseline_classifies_and_reports_its_probability() -> None:
    baseline = TfidfLogReg()
    baseline.train(shop_examples())
    test = [TrainingExample("where is my order", "order_status"),
            TrainingExample("que metodos de pago aceptan", "payment_methods")]
    outcomes, latencies = baseline.outcomes(test)
    assert [o.top for o in outcomes] == ["order_status", "payment_methods"]
    assert all(0.0 < o.confidence <= 1.0 for o in outcomes)
    assert len(latencies) == 2 and baseline.train_seconds > 0.0


def test_bench_help_runs() -> None:
    done = subprocess.run(
        [sys.executable, str(REPO / "bench" / "nlu.py"), "--help"],
        capture_output=True, text=True, timeout=120, check=False,
    )
    assert done.returncode == 0, done.stderr
    for option in ("--shop-dev", "--study", "--rasa", "--banking77"):
        assert option in done.stdout
