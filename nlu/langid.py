"""A small deterministic language detector: built-in function words plus training data.

Function words carry language identity in short chat messages far better than content
words do; examples tagged with a locale in the training data extend the lists, so a new
language works once it has data. A detector knows only the languages it is fitted for
(the shop's `languages`): a message that looks Italian is read as Spanish, English or
nothing, never as Italian.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Collection, Sequence

from relevo.bot.nlu_types import LanguageGuess, TrainingExample
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
# Chat words that say the language but are no grammar (FUNCTION_WORDS leaves them
# out: the NLU's unseen-topic check must not change with them).
_CHAT: dict[str, str] = {
    "es": "vale buenas buenos dias tardes noches adios genial perfecto claro muchas favor "
    "tienen tienes cuesta cuestan puedes queria llega llego problema estoy hacer usted "
    "ustedes aqui bueno venga chao vosotros aceptan acepta hacen envian mandan llegan "
    "funciona funcionan sirve pueden podeis debo tarda tardan cobran cual cuales algun "
    "alguna vuestra vuestro",
    "en": "thank thanks you your yes yeah yep nope bye goodbye cheers great cool awesome "
    "sure got just get still cost costs much whats wheres hows ive youre there here "
    "accept accepts send sends ship ships work works arrive arrives charge any anyone "
    "could should which",
}
_BUILTIN_WEIGHT = 3
# Words both languages write alike ("no", "ok", "email", product words): known to every
# language with the same weight, so they never tip a message one way.
_SHARED = "no ok okay email mail app web online wifi usb pack pro max mini plus".split()
_SHARED_SET = frozenset(_SHARED)

# Characters only one language writes: one of them settles it.
_MARKS: dict[str, str] = {"es": "¿¡ñ"}

# Words that carry grammar, not topic, in the built-in languages: what is left of a
# message without them is what it is about (used to spot messages about unseen topics).
FUNCTION_WORDS = frozenset(
    word for words in _BUILTIN.values() for word in words.split()
) | frozenset("whats who can could would should im its an".split())
_SMOOTHING = 0.5
_DOUBLED = re.compile(r"(\w)\1")
_STRETCHED_END = re.compile(r"(\w)\1+$")


class LanguageDetector:
    """Multinomial naive Bayes over words; implements `bot.protocols.LanguageDetector`."""

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
    def fit(
        cls,
        examples: Sequence[TrainingExample],
        languages: Collection[str] | None = None,
        default: str | None = None,
    ) -> LanguageDetector:
        """From the built-in words and the examples tagged with a locale, for `languages`
        only (None: the languages the examples are tagged with, or every built-in one
        when none is). `default`: what `detect` says when no word tells (None: the
        language with most examples)."""
        tagged: Counter[str] = Counter(
            language for e in examples if (language := language_of(e.locale))
        )
        if languages is None:
            languages = set(tagged) or set(_BUILTIN)
        counts: dict[str, Counter[str]] = {language: Counter() for language in languages}
        for language, counter in counts.items():
            builtin = f"{_BUILTIN.get(language, '')} {_CHAT.get(language, '')}"
            for word in (*builtin.split(), *_SHARED):
                counter[word] += _BUILTIN_WEIGHT
        for example in examples:
            taught = counts.get(language_of(example.locale) or "")
            if taught is not None:  # shared words keep their equal built-in weight
                taught.update(w for w in tokens(example.text) if w not in _SHARED_SET)
        if default is None:
            spoken = [(n, language) for language, n in tagged.items() if language in counts]
            default = max(spoken)[1] if spoken else ("en" if "en" in counts else min(counts))
        return cls(counts, default)

    @property
    def languages(self) -> tuple[str, ...]:
        return tuple(sorted(self._log_prob))

    def detect(self, text: str, words: Sequence[str] | None = None) -> str:
        """The likeliest language, or the default when no word tells (the embedded
        NLU's own guess when it is given no locale)."""
        found = self.guess(text, words)
        return found.language if found is not None else self.default

    def guess(self, text: str, words: Sequence[str] | None = None) -> LanguageGuess | None:
        """The likeliest language with how sure the words make it; None when no word of
        the message is known to any language. Only words some language knows count:
        an unknown word ("ciao", a product code) is no evidence for either."""
        for language, marks in _MARKS.items():
            if language in self._log_prob and any(c in marks for c in text.lower()):
                return LanguageGuess(language, math.inf, 1, marked=True)
        words = tokens(text) if words is None else words
        known = [k for k in map(self._known, words) if k is not None]
        if not known:
            return None
        scores = sorted(
            (
                (sum(table.get(w, self._unseen[locale]) for w in known), locale)
                for locale, table in self._log_prob.items()
            ),
            reverse=True,
        )
        best_score, best = scores[0]
        margin = best_score - scores[1][0] if len(scores) > 1 else 0.0
        return LanguageGuess(best, margin, len(known))

    def _known(self, word: str) -> str | None:
        """The word as the languages know it best: as written, without a stretched last
        letter ("holaa" → "hola", "helloo" → "hello") or with doubled letters made single
        ("graciass"); None when no language knows any of these."""
        forms = sorted({word, _STRETCHED_END.sub(r"\1", word), _DOUBLED.sub(r"\1", word)})
        best, best_prob = None, -math.inf
        for form in forms:
            prob = max((table.get(form, -math.inf) for table in self._log_prob.values()),
                       default=-math.inf)
            if prob > best_prob:
                best, best_prob = form, prob
        return best

    def to_state(self) -> dict[str, object]:
        return {"default": self.default, "log_prob": self._log_prob, "unseen": self._unseen}

    @classmethod
    def from_state(cls, state: dict[str, object]) -> LanguageDetector:
        detector = cls({}, str(state["default"]))
        detector._log_prob = dict(state["log_prob"])  # type: ignore[call-overload]
        detector._unseen = dict(state["unseen"])  # type: ignore[call-overload]
        return detector
