"""Evaluation shared by `relevo nlu eval` and `bench/nlu.py`.

Test examples under `out_of_scope` must get a fallback (`nlu_fallback` or
`out_of_scope`); for in-scope examples a fallback counts as a miss. Beside the
classic scores, each report keeps every message's outcome and the wrong-answer curve
over fallback thresholds (nlu/curve.py).
"""

from __future__ import annotations

import random
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

from relevo.bot.intents import FALLBACK_INTENT, FALLBACK_INTENTS
from relevo.bot.intents import OUT_OF_SCOPE_INTENT as OOS
from relevo.bot.nlu_types import ParseResult, TrainingExample
from relevo.nlu.curve import (
    CURVE_THRESHOLDS,
    CurvePoint,
    Outcome,
    actual_point,
    curve,
    operating_point,
    outcome_of,
)

ProgressHook = Callable[[int, int], None]


@dataclass(frozen=True, slots=True)
class IntentScore:
    intent: str
    precision: float
    recall: float
    f1: float
    support: int


@dataclass(slots=True)
class EvalReport:
    in_scope_accuracy: float
    oos_recall: float | None
    oos_precision: float | None
    macro_f1: float
    train_seconds: float
    parse_p50_ms: float
    parse_p99_ms: float
    n: int
    per_intent: list[IntentScore] = field(default_factory=list)
    confusions: list[tuple[str, str, int]] = field(default_factory=list)
    outcomes: list[Outcome] = field(default_factory=list)
    # what the engine did at its configured threshold, and what it would do at others
    configured: CurvePoint | None = None
    curve: list[CurvePoint] = field(default_factory=list)
    operating_point: CurvePoint | None = None

    def summary(self) -> dict[str, object]:
        """The keys `relevo nlu eval --json` promises: the first eight since #5 exactly,
        then the wrong-answer curve's (shares of in-scope messages at the configured
        threshold, the curve, the operating point)."""
        keys = {k: getattr(self, k) for k in (
            "in_scope_accuracy", "oos_recall", "oos_precision", "macro_f1",
            "train_seconds", "parse_p50_ms", "parse_p99_ms", "n",
        )}
        at = self.configured
        return keys | {
            "fallback_threshold": at.threshold if at else None,
            "answered_right": at.answered_right if at else None,
            "answered_wrong": at.answered_wrong if at else None,
            "declined": at.declined if at else None,
            "curve": [p.as_dict() for p in self.curve],
            "operating_point": self.operating_point.as_dict() if self.operating_point else None,
        }


def score(
    outcomes: Sequence[Outcome],
    latencies_ms: Sequence[float],
    train_seconds: float = 0.0,
    threshold: float | None = None,
) -> EvalReport:
    """`threshold`: the engine's configured fallback threshold (a row of the curve)."""
    truths = [o.truth for o in outcomes]
    predictions = [o.final for o in outcomes]
    in_scope = [(t, p) for t, p in zip(truths, predictions, strict=True) if t != OOS]
    oos_truth = [p for t, p in zip(truths, predictions, strict=True) if t == OOS]
    fallbacks = [t for t, p in zip(truths, predictions, strict=True) if p in FALLBACK_INTENTS]
    accuracy = sum(t == p for t, p in in_scope) / len(in_scope) if in_scope else 0.0
    oos_recall = (
        sum(p in FALLBACK_INTENTS for p in oos_truth) / len(oos_truth) if oos_truth else None
    )
    oos_precision = (
        sum(t == OOS for t in fallbacks) / len(fallbacks) if fallbacks and oos_truth else None
    )
    per_intent = _per_intent(in_scope)
    macro = sum(s.f1 for s in per_intent) / len(per_intent) if per_intent else 0.0
    confusions = Counter(
        (t, p if p not in FALLBACK_INTENTS else FALLBACK_INTENT) for t, p in in_scope if t != p
    )
    ordered = sorted(latencies_ms)
    points = curve(outcomes, (*CURVE_THRESHOLDS, *([threshold] if threshold is not None else [])))
    return EvalReport(
        in_scope_accuracy=round(accuracy, 4),
        oos_recall=None if oos_recall is None else round(oos_recall, 4),
        oos_precision=None if oos_precision is None else round(oos_precision, 4),
        macro_f1=round(macro, 4),
        train_seconds=round(train_seconds, 3),
        parse_p50_ms=round(_percentile(ordered, 0.50), 4),
        parse_p99_ms=round(_percentile(ordered, 0.99), 4),
        n=len(truths),
        per_intent=per_intent,
        confusions=[(t, p, n) for (t, p), n in confusions.most_common(10)],
        outcomes=list(outcomes),
        configured=actual_point(outcomes, threshold) if threshold is not None else None,
        curve=points,
        operating_point=operating_point(points),
    )


