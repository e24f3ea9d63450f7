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
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from relevo.nlu.features import BLOCK_WEIGHT

# scipy (a few hundred ms of imports) only where a matrix is built: training, not parsing.
if TYPE_CHECKING:
    from scipy.sparse import csr_matrix

# scikit-learn (a second of imports) is needed to train, never to parse: it loads in the
# functions that fit, so loading a saved model stays fast (`relevo nlu parse`).

SVM_C = 0.5
# liblinear draws its coordinate order from one process-wide random generator, so two
# fits running at once perturb each other and the model would depend on thread timing;
# fits take turns, the rest of a fold (masking, scoring) still runs in parallel
_LIBLINEAR = threading.Lock()
N_FOLDS = 3
# share of the intents held out per fold as simulated out-of-scope queries
OOS_GROUP_SHARE = 0.2


@dataclass(frozen=True, slots=True)
class LinearModel:
    weights: np.ndarray  # (n_features, n_classes) float32, row-gathered at parse time
    bias: np.ndarray  # (n_classes,) float32

    def scores_one(self, indices: np.ndarray, values: np.ndarray) -> np.ndarray:
        if len(indices) == 0:
            return np.asarray(self.bias.copy())
        return np.asarray(values @ self.weights[indices] + self.bias)

    def scores(self, matrix: csr_matrix) -> np.ndarray:
        return np.asarray(np.asarray(matrix @ self.weights) + self.bias)


def fit_linear(
    matrix: csr_matrix,
    labels: np.ndarray,
    n_classes: int,
    seed: int,
    row_weights: np.ndarray | None = None,
) -> LinearModel:
    """One-vs-rest linear SVM; `labels` are class ids in 0..n_classes-1."""
    from sklearn.svm import LinearSVC

    present = np.unique(labels)
    svm = LinearSVC(C=SVM_C, random_state=seed, tol=1e-3, max_iter=2000)
    with _LIBLINEAR:
        svm.fit(matrix, labels, sample_weight=row_weights)
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
        return np.asarray(1.0 / (1.0 + np.exp(-np.clip(z, -30.0, 30.0))))

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


@dataclass(frozen=True, slots=True)
class TrainingData:
    """Everything the folds need. Classes `n_intents..n_classes-1` are background
    classes (generic off-topic text): trained like any class, never held out, never
    scored by the calibrator, never ranked."""

    matrix: csr_matrix
    docs: Sequence[Sequence[str]]
    labels: np.ndarray
    stats: np.ndarray  # per row: known-word share, known-char share, token count
    n_classes: int
    n_intents: int
    n_word_features: int  # feature ids below this are word terms, the rest char n-grams
    protected: frozenset[int]  # intents never held out (an explicit out_of_scope)
    row_weights: np.ndarray | None = None  # per-row SVM weight (background rows weigh less)


def fit_with_calibration(data: TrainingData, seed: int) -> tuple[LinearModel, Calibrator]:
    """The final model and its calibrator; the N_FOLDS held-out fits and the final fit
    run in threads (liblinear releases the GIL), results are collected in fold order so
    the outcome does not depend on scheduling."""
    jobs = _fold_jobs(data, seed)
    workers = max(1, min(N_FOLDS + 1, os.cpu_count() or 1))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        final = pool.submit(
            fit_linear, data.matrix, data.labels, data.n_classes, seed, data.row_weights
        )
        folds = [pool.submit(_run_fold, data, seed, *job) for job in jobs]
        outcomes = [f.result() for f in folds]
        linear = final.result()
    if not outcomes:
        return linear, default_calibrator()
    feats, correct, raw, truth = (np.concatenate(parts) for parts in zip(*outcomes, strict=True))
    return linear, fit_calibrator(feats, correct, raw, truth, seed)


def _fold_jobs(data: TrainingData, seed: int) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """(train mask, test mask, held-out intents) per fold."""
    labels, n_classes = data.labels, data.n_classes
    rng = np.random.RandomState(seed)
    n = len(labels)
    fold_of = np.empty(n, dtype=np.int64)
    for cls in range(n_classes):  # stratified: each intent spread over every fold
        members = np.flatnonzero(labels == cls)
        fold_of[rng.permutation(members)] = np.arange(len(members)) % N_FOLDS
    eligible = np.array(
        [c for c in range(data.n_intents) if c not in data.protected], dtype=np.int64
    )
    group_size = max(1, round(OOS_GROUP_SHARE * len(eligible)))
    order = rng.permutation(eligible)
    jobs = []
    for fold in range(N_FOLDS):
        held = order[(fold * group_size) % max(1, len(order)) :][:group_size]
        if data.n_intents - len(held) < 2:
            held = np.empty(0, dtype=np.int64)
        is_held = np.isin(labels, held)
        train = (fold_of != fold) & ~is_held
        # background rows train every fold but are not scored: they are not intents
        test = (fold_of == fold) & (labels < data.n_intents)
        if len(np.unique(labels[train])) >= 2 and test.any():
            jobs.append((train, test, held))
    return jobs


