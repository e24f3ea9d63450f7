"""What counts as a rating after the CSAT question, over a table of real phrasings in
Spanish and English: the score and the comment beside it, and the questions and
messages that must NOT be taken for a rating."""

from __future__ import annotations

import pytest

from relevo.handoff.csat_parse import parse_rating

# (what the shopper wrote, (score, comment) expected; None: not a rating)
PHRASINGS: list[tuple[str, tuple[int, str | None] | None]] = [
    # digits, with and without a comment
    ("5", (5, None)),
    (" 3. ", (3, None)),
    ("4!", (4, None)),
    ("5, thanks Lucía!", (5, "thanks Lucía!")),
    ("4 - the parcel came late", (4, "the parcel came late")),
    ("4 the parcel came late", (4, "the parcel came late")),
    ("2: nadie me contestó en dos días", (2, "nadie me contestó en dos días")),
    ("5 thanks", (5, "thanks")),
    ("5 gracias!!", (5, "gracias!!")),
    ("3 — podría ser más rápido", (3, "podría ser más rápido")),
    ("5/5", (5, None)),
    ("4/5 muy amable", (4, "muy amable")),
    ("4 de 5", (4, None)),
    ("4 sobre 5, bien", (4, "bien")),
    ("4 out of 5", (4, None)),
    ("2 of 5", (2, None)),
    ("5 stars", (5, None)),
    ("5 estrellas, muy contento", (5, "muy contento")),
    # lead-ins
    ("un 4", (4, None)),
    ("Un 5 para Lucía", (5, "para Lucía")),
    ("le doy un 5", (5, None)),
    ("I'd give it a 4", (4, None)),
    ("a 5!", (5, None)),
    ("nota: 3", (3, None)),
    # number words and stars
    ("cinco", (5, None)),
    ("Cinco!", (5, None)),
    ("tres.", (3, None)),
    ("four", (4, None)),
    ("five stars, great", (5, "great")),
    ("cuatro estrellas", (4, None)),
    ("⭐⭐⭐⭐", (4, None)),
    ("⭐", (1, None)),
    ("★★", (2, None)),
    ("⭐️⭐️⭐️ ok", (3, "ok")),
    ("⭐⭐⭐⭐⭐ gracias Lucía", (5, "gracias Lucía")),
    # words: the comment is the whole message when it says more than the word
    ("muy bien", (5, None)),
    ("Excelente!!", (5, None)),
    ("excelente servicio, gracias", (5, "excelente servicio, gracias")),
    ("bien", (4, None)),
    ("bien gracias", (4, "bien gracias")),
    ("regular", (3, None)),
    ("Regular, tardó mucho", (3, "Regular, tardó mucho")),
    ("mal", (2, None)),
    ("fatal", (1, None)),
    ("muy mal, nadie me ayudó", (1, "muy mal, nadie me ayudó")),
    ("no está mal", (3, None)),
    ("great", (5, None)),
    ("great, thanks", (5, "great, thanks")),
    ("Good", (4, None)),
    ("meh", (3, None)),
    ("not bad", (3, None)),
    ("not great tbh", (2, "not great tbh")),
    ("terrible", (1, None)),
    ("It was terrible.", (1, None)),
    ("todo perfecto", (5, None)),
    # not ratings: questions, quantities, other messages
    ("5 pairs of socks?", None),
    ("5 pairs of socks", None),
    ("do you have size 4?", None),
    ("tengo 2 pedidos", None),
    ("2 pedidos no han llegado", None),
    ("bien, y cuánto tarda el envío?", None),
    ("¿5 días para el envío", None),
    ("3 a 5 días", None),
    ("4 de julio", None),
    ("2 or 3", None),
    ("4-5", None),
    ("4.5", None),
    ("1/2", None),
    ("10", None),
    ("0", None),
    ("6", None),
    ("45", None),
    ("3/10", None),
    ("10/10", None),
    ("seis", None),
    ("⭐⭐⭐⭐⭐⭐", None),
    ("one more thing", None),
    ("dos pedidos", None),
    ("una pregunta", None),
    ("good morning", None),
    ("Buenas tardes", None),
    ("gracias", None),
    ("thanks!", None),
    ("el pedido 12345 aún no llega", None),
    ("me llegó mal el pedido", None),
    ("asdf", None),
    ("quiero una persona", None),
    ("shipping", None),
    ("", None),
    ("5" + " muy bien" * 60, None),  # too long to be an answer to the question
]


@pytest.mark.parametrize(("text", "expected"), PHRASINGS, ids=[t for t, _ in PHRASINGS])
def test_a_rating_is_read_with_its_comment_and_a_question_is_not_a_rating(
    text: str, expected: tuple[int, str | None] | None
) -> None:
    assert parse_rating(text) == expected


def test_the_table_covers_both_languages_and_both_outcomes() -> None:
    rated = [t for t, e in PHRASINGS if e is not None]
    refused = [t for t, e in PHRASINGS if e is None]
    assert len(rated) >= 40 and len(refused) >= 25