def _per_intent(pairs: Sequence[tuple[str, str]]) -> list[IntentScore]:
    intents = sorted({t for t, _ in pairs})
    true_pos = Counter(t for t, p in pairs if t == p)
    support = Counter(t for t, _ in pairs)
    predicted = Counter(p for _, p in pairs)
    out = []
    for intent in intents:
        tp = true_pos[intent]
        precision = tp / predicted[intent] if predicted[intent] else 0.0
        recall = tp / support[intent] if support[intent] else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        out.append(IntentScore(intent, round(precision, 4), round(recall, 4), round(f1, 4),
                               support[intent]))
    return out


def _percentile(ordered: Sequence[float], q: float) -> float:
    if not ordered:
        return 0.0
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return float(ordered[index])


def evaluate_sync(
    parse: Callable[[str], ParseResult],
    test: Sequence[TrainingExample],
    train_seconds: float = 0.0,
    progress: ProgressHook | None = None,
    threshold: float | None = None,
) -> EvalReport:
    """Parse every test example one at a time (timed) and score the outcomes;
    `threshold`: the engine's configured fallback threshold."""
    outcomes, latencies = [], []
    for i, example in enumerate(test):
        started = time.perf_counter()
        result = parse(example.text)
        latencies.append((time.perf_counter() - started) * 1000.0)
        outcomes.append(outcome_of(example.intent, result))
        if progress is not None:
            progress(i + 1, len(test))
    return score(outcomes, latencies, train_seconds, threshold)


async def evaluate_async(
    parse: Callable[[str], Awaitable[ParseResult]],
    test: Sequence[TrainingExample],
    train_seconds: float = 0.0,
    progress: ProgressHook | None = None,
    threshold: float | None = None,
) -> EvalReport:
    """Same as `evaluate_sync` for an async backend (e.g. a Rasa server over HTTP)."""
    outcomes, latencies = [], []
    for i, example in enumerate(test):
        started = time.perf_counter()
        result = await parse(example.text)
        latencies.append((time.perf_counter() - started) * 1000.0)
        outcomes.append(outcome_of(example.intent, result))
        if progress is not None:
            progress(i + 1, len(test))
    return score(outcomes, latencies, train_seconds, threshold)


def held_out_intents_split(
    train: Sequence[TrainingExample],
    test: Sequence[TrainingExample],
    n_held_out: int = 15,
    seed: int = 0,
) -> tuple[list[TrainingExample], list[TrainingExample], list[str]]:
    """Drop `n_held_out` intents from training; their test examples become `out_of_scope`.

    A synthetic out-of-scope set for data sets that have none (BANKING77): the held-out
    questions are near-domain, so it is a hard test of the fallback.
    """
    intents = sorted({e.intent for e in train})
    held = sorted(random.Random(seed).sample(intents, min(n_held_out, len(intents) - 2)))
    held_set = set(held)
    kept = [e for e in train if e.intent not in held_set]
    relabelled = [
        TrainingExample(e.text, OOS, e.locale) if e.intent in held_set else e for e in test
    ]
    return kept, relabelled, held
