"""Hand-rolled TF-IDF over word 1-2 grams and char_wb 2-5 grams.

Why not sklearn's vectorizers: their per-call overhead on one short string is ~0.3-1 ms,
the whole parse budget. This one caches each known word's char n-gram ids, so a parse is
a few dict look-ups plus one small numpy gather. Training and parsing share `analyse`,
so they cannot drift apart.
"""

from __future__ import annotations

import itertools
import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

# scipy (a few hundred ms of imports) only where a matrix is built: training, not parsing.
if TYPE_CHECKING:
    from scipy.sparse import csr_matrix

CHAR_MIN, CHAR_MAX = 2, 5
# each block is L2-normalised then weighted so the whole vector has unit norm
BLOCK_WEIGHT = math.sqrt(0.5)


def char_ngrams(word: str) -> list[str]:
    padded = f" {word} "
    n_chars = len(padded)
    return [
        padded[i : i + n]
        for n in range(CHAR_MIN, CHAR_MAX + 1)
        for i in range(n_chars - n + 1)
    ]


def word_terms(words: Sequence[str], extra: Sequence[str] = ()) -> list[str]:
    """Word unigrams and bigrams, plus `extra` unigram terms (stems, lexicon concepts:
    `analysis.Analysed.extra`), which take part in no bigram and no char n-gram."""
    return [*words, *(f"{a} {b}" for a, b in itertools.pairwise(words)), *extra]


@dataclass(frozen=True, slots=True)
class Features:
    """One text's sparse vector plus how much of it the vocabulary knew."""

    indices: np.ndarray  # int64 feature ids
    values: np.ndarray  # float32 weights, unit norm overall
    known_word_share: float
    known_char_share: float
    n_tokens: int


