"""The training matrix and a parse see the same vectors: `Vectorizer.matrix` builds all
rows at once, `Vectorizer.features` one text at parse time."""

from __future__ import annotations

import numpy as np
import pytest

from relevo.nlu.features import Vectorizer
from relevo.nlu.text import tokens

TEXTS = [
    ("where is my order order", ["@order"]),
    ("cancelar mi pedido por favor", ["@cancel", "~cancel"]),
    ("", []),
    ("zzzz qqq", []),  # nothing known
    ("how long does delivery to Portugal take?", ["@shipping"]),
    ("¿Cuánto tarda el envío a Canarias?", ["@shipping", "~envi"]),
]


@pytest.fixture
def vectorizer() -> Vectorizer:
    docs = [tokens(t) for t, _ in TEXTS[:2] + TEXTS[4:]]
    return Vectorizer.fit(docs, [e for _, e in TEXTS[:2] + TEXTS[4:]])


@pytest.mark.parametrize("row", range(len(TEXTS)))
def test_each_training_row_is_the_vector_a_parse_computes(
    vectorizer: Vectorizer, row: int
) -> None:
    docs = [tokens(t) for t, _ in TEXTS]
    matrix, stats = vectorizer.matrix(docs, [e for _, e in TEXTS])
    one = vectorizer.features(docs[row], TEXTS[row][1])
    built = matrix.getrow(row)
    assert list(built.indices) == list(one.indices)
    assert np.allclose(built.data, one.values, atol=1e-6)
    assert np.allclose(stats[row], [one.known_word_share, one.known_char_share, one.n_tokens])


def test_rows_have_unit_norm_per_block(vectorizer: Vectorizer) -> None:
    matrix, _ = vectorizer.matrix([tokens("where is my parcel")], [["@order"]])
    assert np.isclose(float(matrix.getrow(0).multiply(matrix.getrow(0)).sum()), 1.0)
