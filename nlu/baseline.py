"""A plain TF-IDF + logistic-regression intent classifier: the yardstick of issue #12.

scikit-learn's `TfidfVectorizer` (word 1-2 grams, sublinear tf, otherwise its defaults)
and `LogisticRegression` (C=10, lbfgs): what anyone would try first. Its confidence is
the maximum predicted probability; on a set with out-of-scope examples its threshold
is tuned so that it declines as many of them as relevo does, and only then is its
in-scope accuracy compared (`threshold_for_oos_recall`). Used by bench/nlu.py only.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

import numpy as np

from relevo.bot.intents import FALLBACK_INTENT, OUT_OF_SCOPE_INTENT
from relevo.bot.nlu_types import TrainingExample
from relevo.nlu.curve import Outcome

BASELINE_NAME = "TF-IDF word 1-2 + LR"


class TfidfLogReg:
    """Train once, then `outcomes` for a test set (and its per-message latencies)."""

    def __init__(self, c: float = 10.0) -> None:
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import Pipeline

        self.pipeline = Pipeline([
            ("tfidf", TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True)),
            ("lr", LogisticRegression(C=c, max_iter=2000)),
        ])
        self.train_seconds = 0.0

    def train(self, examples: Sequence[TrainingExample]) -> None:
        started = time.perf_counter()
        self.pipeline.fit([e.text for e in examples], [e.intent for e in examples])
        self.train_seconds = time.perf_counter() - started

    def outcomes(
        self, test: Sequence[TrainingExample]
    ) -> tuple[list[Outcome], list[float]]:
        """Every message answered with its most probable intent (no threshold yet)."""
        classes = [str(c) for c in self.pipeline.classes_]
        outcomes, latencies = [], []
        for example in test:
            started = time.perf_counter()
            probs = self.pipeline.predict_proba([example.text])[0]
            latencies.append((time.perf_counter() - started) * 1000.0)
            best = int(np.argmax(probs))
            outcomes.append(Outcome(example.intent, classes[best], classes[best],
                                    round(float(probs[best]), 6)))
        return outcomes, latencies


def at_threshold(outcomes: Sequence[Outcome], threshold: float) -> list[Outcome]:
    """The same outcomes with a fallback below `threshold` (final intent recomputed; a
    top class `out_of_scope`, taught by the data, stays the final intent)."""
    return [
        Outcome(o.truth, _final(o, threshold), o.top, o.confidence, o.off_topic)
        for o in outcomes
    ]


def _final(outcome: Outcome, threshold: float) -> str:
    if outcome.answered_at(threshold) and outcome.top is not None:
        return outcome.top
    return OUT_OF_SCOPE_INTENT if outcome.top == OUT_OF_SCOPE_INTENT else FALLBACK_INTENT


def threshold_for_oos_recall(outcomes: Sequence[Outcome], recall: float) -> float:
    """The lowest threshold at which at least `recall` of the out-of-scope messages are
    declined (1.0+ if even declining everything it can does not reach it)."""
    oos = [o for o in outcomes if not o.in_scope]
    if not oos:
        return 0.0
    needed = int(np.ceil(recall * len(oos) - 1e-9))
    always = sum(not o.answered_at(0.0) for o in oos)
    confidences = sorted(o.confidence for o in oos if o.answered_at(0.0))
    k = needed - always
    if k <= 0:
        return 0.0
    if k > len(confidences):
        return float(np.nextafter(1.0, 2.0))
    # a message is declined below the threshold: just above the k-th lowest confidence
    return float(np.nextafter(confidences[k - 1], 2.0))
