"""Text normalisation and rule-based entities shared by training and parsing.

Both sides must see the same normalised text, so everything that shapes features lives
here: case and accent folding, digit runs to one token, chat spelling, a length bound.
"""

from __future__ import annotations

import re

from relevo.bot.nlu_types import Entity
from relevo.bot.text import fold

# Bound the work per message: the intent of a long message is almost always stated early,
# and featurising 100 kB would break the latency budget.
MAX_CHARS = 600
MAX_TOKENS = 80

_WORD = re.compile(r"[^\W_]+", re.UNICODE)
_DIGITS = re.compile(r"\d+")
_REPEATS = re.compile(r"(\w)\1{2,}")

# Common chat spellings in Spanish and English, mapped to the written form. Kept small
# on purpose: char n-grams absorb most typos, these are the ones n-grams cannot bridge.
_CHAT_WORDS: dict[str, str] = {
    "q": "que", "k": "que", "ke": "que", "xq": "porque", "pq": "porque", "porq": "porque",
    "x": "por", "tb": "tambien", "tmb": "tambien", "xfa": "por favor", "porfa": "por favor",
    "pfv": "por favor", "kiero": "quiero", "kier": "quiero", "qiero": "quiero", "d": "de",
    "u": "you", "ur": "your", "r": "are", "pls": "please", "plz": "please", "thx": "thanks",
    "ty": "thank you", "wanna": "want to", "gonna": "going to", "cant": "can not",
    "dont": "do not", "doesnt": "does not", "didnt": "did not", "wont": "will not",
    "im": "i am", "hw": "how", "wat": "what", "wht": "what", "abt": "about", "msg": "message",
}


def tokens(text: str) -> list[str]:
    """Normalised word tokens: folded, digit runs as `0`, chat spelling expanded."""
    folded = _DIGITS.sub(" 0 ", fold(text[:MAX_CHARS]))
    folded = _REPEATS.sub(r"\1\1", folded)  # "holaaaa" → "holaa", "plsss" → "plss"
    out: list[str] = []
    for word in _WORD.findall(folded):
        expansion = _CHAT_WORDS.get(word)
        if expansion is None:
            out.append(word)
        else:
            out.extend(expansion.split())
        if len(out) >= MAX_TOKENS:
            break
    return out[:MAX_TOKENS]


# --- entities -----------------------------------------------------------------------

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_PHONE = re.compile(r"(?<![\w#])\+?\d[\d ().-]{7,}\d(?!\w)")
_ORDER = re.compile(r"(?:#\s?)?\b[A-Za-z]{0,4}-?\d{5,}\b|#\s?\d{3,}\b")


def extract_entities(text: str) -> tuple[Entity, ...]:
    """`email`, `phone` and `order_number` by pattern; spans point into the original text."""
    found: list[Entity] = []
    taken: list[tuple[int, int]] = []

    def free(start: int, end: int) -> bool:
        return all(end <= s or start >= e for s, e in taken)

    for match in _EMAIL.finditer(text):
        found.append(Entity("email", match.group(), match.start(), match.end()))
        taken.append(match.span())
    for match in _PHONE.finditer(text):
        digits = re.sub(r"\D", "", match.group())
        # a phone has separators or a +; a bare run of digits is an order number
        looks_like_phone = match.group().startswith("+") or not match.group().isdigit()
        if 9 <= len(digits) <= 15 and looks_like_phone and free(*match.span()):
            found.append(Entity("phone", match.group().strip(), match.start(), match.end()))
            taken.append(match.span())
    for match in _ORDER.finditer(text):
        if free(*match.span()):
            value = match.group().lstrip("#").strip()
            found.append(Entity("order_number", value, match.start(), match.end()))
            taken.append(match.span())
    return tuple(sorted(found, key=lambda e: e.start))
