"""What the bot replies from a parse: one answer, several answers in one reply, or
"which one do you mean?" when two articles are too close to pick one silently.

Pure over the knowledge base: the engine (bot/engine.py) decides when to call these and
stores what they return.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from relevo.bot import replies
from relevo.bot.nlu_types import IntentPrediction
from relevo.bot.protocols import KnowledgeBase
from relevo.bot.types import QuickReply

# Greetings and thanks: answered alone, never appended to (or ahead of) a real answer
# ("thanks! where is my order?" answers where the order is).
SMALLTALK_TOPIC = "smalltalk"


@dataclass(slots=True)
class Decision:
    kind: str  # answer | clarify | miss | handoff | relay
    text: str = ""
    reason: str = ""
    locale: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)
    quick_replies: tuple[QuickReply, ...] = ()
    bot_context: dict[str, Any] | None = None
    # What the NLU read in the shopper's message (stored on it), when it was asked.
    parse: dict[str, Any] | None = None


def answer(
    kb: KnowledgeBase,
    intents: Sequence[str],
    confidence: float,
    locale: str,
    runners_up: Sequence[IntentPrediction] = (),
) -> Decision | None:
    """One reply answering each of `intents` the knowledge base has: the first one's
    answer, then each further one under its title. Meta `intent`/`article`: the first
    one answered (analytics read them); `articles`: all of them."""
    found = [(i, text) for i in dict.fromkeys(intents) if (text := kb.answer(i, locale))]
    substantive = [(i, t) for i, t in found if kb.topic(i) != SMALLTALK_TOPIC]
    if substantive:
        found = substantive
    if not found:
        return None
    (top, text), further = found[0], found[1:]
    parts = [text.strip()]
    for intent, more in further:
        heading = replies.text("also_about", locale).format(
            title=kb.title(intent, locale) or intent)
        parts.append(f"{heading}\n{more.strip()}")
    meta: dict[str, Any] = {
        "intent": top,
        "article": top,
        "articles": [intent for intent, _ in found],
        "confidence": round(confidence, 4),
        "runners_up": [
            {"intent": p.name, "confidence": round(p.confidence, 4)} for p in runners_up
        ],
    }
    if kb.topic(top) != SMALLTALK_TOPIC:
        meta["feedback"] = True  # "was this helpful?" (bot/feedback.py)
    return Decision("answer", text="\n\n".join(parts), locale=locale, meta=meta)


def clarify_options(
    kb: KnowledgeBase,
    ranking: Sequence[IntentPrediction],
    locale: str,
    *,
    floor: float,
    limit: int,
    keep: int = 1,
) -> list[tuple[str, str]]:
    """(intent, title) of the ranking's first `limit` articles at or above `floor`; the
    first `keep` are offered whatever their confidence (both sides of a tie)."""
    options: list[tuple[str, str]] = []
    for index, prediction in enumerate(ranking[:limit]):
        title = kb.title(prediction.name, locale)
        if title and (index < keep or prediction.confidence >= floor):
            options.append((prediction.name, title))
    return options


def clarify(options: Sequence[tuple[str, str]], locale: str, confidence: float) -> Decision:
    """"Which of these do you mean?" with the options numbered and as buttons; with one
    option, "did you mean …?" ("yes", "1" or its button answers it)."""
    if len(options) == 1:
        text = replies.text("suggest", locale).format(title=options[0][1])
    else:
        numbered = "\n".join(f"{i}. {title}" for i, (_, title) in enumerate(options, 1))
        text = (
            f"{replies.text('clarify', locale)}\n{numbered}\n"
            f"{replies.text('clarify_hint', locale)}"
        )
    meta: dict[str, Any] = {"clarify": [name for name, _ in options], "confidence": confidence}
    if len(options) == 1:
        meta["suggested"] = True
    return Decision(
        "clarify",
        text=text,
        locale=locale,
        meta=meta,
        quick_replies=tuple(QuickReply(t, n) for n, t in options),
        bot_context={"clarify": [[n, t] for n, t in options]},
    )


def tied(
    ranking: Sequence[IntentPrediction], margin: float, floor: float,
    also: Sequence[IntentPrediction] = (),
) -> bool:
    """The top two articles are within `margin` of each other (and the top one at least
    at `floor`): picking one would be a coin toss. Not when the runner-up is one the
    message also asks about: then both are answered."""
    if len(ranking) < 2 or ranking[0].confidence < floor:
        return False
    if ranking[1].name in {p.name for p in also}:
        return False
    return ranking[0].confidence - ranking[1].confidence <= margin
