"""The engine's rule from a parse to a decision (answer, clarify, miss or handoff), as a
pure function over the knowledge base: the engine applies it to each shopper message,
and the knowledge base's preview and regression replay apply the very same rule to a
draft, so "what the bot would answer" is what it will answer."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from relevo.bot import misses, replies, replying
from relevo.bot.intents import (
    DEFAULT_CLARIFY_MARGIN,
    FALLBACK_INTENTS,
    HANDOFF_INTENT,
    OUT_OF_SCOPE_INTENT,
)
from relevo.bot.nlu_types import IntentPrediction, ParseResult
from relevo.bot.protocols import KnowledgeBase
from relevo.bot.replying import Decision

# A shopper asking for a human, in the languages shipped (the NLU's `human_handoff`
# intent catches the rest). Matched on whole words, accents folded.
_HUMAN_REQUEST = re.compile(
    r"\b(human|humano|humana|person|persona|agent|agente|operator|operador|operadora|"
    r"asesor|asesora|representative|representante|real person|alguien real)\b"
)


@dataclass(frozen=True, slots=True)
class EngineSettings:
    default_locale: str = "en"
    languages: tuple[str, ...] = ("es", "en")
    max_bot_misses: int = 2
    clarify_min_confidence: float = 0.25
    # Below the NLU's fallback threshold but at least this sure of one article: ask
    # "did you mean …?" with that article instead of "please rephrase".
    suggest_min_confidence: float = 0.4
    max_clarify_options: int = 3
    # Two articles this close (the top two confidences of the ranking) get "which one
    # do you mean?" instead of a silent pick, however confident the top one is.
    clarify_margin: float = DEFAULT_CLARIFY_MARGIN
    # Answers less sure than this are filed in the unanswered-question inbox (bot/misses.py).
    low_confidence: float = 0.85
    # Debugging only: a failing NLU's error (which may quote the message) is logged.
    log_shopper_text: bool = False


def asks_for_person(folded: str) -> bool:
    """Whether the (accent-folded) message asks for a person in so many words."""
    return _HUMAN_REQUEST.search(folded) is not None


def from_parse(
    result: ParseResult, kb: KnowledgeBase | None, locale: str, settings: EngineSettings,
    *, bot_misses: int = 0,
) -> Decision:
    """What the bot does with a parse. `bot_misses`: the conversation's misses so far."""
    intent = result.intent
    ranking = [p for p in result.intent_ranking if p.name not in FALLBACK_INTENTS]
    if intent.name == HANDOFF_INTENT:
        return Decision("handoff", reason="the shopper asked for a person", locale=locale)
    tie = replying.tied(ranking, settings.clarify_margin, settings.clarify_min_confidence,
                        result.also) and not _smalltalk(kb, ranking[1].name)
    options = _clarify_options(kb, settings, ranking, locale, keep=2 if tie else 1)
    if intent.name not in FALLBACK_INTENTS and not (tie and len(options) >= 2):
        answered = answer(kb, intent.name, intent.confidence, locale,
                          tuple(ranking[1:4]), also=result.also)
        if answered is not None:
            return answered
    if intent.name == OUT_OF_SCOPE_INTENT or result.out_of_scope:
        return Decision("handoff", reason=misses.OFF_TOPIC, locale=locale)
    if len(options) >= 2:
        return replying.clarify(options, locale, intent.confidence)
    if (options and ranking[0].confidence >= settings.suggest_min_confidence
            and not _smalltalk(kb, ranking[0].name)):
        # unsure but not lost: "did you mean …?" costs the shopper one tap, a wrong
        # article costs their trust, and "please rephrase" makes them repeat
        return replying.clarify(options[:1], locale, ranking[0].confidence)
    if bot_misses + 1 >= settings.max_bot_misses:
        return Decision("handoff", reason=misses.NOT_UNDERSTOOD, locale=locale)
    return Decision(
        "miss",
        text=replies.text("didnt_understand", locale),
        locale=locale,
        meta={"intent": intent.name, "confidence": intent.confidence},
    )


def answer(
    kb: KnowledgeBase | None,
    intent: str,
    confidence: float,
    locale: str,
    runners_up: Sequence[IntentPrediction],
    also: Sequence[IntentPrediction] = (),
) -> Decision | None:
    if kb is None:
        return None
    intents = [intent, *(p.name for p in also)]
    return replying.answer(kb, intents, confidence, locale, runners_up)


def _smalltalk(kb: KnowledgeBase | None, intent: str) -> bool:
    # "hola" beside a real question is no second option to choose from
    return kb is not None and kb.topic(intent) == replying.SMALLTALK_TOPIC


def _clarify_options(
    kb: KnowledgeBase | None, settings: EngineSettings, ranking: Sequence[IntentPrediction],
    locale: str, *, keep: int = 1,
) -> list[tuple[str, str]]:
    if kb is None or not ranking:
        return []
    floor = max(settings.clarify_min_confidence, ranking[0].confidence / 2)
    return replying.clarify_options(kb, ranking, locale, floor=floor,
                                    limit=settings.max_clarify_options, keep=keep)
