"""The NLU tier's vocabulary: Rasa's parse result and training examples.

Standard library only, like `bot/types.py` (which holds the rest of the vocabulary).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class IntentPrediction:
    name: str
    confidence: float


@dataclass(frozen=True, slots=True)
class Entity:
    entity: str
    value: str
    start: int
    end: int
    confidence: float = 1.0
    extractor: str = "relevo"


@dataclass(frozen=True, slots=True)
class ParseResult:
    """Rasa's parse schema (`text`, `intent`, `intent_ranking`, `entities`) plus the locale."""

    text: str
    intent: IntentPrediction
    intent_ranking: tuple[IntentPrediction, ...] = ()
    entities: tuple[Entity, ...] = ()
    locale: str | None = None
    # The engine recognised the message as off-topic for this bot (not merely unsure):
    # the conversation goes to a person at once instead of "could you rephrase?".
    out_of_scope: bool = False
    # Further questions in the same message ("how much is delivery and how long does it
    # take?"), each an intent the engine answers after `intent`; empty for one question.
    also: tuple[IntentPrediction, ...] = ()

    def to_rasa(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "intent": {"name": self.intent.name, "confidence": self.intent.confidence},
            "intent_ranking": [
                {"name": p.name, "confidence": p.confidence} for p in self.intent_ranking
            ],
            "entities": [
                {
                    "entity": e.entity,
                    "value": e.value,
                    "start": e.start,
                    "end": e.end,
                    "confidence_entity": e.confidence,
                    "extractor": e.extractor,
                }
                for e in self.entities
            ],
            "locale": self.locale,
        }


@dataclass(frozen=True, slots=True)
class TrainingExample:
    text: str
    intent: str
    locale: str | None = None


@dataclass(frozen=True, slots=True)
class LanguageGuess:
    """What a message's own words say about its language (a `LanguageDetector`'s read).

    `margin`: how much more likely the best language is than the next one, as a
    log-likelihood ratio (nats; 0 when only one language is configured and the words
    were seen in it). `evidence`: the message's words known to any language (0: the
    words say nothing: "ok", "2", a product name). `marked`: a character only one
    language writes ("¿", "¡", "ñ") settles it.
    """

    language: str
    margin: float
    evidence: int
    marked: bool = False
