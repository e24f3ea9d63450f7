"""Several questions in one message: where to split it, and what its parts add.

"How much is delivery to Portugal and how long does it take?" asks two things; the
whole message's top intent answers one of them. `question_segments` splits a message at
sentence punctuation, newlines and the joins between two question-like clauses ("and
how…", ", y cuánto…"), never inside a noun coordination ("black and white", "ida y
vuelta", "iphone 15 y 15 pro"): the right side of a join must start like a question or a
request (an interrogative, an auxiliary, "hay", "puedo"…) and both sides must say
something (a content word). `further_questions` reads the parts' parses against the
whole message's and returns the intents the whole one did not answer.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace

from relevo.bot.intents import FALLBACK_INTENTS, HANDOFF_INTENT
from relevo.bot.nlu_types import IntentPrediction, ParseResult
from relevo.nlu.text import MAX_CHARS, tokens

MAX_SEGMENTS = 4  # bounds the extra parses of one message
MAX_FURTHER = 2  # `ParseResult.also` names at most this many intents
# A part's score blends its own confidence with the whole message's for the same
# intent, this much of the whole to 1 of the part: "how long does it take" after
# "delivery to Portugal" lacks its topic, which the whole message still carries. Measured
# on the table (tests/nlu/multi_questions.py, 50 messages): 0 and 0.25 answer 80% fully,
# 0.25 with fewer wrong extras; 0.5 answers 74%, 1.0 54% (the whole's top swamps the part).
CONTEXT_WEIGHT = 0.25

# How a question or a request starts, in English and Spanish (accents optional).
_STARTS = (
    r"how|what|whats|what's|when|where|which|who|why|can|could|do|does|did|is|are|will|"
    r"would|should|may|have|has|i|is there|are there|tell me|"
    r"cu[aá]nto|cu[aá]nta|cu[aá]ntos|cu[aá]ntas|cu[aá]ndo|c[oó]mo|d[oó]nde|qu[eé]|"
    r"cu[aá]l|cu[aá]les|por qu[eé]|puedo|puede|pueden|pod[eé]is|podr[ií]a|se puede|hay|"
    r"tienen|ten[eé]is|tengo|aceptan|hacen|env[ií]an|es|son|est[aá]|est[aá]n|me|necesito|"
    r"quiero|quisiera|sab[eé]is|\w+[aáeé]is"
)
# Interrogatives strong enough to start a new question after a bare comma.
_STRONG = (
    r"how|what|when|where|which|why|cu[aá]nto|cu[aá]nta|cu[aá]ntos|cu[aá]ntas|"
    r"cu[aá]ndo|c[oó]mo|d[oó]nde|qu[eé]|cu[aá]l|cu[aá]les"
)
_JOINS = r"and|also|plus|y|e"
# Joins that announce another request whatever word follows ("and also add a case");
# "también"/"además" alone only after a comma (inside a clause they are adverbs).
_STRONG_JOINS = r"and also|y adem[aá]s|y tambi[eé]n|y aparte"
_COMMA_JOINS = r"also|adem[aá]s|tambi[eé]n|aparte"
_SENTENCES = re.compile(r"[?!¡\n]+|(?=¿)|(?<=[^\W\d])\.\s+")
_CLAUSES = re.compile(
    rf"(?:,\s*|\s+)(?:{_STRONG_JOINS})\s*,?\s+"
    rf"|,\s*(?:{_COMMA_JOINS})\s*,?\s+"
    rf"|(?:,\s*|\s+)(?:{_JOINS})\s*,?\s+(?=(?:{_STARTS})\b)"
    rf"|,\s*(?=(?:{_STRONG})\b)",
    re.IGNORECASE,
)
# A join left at a sentence's end by the next one's "¿" ("sumergible, y ¿dura…?").
_TRAILING_JOIN = re.compile(
    rf"(?:,\s*|\s+)(?:{_STRONG_JOINS}|{_COMMA_JOINS}|{_JOINS})\s*,?\s*$", re.IGNORECASE
)
# Words that carry no topic: a side made only of them is not a question of its own.
_GRAMMAR = frozenset(
    "a an the and or also plus i you we it my your our me is are was do does did can "
    "could would will should to of for in on at with how what whats when where which who "
    "why there this that be have has tell please hi hello hey thanks thank ok okay "
    "el la los las un una unos unas y e o de del al a en con por para que como cuanto "
    "cuanta cuantos cuantas cuando donde cual cuales me mi mis tu su se lo le es son "
    "esta estan hay puedo puede pueden tengo tienen quiero necesito saber hola gracias "
    "vale tambien ademas aparte favor".split()
)


def question_segments(text: str) -> tuple[str, ...]:
    """The message's questions, in order; `(text,)` when it asks one thing (at most
    MAX_CHARS of it, like the parse)."""
    text = text[:MAX_CHARS]
    sentences = [s for s in _SENTENCES.split(text) if s.strip()]
    if len(sentences) < 2 and not _CLAUSES.search(text):
        return (text,)  # most messages: one sentence, no join (no tokenising)
    parts: list[str] = []
    for sentence in sentences:
        parts.extend(_split_clauses(sentence))
    segments = tuple(_TRAILING_JOIN.sub("", p).strip(" ,.;:¿¡")
                     for p in parts if _has_content(p))
    if len(segments) < 2:
        return (text,)
    return segments[:MAX_SEGMENTS]


def _split_clauses(sentence: str) -> list[str]:
    out: list[str] = []
    start = 0
    for match in _CLAUSES.finditer(sentence):
        left, right = sentence[start:match.start()], sentence[match.end():]
        # both sides must be about something, or it is one question ("how and when?")
        if _has_content(left) and _has_content(right):
            out.append(left)
            start = match.end()
    out.append(sentence[start:])
    return out


def _has_content(text: str) -> bool:
    return any(w not in _GRAMMAR and not w.isdigit() for w in tokens(text))


def further_questions(
    whole: ParseResult,
    parts: Sequence[ParseResult],
    *,
    threshold: float,
    context_weight: float = CONTEXT_WEIGHT,
) -> ParseResult:
    """`whole` with `also` set to the parts' confident intents it does not answer
    itself. When `whole` fell back but two parts are confident, the first of them
    becomes the intent (the message asked two clear things at once)."""
    context = {p.name: p.confidence for p in whole.intent_ranking}
    picked: list[IntentPrediction] = []
    for part in parts:
        best = _part_intent(part, context, context_weight)
        if best is not None and best.confidence >= threshold and all(
            best.name != p.name for p in picked
        ):
            picked.append(best)
    answered = whole.intent.name not in FALLBACK_INTENTS
    if answered:
        also = [p for p in picked if p.name != whole.intent.name]
        return replace(whole, also=tuple(also[:MAX_FURTHER])) if also else whole
    if len(picked) < 2:
        return whole
    top = picked[0]
    rest = tuple(p for p in whole.intent_ranking
                 if p.name != top.name and p.name not in FALLBACK_INTENTS)
    return replace(whole, intent=top, intent_ranking=(top, *rest), out_of_scope=False,
                   also=tuple(picked[1:1 + MAX_FURTHER]))


def _part_intent(
    part: ParseResult, context: dict[str, float], weight: float
) -> IntentPrediction | None:
    """The part's best intent at its confidence blended with the whole message's for
    that intent (`weight` : 1, so it stays a probability); None when the part is
    off-topic or asks for a person."""
    if part.out_of_scope:
        return None
    scored = [
        IntentPrediction(p.name, (p.confidence + weight * context.get(p.name, 0.0)) / (1 + weight))
        for p in part.intent_ranking
        if p.name not in FALLBACK_INTENTS
    ]
    if not scored:
        return None
    best = max(scored, key=lambda p: p.confidence)
    return None if best.name == HANDOFF_INTENT else IntentPrediction(
        best.name, round(best.confidence, 6))
