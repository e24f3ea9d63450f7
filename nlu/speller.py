"""A speller for the shop's own words: "factrua" → "factura", "hedphones" → "headphones".

Only words that matter can be corrected into: the shop vocabulary (every word the
knowledge base teaches, plus the lexicon's). A word is left alone when it is in that
vocabulary or is a frequent general word of Spanish or English ("alarma", "weather"):
correcting those would drag off-topic messages into the shop's topics. Anything else
goes to the nearest shop word within the edit distance its length allows, ties broken
by how often the shop data uses the word.

Lookup is a symmetric-delete index (SymSpell): every shop word is stored under each of
its deletions up to the maximum distance, so a query generates its own deletions and
meets its candidates in a few dict look-ups, then an exact distance confirms them.

The general word list is pyspellchecker's word-frequency data (shipped in the package,
read lazily once per process, only the first time an unknown word is seen).
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterable, Mapping
from functools import cache
from importlib.resources import files

from relevo.bot.text import fold

# pyspellchecker's lists hold no common misspellings ("recieve", "adress" are not
# there), so any listed word counts as a real one: "gatos" must not become "datos"
GENERAL_MIN_COUNT = 1
# Spanish imperatives carry their pronouns ("cuéntame", "resérvame", "ayúdame"); the
# lists rarely have those forms, the bare verb they do
_ENCLITICS = (
    "melo", "mela", "selo", "sela", "me", "te", "lo", "la", "le", "nos", "se", "les",
    "los", "las",
)
# shorter words are too ambiguous to correct ("sim" and "sin" are both right)
MIN_LENGTH = 4
MAX_CACHED = 50_000


def max_distance(word: str) -> int:
    """Edits allowed for a word of this length: 1 up to 5 letters, 2 beyond."""
    return 1 if len(word) <= 5 else 2


@cache
def general_words() -> frozenset[str]:
    """Frequent Spanish and English words, folded like `text.tokens` folds them."""
    resources = files("spellchecker").joinpath("resources")
    words: set[str] = set()
    for language in ("es", "en"):
        raw = resources.joinpath(f"{language}.json.gz").read_bytes()
        counts: dict[str, int] = json.loads(gzip.decompress(raw))
        words.update(fold(w) for w, n in counts.items() if n >= GENERAL_MIN_COUNT)
    return frozenset(words)


def is_general(word: str) -> bool:
    """A real Spanish or English word (that the shop may not know)."""
    general = general_words()
    if word in general:
        return True
    return any(
        word.endswith(suffix) and word[: -len(suffix)] in general
        for suffix in _ENCLITICS
        if len(word) - len(suffix) >= MIN_LENGTH
    )


def _deletes(word: str, depth: int) -> set[str]:
    out = {word}
    frontier = {word}
    for _ in range(depth):
        frontier = {w[:i] + w[i + 1 :] for w in frontier for i in range(len(w))}
        out |= frontier
    return out


def distance(a: str, b: str) -> int:
    """Optimal string alignment distance (a transposition counts as one edit)."""
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cost = 0 if ca == cb else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                current[j] = min(current[j], previous2[j - 2] + 1)
        previous2, previous = previous, current
    return previous[-1]


class Speller:
    """Corrects unknown words to shop words. Built from word counts (what the model
    file stores); the general word list is only consulted for words the shop lacks."""

    def __init__(self, counts: Mapping[str, int]) -> None:
        self.counts = dict(counts)
        self._index: dict[str, list[str]] = {}
        for word in self.counts:
            if len(word) >= MIN_LENGTH - 1 and not word.isdigit():
                for variant in _deletes(word, max_distance(word)):
                    self._index.setdefault(variant, []).append(word)
        self._cache: dict[str, str] = {}

    @classmethod
    def from_words(cls, words: Iterable[str], extra: Iterable[str] = ()) -> Speller:
        counts: dict[str, int] = {}
        for word in words:
            counts[word] = counts.get(word, 0) + 1
        for word in extra:
            counts.setdefault(word, 1)
        return cls(counts)

    def correct(self, word: str) -> str:
        """The shop word `word` most likely meant, or `word` itself."""
        if word in self.counts or len(word) < MIN_LENGTH or not word.isalpha():
            return word
        found = self._cache.get(word)
        if found is None:
            found = word if is_general(word) else self._nearest(word)
            if len(self._cache) < MAX_CACHED:  # bounded: parse sees arbitrary words
                self._cache[word] = found
        return found

    def correct_all(self, words: list[str]) -> list[str]:
        return [self.correct(word) for word in words]

    def _nearest(self, word: str) -> str:
        limit = max_distance(word)
        best: tuple[int, int, str] | None = None  # (distance, -count, word)
        for variant in _deletes(word, limit):
            for candidate in self._index.get(variant, ()):
                # a typo rarely hits the first letter, and a different first letter
                # is how a foreign word ("llueve") would pass for a shop one ("sleeve")
                if abs(len(candidate) - len(word)) > limit or candidate[0] != word[0]:
                    continue
                edits = distance(word, candidate)
                if edits <= min(limit, max_distance(candidate)):
                    key = (edits, -self.counts[candidate], candidate)
                    if best is None or key < best:
                        best = key
        return word if best is None else best[2]
