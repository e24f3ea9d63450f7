"""A shipped e-commerce lexicon: shopper words in Spanish and English mapped to concepts.

"bill", "receipt", "factura" and "ticket" all name the concept `invoice`; each word or
phrase found in a message adds its concept tokens (`@invoice`) to the features, beside
the words themselves, at training and at parse. So a word the knowledge base never
taught ("bill") shares a feature with one it did ("factura"), in either language.

The data lives in `nlu/lexicon_<language>.yml` (`concepts: {concept: [phrases]}`; beside
this module rather than in a `lexicon/` folder, which would shadow it as a package);
`lexicon_version()` is its hash, recorded in trained models so a changed lexicon
retrains (model_io.fingerprint).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import yaml

from relevo.nlu.stemming import MIN_STEM_LENGTH, stem
from relevo.nlu.text import tokens

LEXICON_DIR = Path(__file__).parent
LANGUAGES = ("en", "es")
CONCEPT_PREFIX = "@"
# a stem shorter than this is too ambiguous to stand for a lexicon word ("pag", "ped")
_MIN_STEM_MATCH = 4


@dataclass(frozen=True, slots=True)
class Lexicon:
    # folded phrase (as a tuple of tokens) → concept tokens ("@invoice", ...)
    phrases: dict[tuple[str, ...], tuple[str, ...]]
    # per language: stem of a one-word entry → concept tokens (plurals, verb forms)
    stems: dict[str, dict[str, tuple[str, ...]]]
    longest: int  # tokens in the longest phrase
    starts: frozenset[str] = frozenset()  # first words of the multi-word phrases
    # (word, language) → concepts of its other forms; filled as words are seen
    _forms: dict[tuple[str, str], tuple[str, ...]] = field(default_factory=dict)

    @property
    def words(self) -> frozenset[str]:
        """Every word of every phrase (the speller's vocabulary takes them in)."""
        return frozenset(word for phrase in self.phrases for word in phrase)

    def concepts(self, words: Sequence[str], language: str) -> list[tuple[str, ...]]:
        """Per word of `words`, the concept tokens of the lexicon entries covering it: the
        longest phrase starting at each word, else the word's stem in `language`."""
        found: list[set[str]] = [set() for _ in words]
        for start in range(len(words)):
            longest = self.longest if words[start] in self.starts else 1
            for size in range(min(longest, len(words) - start), 0, -1):
                hit = self.phrases.get(tuple(words[start : start + size]))
                if hit is not None:
                    for i in range(start, start + size):
                        found[i].update(hit)
                    break
            else:
                found[start].update(self._by_form(words[start], language))
        return [tuple(sorted(concepts)) for concepts in found]

    def _by_form(self, word: str, language: str) -> tuple[str, ...]:
        """Concepts of another form of a one-word entry: a plural, then the stem."""
        if len(word) < MIN_STEM_LENGTH or word.isdigit():
            return ()
        found = self._forms.get((word, language))
        if found is None:
            found = self.stems.get(language, {}).get(stem(word, language), ())
            for suffix in ("es", "s"):
                if word.endswith(suffix) and (hit := self.phrases.get((word[: -len(suffix)],))):
                    found = hit
            if len(self._forms) < 100_000:  # bounded: parse sees arbitrary words
                self._forms[(word, language)] = found
        return found


def lexicon_files() -> list[Path]:
    return [LEXICON_DIR / f"lexicon_{language}.yml" for language in LANGUAGES]


@cache
def lexicon_version() -> str:
    """Hash of the shipped lexicon files: a model records it, a change retrains."""
    digest = hashlib.sha256()
    for path in lexicon_files():
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


@cache
def load_lexicon() -> Lexicon:
    """The shipped lexicon, read once per process (pure data)."""
    merged: dict[tuple[str, ...], set[str]] = {}
    for path in lexicon_files():
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        for concept, phrases in data["concepts"].items():
            for phrase in phrases:
                words = tuple(tokens(str(phrase)))
                if words:
                    merged.setdefault(words, set()).add(CONCEPT_PREFIX + concept)
    phrases = {words: tuple(sorted(c)) for words, c in merged.items()}
    stems: dict[str, dict[str, tuple[str, ...]]] = {}
    for language in LANGUAGES:
        by_stem: dict[str, set[str]] = {}
        for words, concepts in phrases.items():
            if len(words) == 1 and len(root := stem(words[0], language)) >= _MIN_STEM_MATCH:
                by_stem.setdefault(root, set()).update(concepts)
        stems[language] = {root: tuple(sorted(c)) for root, c in by_stem.items()}
    longest = max((len(words) for words in phrases), default=1)
    starts = frozenset(words[0] for words in phrases if len(words) > 1)
    return Lexicon(phrases=phrases, stems=stems, longest=longest, starts=starts)
