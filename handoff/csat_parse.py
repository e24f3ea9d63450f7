"""Reading a rating in what a shopper wrote after the CSAT question, in Spanish and
English: "5, thanks Lucía!" → (5, "thanks Lucía!"), "un 4", "⭐⭐⭐⭐", "4/5", "cinco",
"muy bien", "terrible". Pure: no storage, no clock.

The rules (README, "Customer satisfaction"):
- a question is never a rating ("?" or "¿" anywhere): "bien, y cuánto tarda el envío?"
  goes to the bot, and the rating is still awaited;
- the score comes first: a digit 1–5 (optionally "un 4", "le doy un 5", "4/5", "4 de 5",
  "4 stars"), a number word ("cuatro", "four") or 1–5 stars; what follows it, after a
  comma, dash or space, is the comment ("4 - the parcel came late");
- a digit followed by a quantity is not a score: "2 pedidos no han llegado",
  "5 pairs of socks", "3 a 5 días", "4.5";
- a rating word or phrase ("excelente", "bien", "meh", "not bad", `_WORDS`) counts only
  at the start; the comment is then the whole message when it says more than the word.
"""

from __future__ import annotations

import re

from relevo.bot.text import fold

MAX_TEXT = 300  # longer than this is a message, not an answer to "how would you rate…"
MAX_COMMENT = 2000

# Rating words and phrases (accents folded) → score. Longest match wins.
_WORDS: dict[str, int] = {
    **dict.fromkeys((
        "excelente", "excellent", "perfecto", "perfecta", "perfect", "genial", "great",
        "fantastico", "fantastica", "fantastic", "increible", "amazing", "awesome",
        "brilliant", "estupendo", "estupenda", "maravilloso", "wonderful", "superb",
        "outstanding", "muy bien", "muy bueno", "muy buena", "very good", "de diez",
    ), 5),
    **dict.fromkeys((
        "bien", "bueno", "buena", "good", "nice", "pretty good", "bastante bien",
        "bastante bueno", "quite good",
    ), 4),
    **dict.fromkeys((
        "regular", "normal", "meh", "so so", "so-so", "asi asi", "mas o menos", "average",
        "not bad", "no esta mal", "ni bien ni mal", "aceptable", "acceptable", "okay-ish",
    ), 3),
    **dict.fromkeys((
        "mal", "malo", "mala", "bad", "poor", "not good", "not great", "no muy bien",
        "no muy bueno", "nada bien", "flojo", "mediocre", "bastante mal",
    ), 2),
    **dict.fromkeys((
        "fatal", "terrible", "horrible", "pesimo", "pesima", "awful", "muy mal", "muy malo",
        "muy mala", "very bad", "the worst", "worst", "horrendo", "un desastre", "desastre",
        "a disaster", "disaster", "useless", "inutil", "lamentable", "penoso",
    ), 1),
}
_NUMBERS = {
    "uno": 1, "dos": 2, "tres": 3, "cuatro": 4, "cinco": 5,
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5,
}

_LEAD = (  # what may come before a score: "un 4", "le doy un 5", "I'd give it a 4"
    r"(?:(?:(?:le|te|les|os)\s+)?(?:doy|pongo|daria|pondria)\s+(?:un|una)\s+"
    r"|(?:i\s*'?\s*d\s+|i\s+would\s+|i\s+)?(?:give|rate)\s+(?:it|you|her|him|them|this)\s+"
    r"(?:a\s+)?"
    r"|(?:mi\s+)?(?:nota|puntuacion|valoracion)\s*(?::|es|=)?\s*(?:un\s+)?"
    r"|(?:my\s+)?(?:rating|score)\s*(?::|is|=)?\s*(?:a\s+)?"
    r"|un\s+|una\s+|a\s+|an\s+)?"
)
_SCALE = r"(?:\s*(?:/|de|sobre|of|out\s+of)\s*(?:5|cinco|five)(?![\d.,]\d))?"
_UNIT = r"(?:\s*(?:estrellas?|stars?|(?:[★⭐]\ufe0f?)))?"
_DIGIT = re.compile(_LEAD + r"([1-5])(?![\d])(?![.,]\d)" + _SCALE + _UNIT)
_NUMBER = re.compile(
    _LEAD + r"(" + "|".join(_NUMBERS) + r")\b" + _SCALE + _UNIT
)
_STARS = re.compile(r"((?:[★⭐]\ufe0f?){1,5})(?![★⭐])")
_WORD_LEAD = re.compile(
    r"(?:todo|fue|ha\s+sido|estuvo|it\s+was|it'?s|was|the\s+service\s+was|"
    r"el\s+servicio\s+fue|la\s+atencion\s+fue)\s+"
)
_WORD = re.compile(
    "(" + "|".join(re.escape(w) for w in sorted(_WORDS, key=len, reverse=True)) + r")\b"
)
# Between the score and the comment.
_SEPARATOR = re.compile(r"[\s,.;:!\-–—…)(*\"'·|]*")
_PUNCTUATION = re.compile(r"\s*[,.;:!\-–—…)(*\"'·|]")

