"""Snowball stems join the forms of a word in Spanish and English."""

from __future__ import annotations

import pytest

from relevo.nlu.stemming import stem, stem_language, stem_token

SAME_STEM = [
    ("es", "factura", "facturas"), ("es", "devolucion", "devoluciones"),
    ("es", "reembolso", "reembolsos"), ("es", "llega", "llegado"),
    ("es", "envio", "enviado"), ("es", "cargador", "cargadores"),
    ("es", "precio", "precios"), ("es", "garantia", "garantias"),
    ("es", "cancelar", "cancelado"), ("es", "pagar", "pagado"),
    ("en", "invoice", "invoices"), ("en", "charge", "charging"),
    ("en", "deliver", "delivered"), ("en", "refund", "refunded"),
    ("en", "headphone", "headphones"), ("en", "ship", "shipping"),
    ("en", "order", "ordered"), ("en", "return", "returning"),
    ("en", "pair", "pairing"), ("en", "cancel", "cancelled"),
]


@pytest.mark.parametrize(("language", "one", "other"), SAME_STEM)
def test_forms_of_one_word_share_a_stem(language: str, one: str, other: str) -> None:
    assert stem(one, language) == stem(other, language)


@pytest.mark.parametrize(
    ("language", "one", "other"),
    [("es", "pedido", "pelado"), ("en", "order", "border"), ("es", "cuenta", "cuesta")],
)
def test_different_words_keep_different_stems(language: str, one: str, other: str) -> None:
    assert stem(one, language) != stem(other, language)


def test_numbers_and_short_words_get_no_stem_token() -> None:
    assert stem_token("0", "es") is None
    assert stem_token("mi", "es") is None
    assert stem_token("facturas", "es") == "~factur"


@pytest.mark.parametrize(
    ("locale", "default", "language"),
    [("es-MX", "en", "es"), ("en", "es", "en"), (None, "es", "es"), ("pt", "es", "es"),
     (None, "fr", "en")],
)
def test_stem_language_falls_back_to_the_default_then_english(
    locale: str | None, default: str, language: str
) -> None:
    assert stem_language(locale, default) == language


def test_an_unknown_language_is_refused() -> None:
    with pytest.raises(ValueError, match="no stemmer"):
        stem("casa", "pt")