def _run_fold(
    data: TrainingData, seed: int, train: np.ndarray, test: np.ndarray, held: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Held-out scores: (score features, is-correct, raw intent scores, labels or -1 for
    OOS). A row the background class wins counts as a (correct) fallback-to-be, so it
    is scored as wrong: its top intent is not the answer."""
    train_rows = data.matrix[train]
    weights = None if data.row_weights is None else data.row_weights[train]
    model = fit_linear(train_rows, data.labels[train], data.n_classes, seed, weights)
    test_rows = _as_parsed(data.matrix[test], train_rows, data.n_word_features)
    all_scores = model.scores(test_rows)
    scores = all_scores[:, : data.n_intents]
    truth = np.where(np.isin(data.labels[test], held), -1, data.labels[test])
    background = all_scores[:, data.n_intents :].max(axis=1, initial=-np.inf)
    off_topic = background > np.maximum(0.0, scores.max(axis=1))
    correct = (scores.argmax(axis=1) == truth) & ~off_topic
    # word coverage against this fold's own training words, as a parse would see it
    docs = data.docs
    known = set().union(*(docs[int(i)] for i in np.flatnonzero(train)))
    fold_stats = data.stats[test].copy()
    fold_stats[:, 0] = [
        sum(w in known for w in docs[int(i)]) / len(docs[int(i)]) if docs[int(i)] else 0.0
        for i in np.flatnonzero(test)
    ]
    return score_features(scores, fold_stats), correct, scores, truth


def _as_parsed(rows: csr_matrix, train_rows: csr_matrix, n_word_features: int) -> csr_matrix:
    """`rows` as a parse would see them with only this fold's training vocabulary: the
    vocabulary was fitted on all the data, so a held-out intent's own words and n-grams
    are in it; drop them and renormalise each block as `Vectorizer._block` does."""
    seen = np.bincount(train_rows.indices, minlength=rows.shape[1]) > 0
    out = rows.copy()
    out.data = out.data * seen[out.indices]
    row_of = np.repeat(np.arange(out.shape[0]), np.diff(out.indptr))
    is_char = (out.indices >= n_word_features).astype(np.int64)
    sums = np.zeros((out.shape[0], 2))
    np.add.at(sums, (row_of, is_char), out.data**2)
    norms = np.sqrt(sums)
    scale = np.divide(BLOCK_WEIGHT, norms, out=np.zeros_like(norms), where=norms > 0)
    out.data = out.data * scale[row_of, is_char]
    out.eliminate_zeros()
    return out


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
    from sklearn.linear_model import LogisticRegression

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


_SOFTMAX_TOP = 64


def _fit_temperature(raw: np.ndarray, truth: np.ndarray) -> float:
    """Softmax temperature minimising held-out log loss over the in-scope examples."""
    in_scope = truth >= 0
    if not in_scope.any():
        return 0.2
    scores, target = raw[in_scope], truth[in_scope]
    if scores.shape[1] > _SOFTMAX_TOP:
        # thousands of intents: the softmax is decided by the top scores (the rest add
        # exp(-large)); keep the true intent's score first, then the top ones
        rows = np.arange(len(target))
        true_scores = scores[rows, target]
        others = scores.copy()
        others[rows, target] = -np.inf
        top = -np.partition(-others, _SOFTMAX_TOP - 2, axis=1)[:, : _SOFTMAX_TOP - 1]
        scores, target = np.column_stack([true_scores, top]), np.zeros(len(target), np.int64)
    best, best_loss = 0.2, math.inf
    for temperature in np.geomspace(0.02, 2.0, 25):
        z = scores / temperature
        z -= z.max(axis=1, keepdims=True)
        log_norm = np.log(np.exp(z).sum(axis=1))
        loss = float(np.mean(log_norm - z[np.arange(len(target)), target]))
        if loss < best_loss:
            best, best_loss = float(temperature), loss
    return best
