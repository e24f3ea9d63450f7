"""The linear intent model and the confidence calibrator that makes fallback work.

The classifier is a one-vs-rest linear SVM (liblinear): on BANKING77 it matches
logistic regression's accuracy at a tenth of the training time. Its raw scores are not
probabilities, so `train` also learns, on held-out folds of the training data, what a
score pattern means: P(the top intent is right). In each fold a group of intents is held
out entirely and its examples play the out-of-scope queries, so the calibrator has seen
"a question about something we were never trained on" without any out-of-scope data.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
from scipy.sparse import csr_matrix
from sklearn.linear_model import LogisticRegression
from sklearn.svm import LinearSVC

SVM_C = 0.5
N_FOLDS = 3
# share of the intents held out per fold as simulated out-of-scope queries
OOS_GROUP_SHARE = 0.2


@dataclass(frozen=True, slots=True)
class LinearModel:
    weights: np.ndarray  # (n_features, n_classes) float32, row-gathered at parse time
    bias: np.ndarray  # (n_classes,) float32

    def scores_one(self, indices: np.ndarray, values: np.ndarray) -> np.ndarray:
        if len(indices) == 0:
            return self.bias.copy()
        return values @ self.weights[indices] + self.bias

    def scores(self, matrix: csr_matrix) -> np.ndarray:
        return np.asarray(matrix @ self.weights) + self.bias


def fit_linear(matrix: csr_matrix, labels: np.ndarray, n_classes: int, seed: int) -> LinearModel:
    """One-vs-rest linear SVM; `labels` are class ids in 0..n_classes-1."""
    present = np.unique(labels)
    svm = LinearSVC(C=SVM_C, random_state=seed, tol=1e-3, max_iter=2000)
    svm.fit(matrix, labels)
    coef = svm.coef_
    intercept = svm.intercept_
    if len(present) == 2:  # liblinear returns one row for a binary problem
        coef = np.vstack([-coef[0], coef[0]])
        intercept = np.array([-intercept[0], intercept[0]])
    weights = np.zeros((matrix.shape[1], n_classes), dtype=np.float32)
    bias = np.full(n_classes, -10.0, dtype=np.float32)  # absent classes never win
    weights[:, present] = coef.T
    bias[present] = intercept
    return LinearModel(weights=weights, bias=bias)


def score_features(scores: np.ndarray, stats: np.ndarray) -> np.ndarray:
    """What the calibrator looks at: top score, margin to the runner-up, the share of the
    message's words seen in training, message length. (`stats` = known-word share,
    known-char share, token count; the char share is not used: on held-out folds it is
    measured against a vocabulary fitted on all the data, so it would lie.)"""
    scores = np.atleast_2d(scores)
    stats = np.atleast_2d(stats)
    if scores.shape[1] >= 2:
        part = np.partition(scores, -2, axis=1)
        top, second = part[:, -1], part[:, -2]
    else:
        top = scores[:, 0]
        second = top - 1.0
    return np.column_stack([top, top - second, stats[:, 0], np.log1p(stats[:, 2])])


@dataclass(frozen=True, slots=True)
class Calibrator:
    """Logistic regression on standardised score features → P(top intent is right)."""

    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    intercept: float
    temperature: float  # softmax temperature for the ranking over intents

    def confidence(self, feats: np.ndarray) -> np.ndarray:
        z = ((np.atleast_2d(feats) - self.mean) / self.scale) @ self.coef + self.intercept
        return 1.0 / (1.0 + np.exp(-np.clip(z, -30.0, 30.0)))

    def confidence_one(self, feats: np.ndarray) -> float:
        z = float(((feats - self.mean) / self.scale) @ self.coef) + self.intercept
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))

    def to_state(self) -> dict[str, object]:
        return {
            "mean": self.mean.tolist(), "scale": self.scale.tolist(),
            "coef": self.coef.tolist(), "intercept": self.intercept,
            "temperature": self.temperature,
        }

    @classmethod
    def from_state(cls, state: dict[str, object]) -> Calibrator:
        def arr(key: str) -> np.ndarray:
            return np.asarray(state[key], dtype=np.float64)

        return cls(arr("mean"), arr("scale"), arr("coef"), float(state["intercept"]),  # type: ignore[arg-type]
                   float(state["temperature"]))  # type: ignore[arg-type]


def default_calibrator() -> Calibrator:
    # Used when the data is too small to hold anything out: trust the top score and the
    # margin, centred where a one-vs-rest SVM's decision boundary sits.
    return Calibrator(
        mean=np.array([0.0, 0.5, 0.8, 1.5]),
        scale=np.array([0.5, 0.5, 0.2, 1.0]),
        coef=np.array([1.5, 1.0, 1.0, 0.0]),
        intercept=0.5,
        temperature=0.2,
    )


def fit_with_calibration(
    matrix: csr_matrix,
    docs: Sequence[Sequence[str]],
    labels: np.ndarray,
    stats: np.ndarray,
    n_classes: int,
    protected: set[int],
    seed: int,
) -> tuple[LinearModel, Calibrator]:
    """The final model and its calibrator; the N_FOLDS held-out fits and the final fit
    run in threads (liblinear releases the GIL), results are collected in fold order so
    the outcome does not depend on scheduling."""
    jobs = _fold_jobs(labels, n_classes, protected, seed)
    workers = max(1, min(N_FOLDS + 1, os.cpu_count() or 1))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        final = pool.submit(fit_linear, matrix, labels, n_classes, seed)
        folds = [
            pool.submit(_run_fold, matrix, docs, labels, stats, n_classes, seed, train, test, held)
            for train, test, held in jobs
        ]
        outcomes = [f.result() for f in folds]
        linear = final.result()
    if not outcomes:
        return linear, default_calibrator()
    feats, correct, raw, truth = (np.concatenate(parts) for parts in zip(*outcomes, strict=True))
    return linear, fit_calibrator(feats, correct, raw, truth, seed)


def _fold_jobs(
    labels: np.ndarray, n_classes: int, protected: set[int], seed: int
) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """(train mask, test mask, held-out intents) per fold."""
    rng = np.random.RandomState(seed)
    n = len(labels)
    fold_of = np.empty(n, dtype=np.int64)
    for cls in range(n_classes):  # stratified: each intent spread over every fold
        members = np.flatnonzero(labels == cls)
        fold_of[rng.permutation(members)] = np.arange(len(members)) % N_FOLDS
    eligible = np.array([c for c in range(n_classes) if c not in protected], dtype=np.int64)
    group_size = max(1, round(OOS_GROUP_SHARE * len(eligible)))
    order = rng.permutation(eligible)
    jobs = []
    for fold in range(N_FOLDS):
        held = order[(fold * group_size) % max(1, len(order)) :][:group_size]
        if n_classes - len(held) < 2:
            held = np.empty(0, dtype=np.int64)
        is_held = np.isin(labels, held)
        train = (fold_of != fold) & ~is_held
        test = fold_of == fold
        if len(np.unique(labels[train])) >= 2 and test.any():
            jobs.append((train, test, held))
    return jobs


def _run_fold(
    matrix: csr_matrix,
    docs: Sequence[Sequence[str]],
    labels: np.ndarray,
    stats: np.ndarray,
    n_classes: int,
    seed: int,
    train: np.ndarray,
    test: np.ndarray,
    held: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Held-out scores: (score features, is-correct, raw scores, labels or -1 for OOS)."""
    model = fit_linear(matrix[train], labels[train], n_classes, seed)
    scores = model.scores(matrix[test])
    truth = np.where(np.isin(labels[test], held), -1, labels[test])
    correct = scores.argmax(axis=1) == truth
    # word coverage against this fold's own training words, as a parse would see it
    known = set().union(*(docs[i] for i in np.flatnonzero(train)))
    fold_stats = stats[test].copy()
    fold_stats[:, 0] = [
        sum(w in known for w in docs[i]) / len(docs[i]) if docs[i] else 0.0
        for i in np.flatnonzero(test)
    ]
    return score_features(scores, fold_stats), correct, scores, truth


