"""The wrong-answer curve on hand-made outcomes: exact shares, the operating point, and
how a parse result becomes an outcome."""

from __future__ import annotations

import pytest

from relevo.bot.nlu_types import IntentPrediction, ParseResult
from relevo.nlu.curve import Outcome, actual_point, curve, operating_point, outcome_of, point
from relevo.nlu.evaluate import score

# Five in-scope messages and four out-of-scope ones, as an engine at threshold 0.5 left them
OUTCOMES = [
    Outcome("invoices", "invoices", "invoices", 0.9),
    Outcome("invoices", "invoices", "invoices", 0.6),
    Outcome("payment_methods", "payment_failed", "payment_failed", 0.7),  # wrong, sure
    Outcome("payment_methods", "nlu_fallback", "payment_failed", 0.3),  # wrong, unsure
    Outcome("cancel_order", "nlu_fallback", "cancel_order", 0.2),
    Outcome("out_of_scope", "cancel_order", "cancel_order", 0.8),
    Outcome("out_of_scope", "nlu_fallback", "store_pickup", 0.4),
    # flagged off-topic: declined at every threshold, whatever its confidence
    Outcome("out_of_scope", "nlu_fallback", "cancel_order", 0.99, off_topic=True),
    Outcome("out_of_scope", "out_of_scope", "out_of_scope", 0.95),  # the data's own class
]


@pytest.mark.parametrize(
    ("threshold", "right", "wrong", "declined", "oos_declined", "oos_answered"),
    [
        (0.0, 0.6, 0.4, 0.0, 0.5, 0.5),
        (0.25, 0.4, 0.4, 0.2, 0.5, 0.5),
        (0.35, 0.4, 0.2, 0.4, 0.5, 0.5),
        (0.5, 0.4, 0.2, 0.4, 0.75, 0.25),
        (0.6, 0.4, 0.2, 0.4, 0.75, 0.25),  # a confidence equal to the threshold answers
        (0.75, 0.2, 0.0, 0.8, 0.75, 0.25),
        (0.95, 0.0, 0.0, 1.0, 1.0, 0.0),
    ],
)
def test_curve_shares(
    threshold: float, right: float, wrong: float, declined: float,
    oos_declined: float, oos_answered: float,
) -> None:
    p = point(OUTCOMES, threshold)
    assert (p.threshold, p.answered_right, p.answered_wrong, p.declined) == (
        threshold, right, wrong, declined)
    assert (p.oos_declined, p.oos_answered) == (oos_declined, oos_answered)


def test_actual_point_is_what_the_engine_did() -> None:
    p = actual_point(OUTCOMES, 0.5)
    assert (p.answered_right, p.answered_wrong, p.declined) == (0.4, 0.2, 0.4)
    assert (p.oos_declined, p.oos_answered) == (0.75, 0.25)


def test_a_set_without_out_of_scope_has_no_oos_shares() -> None:
    p = point([Outcome("invoices", "invoices", "invoices", 0.9)], 0.5)
    assert (p.answered_right, p.oos_declined, p.oos_answered) == (1.0, None, None)


def test_curve_is_sorted_and_includes_the_configured_threshold() -> None:
    points = curve(OUTCOMES, (0.5, 0.1, 0.35, 0.5))
    assert [p.threshold for p in points] == [0.1, 0.35, 0.5]


@pytest.mark.parametrize(
    ("thresholds", "min_answered", "expected"),
    [
        # 0.35 answers 60% with 20% wrong; 0.75 answers 20%: too few
        ((0.0, 0.35, 0.75), 0.6, 0.35),
        # at 40% needed, 0.75 (0% wrong) is not eligible: 20% answered
        ((0.0, 0.35, 0.75), 0.4, 0.35),
        ((0.0, 0.35, 0.75), 0.2, 0.75),
        # ties on wrong and right: the lower threshold
        ((0.35, 0.5, 0.6), 0.6, 0.35),
        # nothing answers that much
        ((0.75, 0.95), 0.6, None),
    ],
)
def test_operating_point(
    thresholds: tuple[float, ...], min_answered: float, expected: float | None
) -> None:
    best = operating_point(curve(OUTCOMES, thresholds), min_answered)
    assert (best.threshold if best else None) == expected


def _result(intent: str, ranking: list[tuple[str, float]], *, off_topic: bool = False,
            ) -> ParseResult:
    predictions = tuple(IntentPrediction(name, conf) for name, conf in ranking)
    top = IntentPrediction(intent, predictions[0].confidence if predictions else 0.0)
    return ParseResult("x", top, predictions, out_of_scope=off_topic)


@pytest.mark.parametrize(
    ("result", "top", "confidence", "off_topic", "answered", "answered_at_zero"),
    [
        (_result("invoices", [("invoices", 0.8), ("refunds", 0.1)]), "invoices", 0.8, False,
         True, True),
        # after a fallback the ranking still lists the real intents (ours and Rasa's)
        (_result("nlu_fallback", [("nlu_fallback", 0.35), ("refunds", 0.2)]), "refunds", 0.2,
         False, False, True),
        (_result("nlu_fallback", [("nlu_fallback", 0.35), ("greet", 0.1)], off_topic=True),
         "greet", 0.1, True, False, False),
        (_result("out_of_scope", [("out_of_scope", 0.9), ("greet", 0.1)]), "out_of_scope",
         0.9, True, False, False),
        # e.g. Rasa unreachable: nothing to answer with at any threshold
        (_result("nlu_fallback", []), None, 0.0, False, False, False),
    ],
)
def test_outcome_of_parse_result(
    result: ParseResult, top: str | None, confidence: float, off_topic: bool, answered: bool,
    answered_at_zero: bool,
) -> None:
    outcome = outcome_of("invoices", result)
    assert (outcome.top, outcome.confidence, outcome.off_topic) == (top, confidence, off_topic)
    assert outcome.answered is answered
    assert outcome.answered_at(0.0) is answered_at_zero


def test_report_summary_at_the_configured_threshold() -> None:
    report = score(OUTCOMES, [0.1] * len(OUTCOMES), threshold=0.5)
    summary = report.summary()
    assert (summary["answered_right"], summary["answered_wrong"], summary["declined"]) == (
        0.4, 0.2, 0.4)
    assert summary["in_scope_accuracy"] == 0.4 and summary["oos_recall"] == 0.75
    assert report.operating_point is not None and report.operating_point.threshold == 0.35
