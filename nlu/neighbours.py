"""The intent model for large knowledge bases: each intent scored by its training
question most similar to the message (cosine over the same TF-IDF features).

A one-vs-rest SVM holds a dense weight per feature and intent and trains one binary
problem per intent: with 10,000 articles that is gigabytes and minutes. Nearest
neighbours store the training rows once, sparse (an inverted index: feature → rows),
train in the time it takes to build the matrix, and add an article without touching the
others. Confidence is calibrated like the SVM's (`calibration.Calibrator`), on
leave-one-out neighbours of a sample of the training questions, with some of them
scored as if their intent had never been taught: the stand-in out-of-scope queries.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from relevo.nlu.calibration import Calibrator, TrainingData, fit_calibrator, score_features
from relevo.nlu.features import Vectorizer
from relevo.nlu.langid import FUNCTION_WORDS

if TYPE_CHECKING:
    from scipy.sparse import csr_matrix

# Leave-one-out calibration on this many training questions (a quarter of them also as
# stand-in out-of-scope queries): enough for a 5-parameter calibrator, cheap at any size.
CALIBRATION_SAMPLE = 2000
OOS_SHARE = 0.25
_CHUNK = 256  # calibration rows scored at once (a dense chunk × rows block)
# Each training question is indexed under its heaviest features only (its words and its
# rarest character n-grams): common n-grams ("ing", " th") would put most questions
# under every message's features, making each parse touch the whole index.
KEEP_PER_ROW = 48
MAX_POSTING_SHARE = 0.05
# A message is looked up by its heaviest features only (its rarest words and n-grams):
# a parse reads a bounded part of the index however large it grows.
QUERY_FEATURES = 32
MIN_POSTING_CAP = 200  # small indexes keep every feature up to this many rows


@dataclass(frozen=True, slots=True)
class NeighbourModel:
    """`postings`: (n_features, n_rows) float32 CSR, each training row's weights under
    its features; rows sorted by class, class c's rows start at `starts[c]`."""

    postings: csr_matrix
    starts: np.ndarray
    n_classes: int
    row_class: np.ndarray  # the class of each training row

    @classmethod
    def build(cls, postings: csr_matrix, starts: np.ndarray) -> NeighbourModel:
        counts = np.diff(np.append(starts, postings.shape[1]))
        row_class = np.repeat(np.arange(len(starts), dtype=np.int32), counts)
        return cls(postings=postings, starts=starts, n_classes=len(starts), row_class=row_class)

    def scores_one(self, indices: np.ndarray, values: np.ndarray) -> np.ndarray:
        if len(indices) == 0:
            return np.zeros(self.n_classes, dtype=np.float32)
        if len(indices) > QUERY_FEATURES:  # its heaviest features find its neighbours
            heaviest = np.argpartition(-values, QUERY_FEATURES - 1)[:QUERY_FEATURES]
            indices, values = indices[heaviest], values[heaviest]
        gathered = self.postings[indices]
        contributions = gathered.data * np.repeat(values.astype(np.float32),
                                                  np.diff(gathered.indptr))
        similar = np.bincount(gathered.indices, weights=contributions,
                              minlength=self.postings.shape[1])
        return np.asarray(np.maximum.reduceat(similar, self.starts), dtype=np.float32)

    def scores(self, matrix: csr_matrix) -> np.ndarray:
        parts = [self._block_scores(matrix[i : i + _CHUNK])
                 for i in range(0, matrix.shape[0], _CHUNK)]
        if not parts:
            return np.zeros((0, self.n_classes), dtype=np.float32)
        return np.vstack(parts)

    def similarities(self, matrix: csr_matrix) -> np.ndarray:
        """(rows of `matrix`) × (training rows), dense; each row looked up by its
        heaviest features, as `scores_one` does."""
        queries = prune_rows(matrix, keep=QUERY_FEATURES).astype(np.float32)
        return np.asarray((queries @ self.postings).toarray())

    def _block_scores(self, matrix: csr_matrix) -> np.ndarray:
        return np.asarray(np.maximum.reduceat(self.similarities(matrix), self.starts, axis=1))


def fit_neighbours(
    data: TrainingData, seed: int, index_rows: csr_matrix | None = None
) -> tuple[NeighbourModel, Calibrator]:
    """The model (its rows sorted by class) and its calibrator. `index_rows`: the
    training rows already pruned (`prune_rows(data.matrix)`), if the caller has them."""
    order = np.argsort(data.labels, kind="stable")
    labels = data.labels[order]
    starts = np.searchsorted(labels, np.arange(data.n_classes))
    if np.any(np.diff(np.append(starts, len(labels))) == 0):
        raise ValueError("every class needs at least one training row")
    pruned = prune_rows(data.matrix) if index_rows is None else index_rows
    postings = pruned[order].T.astype(np.float32).tocsr()
    model = NeighbourModel.build(postings, starts)
    return model, _calibrate(model, data, order, seed)