def fit_calibrator(
    feats: np.ndarray, correct: np.ndarray, raw: np.ndarray, truth: np.ndarray, seed: int
) -> Calibrator:
    if len(correct) < 20 or correct.all() or not correct.any():
        return default_calibrator()
    mean = feats.mean(axis=0)
    scale = feats.std(axis=0)
    scale[scale < 1e-6] = 1.0
    coef, intercept = _monotone_fit((feats - mean) / scale, correct, seed)
    return Calibrator(
        mean=mean, scale=scale, coef=coef, intercept=intercept,
        temperature=_fit_temperature(raw, truth),
    )


# a higher top score, a wider margin and more known words can only mean "more likely
# right"; on small data a free fit can learn the opposite by chance, so such a feature
# is dropped and the rest refitted
_MONOTONE = (0, 1, 2)


def _monotone_fit(x: np.ndarray, correct: np.ndarray, seed: int) -> tuple[np.ndarray, float]:
    active = list(range(x.shape[1]))
    while True:
        lr = LogisticRegression(C=1.0, random_state=seed, max_iter=1000)
        lr.fit(x[:, active], correct.astype(np.int64))
        wrong = [f for f, c in zip(active, lr.coef_[0], strict=True) if f in _MONOTONE and c < 0]
        if not wrong or len(active) == 1:
            break
        active = [f for f in active if f not in wrong]
    coef = np.zeros(x.shape[1])
    coef[active] = lr.coef_[0]
    return coef, float(lr.intercept_[0])


def _fit_temperature(raw: np.ndarray, truth: np.ndarray) -> float:
    """Softmax temperature minimising held-out log loss over the in-scope examples."""
    in_scope = truth >= 0
    if not in_scope.any():
        return 0.2
    scores, target = raw[in_scope], truth[in_scope]
    best, best_loss = 0.2, math.inf
    for temperature in np.geomspace(0.02, 2.0, 25):
        z = scores / temperature
        z -= z.max(axis=1, keepdims=True)
        log_norm = np.log(np.exp(z).sum(axis=1))
        loss = float(np.mean(log_norm - z[np.arange(len(target)), target]))
        if loss < best_loss:
            best, best_loss = float(temperature), loss
    return best
