"""Snowball stems for Spanish and English, cached per (language, word).

A stem joins the forms of one word ("facturas", "factura" → "factur"; "charging",
"charger" → "charg") so a form the knowledge base never used still meets the one it did.
Stems are added beside the words as extra features (`~factur`), never instead of them:
the word itself stays the stronger evidence.
"""

from __future__ import annotations

from functools import cache, lru_cache

import snowballstemmer

from relevo.bot.text import language_of

# the languages with a stemmer; anything else is stemmed as the shop's default would be
_ALGORITHMS = {"es": "spanish", "en": "english"}
STEM_PREFIX = "~"
# stems of very short words are the words themselves or noise ("la", "do")
MIN_STEM_LENGTH = 3


@cache
def _stemmer(language: str) -> snowballstemmer.stemmer:
    return snowballstemmer.stemmer(_ALGORITHMS[language])


def stem_language(locale: str | None, default: str = "en") -> str:
    """The stemmer to use for `locale`: its language if it has one, else `default`'s
    (and English when neither has one)."""
    for candidate in (language_of(locale), language_of(default)):
        if candidate in _ALGORITHMS:
            return candidate
    return "en"


@lru_cache(maxsize=100_000)  # bounded: parse sees arbitrary words
def stem(word: str, language: str) -> str:
    """`word`'s stem in `language` ("es" or "en"; folded input, as `text.tokens` gives)."""
    if language not in _ALGORITHMS:
        raise ValueError(f"no stemmer for language {language!r}")
    return str(_stemmer(language).stemWord(word))


def stem_token(word: str, language: str) -> str | None:
    """The feature token of `word`'s stem, or None for numbers and very short words."""
    if len(word) < MIN_STEM_LENGTH or word.isdigit():
        return None
    return STEM_PREFIX + stem(word, language)