def _calibrate(
    model: NeighbourModel, data: TrainingData, order: np.ndarray, seed: int
) -> Calibrator:
    rng = np.random.RandomState(seed)
    candidates = np.flatnonzero(data.labels < data.n_intents)
    sample = np.sort(rng.choice(candidates, min(CALIBRATION_SAMPLE, len(candidates)),
                                replace=False))
    as_unknown = rng.random_sample(len(sample)) < OOS_SHARE
    position = np.empty(len(order), dtype=np.int64)
    position[order] = np.arange(len(order))  # original row → its place in `postings`
    coverage = _Coverage.of(data.docs, data.labels, data.n_intents)
    feats, correct, raw, truth = [], [], [], []
    for begin in range(0, len(sample), _CHUNK):
        rows = sample[begin : begin + _CHUNK]
        similar = model.similarities(data.matrix[rows])
        similar[np.arange(len(rows)), position[rows]] = 0.0  # leave the question itself out
        scores = np.maximum.reduceat(similar, model.starts, axis=1)
        labels = data.labels[rows]
        unknown = as_unknown[begin : begin + _CHUNK]
        scores[np.flatnonzero(unknown), labels[unknown]] = 0.0  # as if never taught
        intents = scores[:, : data.n_intents]
        background = scores[:, data.n_intents :].max(axis=1, initial=0.0)
        off_topic = background > intents.max(axis=1)
        right = (intents.argmax(axis=1) == labels) & ~off_topic & ~unknown
        stats = data.stats[rows].copy()
        stats[:, 0] = [coverage.known_share(int(r), excluding_intent=bool(u))
                       for r, u in zip(rows, unknown, strict=True)]
        feats.append(score_features(intents, stats))
        correct.append(right)
        raw.append(intents)
        truth.append(np.where(unknown, -1, labels))
    return fit_calibrator(np.concatenate(feats), np.concatenate(correct),
                          np.concatenate(raw), np.concatenate(truth), seed)


@dataclass(frozen=True, slots=True)
class _Coverage:
    """Word coverage as a parse would see it without the question itself (a word is
    known when another question has it) or without its whole intent."""

    docs: Sequence[Sequence[str]]
    labels: np.ndarray
    row_count: Counter[str]  # in how many training questions each word occurs
    intent_count: Counter[str]  # in how many intents
    intent_words: dict[int, Counter[str]]  # per intent: word → questions having it

    @classmethod
    def of(cls, docs: Sequence[Sequence[str]], labels: np.ndarray, n_intents: int) -> _Coverage:
        row_count: Counter[str] = Counter()
        intent_words: dict[int, Counter[str]] = {}
        for words, label in zip(docs, labels, strict=True):
            if label >= n_intents:
                continue
            unique = set(words)
            row_count.update(unique)
            intent_words.setdefault(int(label), Counter()).update(unique)
        intent_count: Counter[str] = Counter()
        for counts in intent_words.values():
            intent_count.update(counts.keys())
        return cls(docs, labels, row_count, intent_count, intent_words)

    def known_share(self, row: int, *, excluding_intent: bool) -> float:
        words = self.docs[row]
        if not words:
            return 0.0
        if excluding_intent:
            own = self.intent_words.get(int(self.labels[row]), Counter())
            known = sum(self.intent_count[w] - (w in own) > 0 for w in words)
        else:
            known = sum(self.row_count[w] > 1 for w in words)
        return known / len(words)


def prune_rows(
    matrix: csr_matrix, keep: int = KEEP_PER_ROW, unindexed: np.ndarray | None = None
) -> csr_matrix:
    """Each row with only its `keep` largest values (the index a parse searches), and
    none of the `unindexed` features (a boolean mask over the columns)."""
    from scipy.sparse import csr_matrix

    rows = matrix.tocsr()
    if unindexed is not None:
        rows = rows.copy()
        rows.data[unindexed[rows.indices]] = 0.0
        rows.eliminate_zeros()
    counts = np.diff(rows.indptr)
    if counts.max(initial=0) <= keep:
        return rows
    row_of = np.repeat(np.arange(rows.shape[0], dtype=np.float64), counts)
    # one sort key: the row, then the largest value first (values are in [0, 2))
    ranked = np.argsort(row_of * 4.0 - rows.data, kind="stable")
    rank = np.arange(len(ranked)) - np.repeat(rows.indptr[:-1], counts)
    chosen = np.sort(ranked[rank < keep])
    indptr = np.concatenate([[0], np.cumsum(np.minimum(counts, keep))])
    return csr_matrix((rows.data[chosen], rows.indices[chosen], indptr), shape=rows.shape)


def index_rows(matrix: csr_matrix, stopwords: np.ndarray) -> csr_matrix:
    """The rows as the index keeps them: pruned to their heaviest features, without
    the function words (`stopwords`, a column mask), and without any feature still
    under more than `MAX_POSTING_SHARE` of the rows after that: a message's "the", "de"
    or " th" would otherwise make every parse read most of the index, for almost no
    say in which question is nearest."""
    pruned = prune_rows(matrix, unindexed=stopwords)
    postings = np.bincount(pruned.indices, minlength=matrix.shape[1])
    common = postings > max(MIN_POSTING_CAP, MAX_POSTING_SHARE * matrix.shape[0])
    return prune_rows(pruned, unindexed=common) if common.any() else pruned


def function_word_mask(vectorizer: Vectorizer) -> np.ndarray:
    """Word features made only of function words ("the", "de la"): never indexed."""
    mask = np.zeros(vectorizer.n_features, dtype=bool)
    for term, feature in vectorizer.word_vocab.items():
        if all(word in FUNCTION_WORDS for word in term.split(" ")):
            mask[feature] = True
    return mask