# A digit or number word followed by one of these is a quantity or a range, not a score.
_QUANTITY_NEXT = frozenset((
    "de", "del", "of", "out", "sobre", "en", "in", "x", "por", "per", "a", "al", "to",
    "o", "or", "y", "and", "e", "u", "mas", "plus", "more", "menos", "less", "veces",
    "times", "at", "on", "con", "with", "sin", "without", "hasta", "until", "dias", "day",
    "days", "dia", "semanas", "weeks", "week", "semana", "horas", "hours", "hour", "hora",
    "minutos", "minutes", "meses", "months", "mes", "month", "euros", "euro", "eur", "€",
    "$", "usd", "dolares", "dollars", "talla", "size", "kg", "g", "cm", "mm", "m", "ml",
    "l", "%", "pedido", "order", "pair", "par", "item", "unidad", "unit", "producto",
    "product", "pieza", "piece", "paquete", "package", "parcel", "caja", "box", "boxes",
    "cosa", "thing", "am", "pm", "h",
))
# Words ending in "s" that may start a comment after a bare score ("5 thanks").
_NOT_PLURAL = frozenset((
    "thanks", "gracias", "this", "was", "is", "has", "as", "yes", "its", "always", "pues",
    "mas", "muchas", "muchisimas", "tus", "sus", "us", "es", "his", "hers",
    "stars", "estrellas", "todos", "todas", "super", "excelentes", "buenisimas",
))
# "good morning", "buenas tardes": a greeting, not a rating.
_GREETING_NEXT = frozenset((
    "morning", "afternoon", "evening", "night", "day", "dia", "dias", "tardes", "noches",
))


def parse_rating(text: str) -> tuple[int, str | None] | None:
    """(score, comment) when `text` answers "how would you rate…" with a 1–5 score,
    else None. The comment is None when the shopper wrote only the score."""
    if len(text) > MAX_TEXT or "?" in text or "¿" in text:
        return None
    folded, where = _fold_with_positions(text)
    start = len(folded) - len(folded.lstrip())
    found = _scored(folded, start)
    if found is None:
        return None
    score, end, comment_is_all = found
    rest = _SEPARATOR.match(folded, end)
    comment_start = where[rest.end() if rest else end]
    remainder = text[comment_start:].strip()
    if not remainder:
        return score, None
    comment = text.strip() if comment_is_all else remainder
    return score, comment[:MAX_COMMENT]


def _scored(folded: str, start: int) -> tuple[int, int, bool] | None:
    """(score, where the score ends, whether the comment is the whole text)."""
    for pattern in (_DIGIT, _NUMBER):
        match = pattern.match(folded, start)
        if match is None:
            continue
        value = match.group(1)
        score = int(value) if value.isdigit() else _NUMBERS[value]
        if _ends_score(folded, match.end(), bare=not value.isdigit()):
            return score, match.end(), False
        return None
    match = _STARS.match(folded, start)
    if match is not None:
        stars = sum(1 for c in match.group(1) if c in "★⭐")
        return stars, match.end(), False
    lead = _WORD_LEAD.match(folded, start)
    match = _WORD.match(folded, lead.end() if lead else start)
    if match is None or not _ends_word(folded, match.end()):
        return None
    return _WORDS[match.group(1)], match.end(), True


def _ends_score(folded: str, end: int, *, bare: bool) -> bool:
    """After a digit or number word: the end, punctuation, or a comment — not a quantity
    ("2 pedidos", "3 a 5 días"). After a number word ("one more thing") only the end or
    punctuation."""
    rest = folded[end:]
    if not rest.strip() or _PUNCTUATION.match(rest):
        return not re.match(r"\s*[-–/]\s*\d", rest)  # "4-5", "1/2": a range or a date
    if bare or not rest[0].isspace():
        return False
    words = re.findall(r"[\w€$%]+", rest)
    first = words[0] if words else ""
    if first.isdigit() or first in _QUANTITY_NEXT or first.rstrip("s") in _QUANTITY_NEXT:
        return False
    return not (first.endswith("s") and len(first) > 3 and first not in _NOT_PLURAL)


def _ends_word(folded: str, end: int) -> bool:
    rest = folded[end:]
    if not rest.strip() or _PUNCTUATION.match(rest):
        return True
    words = re.findall(r"\w+", rest)
    return rest[0].isspace() and bool(words) and words[0] not in _GREETING_NEXT


def _fold_with_positions(text: str) -> tuple[str, list[int]]:
    """The folded text and, for each of its characters, where it came from in `text`
    (one more entry for the end), so the comment keeps the shopper's own spelling."""
    parts: list[str] = []
    where: list[int] = []
    for index, char in enumerate(text):
        folded = fold(char)
        parts.append(folded)
        where.extend([index] * len(folded))
    where.append(len(text))
    return "".join(parts), where
