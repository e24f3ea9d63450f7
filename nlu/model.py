"""A trained embedded model: everything `parse` needs, frozen once training ends."""

from __future__ import annotations

from dataclasses import dataclass

from relevo.nlu.calibration import Calibrator, LinearModel
from relevo.nlu.features import Vectorizer
from relevo.nlu.langid import LanguageDetector


@dataclass(frozen=True, slots=True)
class TrainedModel:
    intents: tuple[str, ...]
    vectorizer: Vectorizer
    linear: LinearModel
    calibrator: Calibrator
    language: LanguageDetector
    n_examples: int
    # Every word of the intents' own examples (not the off-topic background, not an
    # explicit out_of_scope intent): what the shop's bot was taught to talk about.
    topic_words: frozenset[str] = frozenset()
