"""From tokens to what the classifier sees: spelling fixed, stems and concepts added.

Training and parsing both go through `Analyser.analyse`, so they cannot drift apart;
only parse corrects spelling (the speller is built from the training words, which it
would leave as they are anyway).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from relevo.nlu.langid import FUNCTION_WORDS
from relevo.nlu.lexicon import Lexicon
from relevo.nlu.speller import Speller
from relevo.nlu.stemming import stem_token


@dataclass(frozen=True, slots=True)
class Analysed:
    words: list[str]  # the tokens, spelling corrected where the speller could
    related: list[tuple[str, ...]]  # per word: its stem token and lexicon concepts

    @property
    def extra(self) -> list[str]:
        """Stem and concept tokens, in word order: extra unigram features."""
        return [token for tokens in self.related for token in tokens]


@dataclass(frozen=True, slots=True)
class Analyser:
    lexicon: Lexicon | None
    speller: Speller | None = None
    stems: bool = True

    def analyse(self, words: Sequence[str], language: str) -> Analysed:
        """`language`: "es" or "en" (`stemming.stem_language`)."""
        fixed = self.speller.correct_all(list(words)) if self.speller else list(words)
        concepts = (
            self.lexicon.concepts(fixed, language) if self.lexicon else [()] * len(fixed)
        )
        related: list[tuple[str, ...]] = []
        for word, found in zip(fixed, concepts, strict=True):
            # grammar words' stems would only add noise ("~the", "~what")
            content = self.stems and word not in FUNCTION_WORDS
            stemmed = stem_token(word, language) if content else None
            related.append(found if stemmed is None else (stemmed, *found))
        return Analysed(fixed, related)
