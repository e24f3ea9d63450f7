"""A trained embedded model: everything `parse` needs, frozen once training ends."""

from __future__ import annotations

from dataclasses import dataclass

from relevo.nlu.analysis import Analyser
from relevo.nlu.calibration import Calibrator, LinearModel
from relevo.nlu.features import Vectorizer
from relevo.nlu.langid import LanguageDetector
from relevo.nlu.lexicon import load_lexicon
from relevo.nlu.neighbours import NeighbourModel
from relevo.nlu.speller import Speller


@dataclass(frozen=True, slots=True)
class TrainedModel:
    intents: tuple[str, ...]
    vectorizer: Vectorizer
    # the SVM for up to `nlu.neighbour_min_intents` intents, nearest neighbours beyond
    linear: LinearModel | NeighbourModel
    calibrator: Calibrator
    language: LanguageDetector
    n_examples: int
    # Every word of the intents' own examples (not the off-topic background, not an
    # explicit out_of_scope intent), with their stem and concept tokens: what the
    # shop's bot was taught to talk about.
    topic_words: frozenset[str] = frozenset()
    # Corrects a parsed message's unknown words to the taught ones (None: no speller).
    speller: Speller | None = None
    lexicon_version: str = ""  # the shipped lexicon the model was trained with ("": none)

    def analyser(self) -> Analyser:
        """What turns a parsed message's tokens into this model's terms."""
        return Analyser(
            lexicon=load_lexicon() if self.lexicon_version else None, speller=self.speller
        )
