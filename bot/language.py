"""The shopper's language: the one rule for which of the shop's `languages` relevo
speaks to a shopper, used for every decision the engine makes (answers, "which one?",
"could you rephrase?", handoffs) and by what runs before it (the CSAT thanks, link
codes), whichever NLU backend answers (embedded, Rasa, none).

Evidence, strongest first; a step counts only when it names one of the shop's languages:
1. the message itself, when its words settle it (a confident detection: a mark only one
   language writes, "¿" "¡" "ñ", or the best language at least `CONFIDENT_MARGIN` nats,
   about 7 times, likelier than the next: "gracias", "hola tengo un problema con mi
   pedido", "where is my pedido");
2. the conversation's language (what relevo spoke in it last, inherited from the
   contact's previous conversation) for short or ambiguous messages: "ok", "2", "yes",
   a product name, an order number;
3. the channel's locale (the browser's in the web chat, Telegram's `language_code`;
   WhatsApp sends none);
4. the shop's `default_locale`.
The channel's locale comes third on purpose: a Spanish shopper on an English browser
writes Spanish, and is answered in Spanish.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from relevo.bot.nlu_types import LanguageGuess
from relevo.bot.protocols import LanguageDetector
from relevo.bot.text import language_of

# How much likelier (log-likelihood ratio, nats) the message's best language must be
# than the next for the message to decide by itself: e^2 ≈ 7.4. A single word the
# shop's questions use in one language only passes ("gracias" 3.0, "thanks" 3.0,
# "hola" 2.8); a word both use ("ok" 0.4, "2" 0.0, "iphone") or one known only from
# the built-in lists ("yes" 1.9, "bueno" 2.0) does not.
CONFIDENT_MARGIN = 2.0


# Not the shopper's words: a bot command with its arguments ("/start order-10482") and
# the channels' own markers ("[edited] …", "[location] 40.4, -3.7", "[sticker]").
_COMMAND = re.compile(r"^\s*/\w")
_MARKER = re.compile(r"\[[a-z]+\]")


def _shoppers_words(text: str) -> str:
    return "" if _COMMAND.match(text) else _MARKER.sub(" ", text)


@dataclass(frozen=True, slots=True)
class LanguageChoice:
    """The language relevo speaks and the evidence that decided it."""

    language: str
    by: str  # message | conversation | channel | default

    def as_meta(self) -> dict[str, str]:
        return {"code": self.language, "by": self.by}


def confident(guess: LanguageGuess | None) -> bool:
    """Whether the message's own words settle its language."""
    return guess is not None and (
        guess.marked or (guess.evidence > 0 and guess.margin >= CONFIDENT_MARGIN)
    )


class ShopLanguages:
    """The shop's languages and default; `choose` applies the rule above."""

    def __init__(self, languages: Sequence[str], default_locale: str) -> None:
        if not languages:
            raise ValueError("a shop speaks at least one language")
        self.languages = tuple(languages)
        self.default = self.spoken(default_locale) or self.languages[0]

    def spoken(self, locale: str | None) -> str | None:
        """The locale's language when the shop speaks it ("es-MX" → "es"), else None."""
        language = language_of(locale)
        return language if language in self.languages else None

    def choose(
        self,
        text: str,
        detector: LanguageDetector | None,
        *,
        conversation: str | None = None,
        channel: str | None = None,
    ) -> LanguageChoice:
        """The language to answer `text` in. `conversation`: the conversation's locale;
        `channel`: what the channel said about the shopper's language, if anything."""
        guess = detector.guess(_shoppers_words(text)) if detector is not None else None
        if confident(guess) and guess is not None and guess.language in self.languages:
            return LanguageChoice(guess.language, "message")
        for by, locale in (("conversation", conversation), ("channel", channel)):
            language = self.spoken(locale)
            if language is not None:
                return LanguageChoice(language, by)
        return LanguageChoice(self.default, "default")

    def likeliest(self, text: str, detector: LanguageDetector | None) -> str:
        """The message's likeliest language however unsure, else the default: for a
        message read on its own (`POST /model/parse`), with no conversation to go by."""
        guess = detector.guess(_shoppers_words(text)) if detector is not None else None
        if guess is not None and guess.language in self.languages:
            return guess.language
        return self.default