class Vectorizer:
    def __init__(
        self,
        word_vocab: dict[str, int],
        char_vocab: dict[str, int],
        idf: np.ndarray,
    ) -> None:
        self.word_vocab = word_vocab
        self.char_vocab = char_vocab  # ids continue after the word ids
        self.idf = idf.astype(np.float32)
        self._word_chars: dict[str, list[int]] = {}

    @property
    def n_features(self) -> int:
        return len(self.word_vocab) + len(self.char_vocab)

    @classmethod
    def fit(
        cls, docs: Sequence[Sequence[str]], extras: Sequence[Sequence[str]] | None = None
    ) -> Vectorizer:
        """Learn vocabularies and idf from tokenised documents (and their extra terms)."""
        n_docs = len(docs)
        extras = extras if extras is not None else [()] * n_docs
        word_df: Counter[str] = Counter()
        char_df: Counter[str] = Counter()
        ngram_cache: dict[str, list[str]] = {}
        for words, extra in zip(docs, extras, strict=True):
            word_df.update(set(word_terms(words, extra)))
            grams: set[str] = set()
            for word in words:
                cached = ngram_cache.get(word)
                if cached is None:
                    cached = ngram_cache[word] = char_ngrams(word)
                grams.update(cached)
            char_df.update(grams)
        # a char n-gram seen in one document only is mostly noise once data is large
        min_char_df = 2 if n_docs >= 1000 else 1
        word_vocab = {t: i for i, t in enumerate(sorted(word_df))}
        char_terms = sorted(t for t, df in char_df.items() if df >= min_char_df)
        offset = len(word_vocab)
        char_vocab = {t: offset + i for i, t in enumerate(char_terms)}
        dfs = np.array(
            [word_df[t] for t in sorted(word_df)] + [char_df[t] for t in char_terms],
            dtype=np.float64,
        )
        idf = np.log((1.0 + n_docs) / (1.0 + dfs)) + 1.0
        return cls(word_vocab, char_vocab, idf)

    def _char_ids(self, word: str) -> list[int]:
        ids = self._word_chars.get(word)
        if ids is None:
            vocab = self.char_vocab
            ids = [vocab[g] for g in char_ngrams(word) if g in vocab]
            if len(self._word_chars) < 200_000:  # bounded: parse sees arbitrary words
                self._word_chars[word] = ids
        return ids

    def features(self, words: Sequence[str], extra: Sequence[str] = ()) -> Features:
        word_vocab = self.word_vocab
        terms = word_terms(words, extra)
        word_ids = [word_vocab[t] for t in terms if t in word_vocab]
        char_ids: list[int] = []
        n_grams_total = 0
        for word in words:
            ids = self._char_ids(word)
            char_ids.extend(ids)
            n_grams_total += 4 * len(word) + 2  # n-grams of lengths 2..5 of " word "
        word_part = self._block(word_ids)
        char_part = self._block(char_ids)
        indices = np.concatenate([word_part[0], char_part[0]])
        values = np.concatenate([word_part[1], char_part[1]])
        return Features(
            indices=indices,
            values=values,
            known_word_share=(
                sum(w in word_vocab for w in words) / len(words) if words else 0.0
            ),
            known_char_share=len(char_ids) / n_grams_total if n_grams_total else 0.0,
            n_tokens=len(words),
        )

    def _block(self, ids: list[int]) -> tuple[np.ndarray, np.ndarray]:
        if not ids:
            return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.float32)
        unique, counts = np.unique(np.asarray(ids, dtype=np.int64), return_counts=True)
        weights = (1.0 + np.log(counts.astype(np.float32))) * self.idf[unique]
        weights *= BLOCK_WEIGHT / float(np.sqrt(np.dot(weights, weights)))
        return unique, weights

    def matrix(
        self, docs: Sequence[Sequence[str]], extras: Sequence[Sequence[str]] | None = None
    ) -> tuple[csr_matrix, np.ndarray]:
        """Rows for training, and the per-row coverage stats [word share, char share, n].

        The same vectors `features` gives one text (tests hold them equal), built for
        all rows at once: counting, idf and the per-block norms as whole-array steps
        instead of a few small numpy calls per row."""
        from scipy.sparse import coo_matrix

        extras = extras if extras is not None else [()] * len(docs)
        word_vocab = self.word_vocab
        ids: list[int] = []
        row_lengths: list[int] = []
        stats = np.zeros((len(docs), 3), dtype=np.float64)
        for row, (words, extra) in enumerate(zip(docs, extras, strict=True)):
            before = len(ids)
            ids.extend(word_vocab[t] for t in word_terms(words, extra) if t in word_vocab)
            n_char_ids, n_grams_total = len(ids), 0
            for word in words:
                ids.extend(self._char_ids(word))
                n_grams_total += 4 * len(word) + 2  # n-grams of lengths 2..5 of " word "
            row_lengths.append(len(ids) - before)
            stats[row] = (
                sum(w in word_vocab for w in words) / len(words) if words else 0.0,
                (len(ids) - n_char_ids) / n_grams_total if n_grams_total else 0.0,
                len(words),
            )
        shape = (len(docs), self.n_features)
        row_of = np.repeat(np.arange(len(docs), dtype=np.int64), row_lengths)
        counted = coo_matrix(
            (np.ones(len(ids), dtype=np.float32), (row_of, np.asarray(ids, dtype=np.int64))),
            shape=shape,
        ).tocsr()  # duplicates summed: term counts
        counted.sort_indices()
        data = (1.0 + np.log(counted.data)) * self.idf[counted.indices]
        # each row's word block and char block normalised to BLOCK_WEIGHT
        rows = np.repeat(np.arange(len(docs), dtype=np.int64), np.diff(counted.indptr))
        block = rows * 2 + (counted.indices >= len(word_vocab))
        norms = np.sqrt(np.bincount(block, weights=data.astype(np.float64) ** 2,
                                    minlength=2 * len(docs))).astype(np.float32)
        counted.data = (data * (BLOCK_WEIGHT / norms[block])).astype(np.float32)
        return counted.astype(np.float64), stats

    def to_state(self) -> dict[str, object]:
        words = [""] * len(self.word_vocab)
        for term, i in self.word_vocab.items():
            words[i] = term
        offset = len(self.word_vocab)
        chars = [""] * len(self.char_vocab)
        for term, i in self.char_vocab.items():
            chars[i - offset] = term
        return {"words": words, "chars": chars}

    @classmethod
    def from_state(cls, state: dict[str, list[str]], idf: np.ndarray) -> Vectorizer:
        words = state["words"]
        word_vocab = {t: i for i, t in enumerate(words)}
        char_vocab = {t: len(words) + i for i, t in enumerate(state["chars"])}
        return cls(word_vocab, char_vocab, idf)
