"""A small deterministic language detector: built-in function words plus training data.

Function words carry language identity in short chat messages far better than content
words do; examples tagged with a locale in the training data extend the lists, so a new
language works once it has data.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Sequence

from relevo.bot.nlu_types import TrainingExample
from relevo.bot.text import language_of
from relevo.nlu.text import tokens

_BUILTIN: dict[str, str] = {
    "es": "de la que el en y a los se del las un por con no una su para es al lo como mas "
    "pero sus le ya o este si porque esta cuando muy sin sobre tambien me hasta hay donde "
    "quien desde todo nos durante todos uno les ni contra otros ese eso ante ellos e esto "
    "mi antes algunos unos yo otro otras otra tanto esa estos mucho quienes nada muchos "
    "cual poco ella estar estas algunas algo nosotros tengo quiero puedo hola gracias "
    "pedido cuanto cuando donde esta mi necesito ayuda envio devolver",
    "en": "the of and to a in is you that it he was for on are as with his they i at be "
    "this have from or one had by but not what all were we when your can said there use "
    "an each which she do how their if will up about out many then them these so some her "
    "would make like him into has more my me where is does did hello hi thanks please want "
    "need order help shipping return",
    "pt": "de a o que e do da em um para com nao uma os no se na por mais as dos como mas "
    "ao ele das seu sua ou quando muito nos ja eu tambem so pelo pela ate isso ela entre "
    "depois sem mesmo aos seus quem nas me esse eles voce obrigado ola meu minha pedido",
    "fr": "de la le et les des en un du une que est pour qui dans par plus pas au sur ne se "
    "ce il sont je vous nous avec mais ou son elle bonjour merci commande mon ma mes",
    "de": "der die und in den von zu das mit sich des auf fur ist im dem nicht ein eine als "
    "auch es an werden aus er hat dass sie nach wird bei einer um am sind noch wie einem "
    "uber so zum war haben nur oder aber ich mein meine bestellung danke hallo",
    "it": "di e il la che in un per non una sono mi ho lo ma ha le si con cosa se io come "
    "da ti al del questo della ciao grazie ordine mio mia voglio",
}
_BUILTIN_WEIGHT = 3

# Words that carry grammar, not topic, in the built-in languages: what is left of a
# message without them is what it is about (used to spot messages about unseen topics).
FUNCTION_WORDS = frozenset(
    word for words in _BUILTIN.values() for word in words.split()
) | frozenset("whats who can could would should im its an".split())
_SMOOTHING = 0.5


class LanguageDetector:
    def __init__(self, counts: dict[str, Counter[str]], default: str) -> None:
        self.default = default
        self._log_prob: dict[str, dict[str, float]] = {}
        self._unseen: dict[str, float] = {}
        vocab = {w for c in counts.values() for w in c}
        for locale, counter in counts.items():
            total = sum(counter.values()) + _SMOOTHING * (len(vocab) + 1)
            self._log_prob[locale] = {
                w: math.log((n + _SMOOTHING) / total) for w, n in counter.items()
            }
            self._unseen[locale] = math.log(_SMOOTHING / total)

    @classmethod
    def fit(cls, examples: Sequence[TrainingExample]) -> LanguageDetector:
        counts: dict[str, Counter[str]] = defaultdict(Counter)
        for locale, words in _BUILTIN.items():
            for word in words.split():
                counts[locale][word] += _BUILTIN_WEIGHT
        tagged: Counter[str] = Counter()
        for example in examples:
            language = language_of(example.locale)
            if language:
                counts[language].update(tokens(example.text))
                tagged[language] += 1
        default = tagged.most_common(1)[0][0] if tagged else "en"
        return cls(dict(counts), default)

    def detect(self, text: str, words: Sequence[str] | None = None) -> str:
        if "¿" in text or "¡" in text or "ñ" in text.lower():
            return "es" if "es" in self._log_prob else self.default
        words = tokens(text) if words is None else words
        best, best_score, runner_up = self.default, -math.inf, -math.inf
        known_any = False
        for locale, table in self._log_prob.items():
            unseen = self._unseen[locale]
            score = 0.0
            for word in words:
                value = table.get(word)
                if value is not None:
                    known_any = True
                    score += value
                else:
                    score += unseen
            if score > best_score:
                best, best_score, runner_up = locale, score, best_score
            elif score > runner_up:
                runner_up = score
        if not known_any:
            return self.default
        return best

    def to_state(self) -> dict[str, object]:
        return {"default": self.default, "log_prob": self._log_prob, "unseen": self._unseen}

    @classmethod
    def from_state(cls, state: dict[str, object]) -> LanguageDetector:
        detector = cls({}, str(state["default"]))
        detector._log_prob = dict(state["log_prob"])  # type: ignore[call-overload]
        detector._unseen = dict(state["unseen"])  # type: ignore[call-overload]
        return detector
