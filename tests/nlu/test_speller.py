"""The speller corrects typos into the shop's own words and leaves real words alone."""

from __future__ import annotations

import pytest

from relevo.nlu.lexicon import load_lexicon
from relevo.nlu.speller import Speller, distance
from relevo.nlu.text import tokens


@pytest.fixture(scope="module")
def demo_speller() -> Speller:
    from relevo.knowledge_base.training import examples_from_dir

    words = [w for e in examples_from_dir() for w in tokens(e.text)]
    return Speller.from_words(words, load_lexicon().words)


SPANISH = [
    ("factrua", "factura"), ("facura", "factura"), ("reembolzo", "reembolso"),
    ("contrasenia", "contrasena"), ("cargadro", "cargador"), ("auriculres", "auriculares"),
    ("tarjta", "tarjeta"), ("pedio", "pedido"), ("garantai", "garantia"),
    ("devolucion", "devolucion"), ("recivi", "recibir"), ("enbio", "envio"),
    # real words the shop never uses stay as they are
    ("alarma", "alarma"), ("recoger", "recoger"), ("cumpleanos", "cumpleanos"),
    ("receta", "receta"), ("cuentame", "cuentame"), ("reservame", "reservame"),
    ("futbol", "futbol"), ("pelicula", "pelicula"),
]
ENGLISH = [
    ("adress", "address"), ("recieve", "receive"), ("hedphones", "headphones"),
    ("invocie", "invoice"), ("pasword", "password"), ("delivry", "delivery"),
    ("shiping", "shipping"), ("warrenty", "warranty"), ("refnd", "refund"),
    ("chager", "charger"), ("acount", "account"), ("bluetoth", "bluetooth"),
    ("weather", "weather"), ("football", "football"), ("recipe", "recipe"),
    ("alarm", "alarm"), ("bill", "bill"), ("parcel", "parcel"), ("movie", "movie"),
    ("birthday", "birthday"),
]


@pytest.mark.parametrize(("word", "expected"), SPANISH + ENGLISH)
def test_corrects_to_shop_words_and_leaves_real_words(
    demo_speller: Speller, word: str, expected: str
) -> None:
    assert demo_speller.correct(word) == expected


def test_short_words_and_numbers_are_never_corrected() -> None:
    speller = Speller({"sim": 3, "factura": 5})
    assert speller.correct("sin") == "sin"
    assert speller.correct("0") == "0"


def test_ties_go_to_the_commoner_shop_word() -> None:
    speller = Speller({"carta": 1, "carpa": 9})
    assert speller.correct("carxa") == "carpa"


def test_longer_words_allow_two_edits_shorter_ones_one() -> None:
    speller = Speller({"devolver": 1, "caja": 1})
    assert speller.correct("devolbr") == "devolver"  # 2 edits, 7 letters
    assert speller.correct("cxxa") == "cxxa"  # 2 edits on 4 letters: too far


@pytest.mark.parametrize(
    ("a", "b", "edits"), [("factura", "factrua", 1), ("casa", "casa", 0), ("abc", "", 3)]
)
def test_distance_counts_a_transposition_as_one_edit(a: str, b: str, edits: int) -> None:
    assert distance(a, b) == edits
