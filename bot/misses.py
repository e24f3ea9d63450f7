"""Which decisions the bot could not answer well: the unanswered-question inbox files
them (`relevo.bot.events.BotMissed`, emitted by the engine in the decision's change, so
it goes out only once the decision is committed).

One reason per shopper message, the strongest first: the bot did not understand it
(`miss`, also when that handed the conversation to a person), declined it as off-topic
(`out_of_scope`), asked "which one?" and the shopper chose none of the options
(`clarify_unpicked`), or answered it below the low-confidence bar (`low_confidence`).
`not_helpful` comes from the shopper's 👎, elsewhere.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from relevo.bot.events import BotMissed
from relevo.bot.replying import Decision
from relevo.bot.store.messages import StoredMessage

# The engine's handoff reasons that mean "not understood" / "off-topic".
NOT_UNDERSTOOD = "the bot did not understand twice"
OFF_TOPIC = "out of scope for the bot"


def missed(
    decision: Decision,
    message: StoredMessage,
    *,
    language: str,
    context: dict[str, Any] | None,
    low_confidence: float,
    at: datetime,
) -> BotMissed | None:
    """The inbox's event for `decision` on the shopper's `message`, or None when the bot
    answered it well (or a person was asked for, or the message was for the operators).
    `context`: the conversation's bot context before this message."""
    kind = _kind(decision, context, low_confidence)
    if kind is None:
        return None
    intent, confidence = _reading(decision)
    return BotMissed(
        conversation_id=message.conversation_id, at=at, message_id=message.id,
        channel=message.channel, language=language, kind=kind, intent=intent,
        confidence=confidence,
    )


def _kind(decision: Decision, context: dict[str, Any] | None, bar: float) -> str | None:
    if decision.kind == "relay":
        return None
    if decision.kind == "miss" or (decision.kind == "handoff"
                                   and decision.reason == NOT_UNDERSTOOD):
        return "miss"
    if decision.kind == "handoff" and decision.reason == OFF_TOPIC:
        return "out_of_scope"
    if context and context.get("clarify") and not decision.meta.get("clarified"):
        return "clarify_unpicked"
    if decision.kind == "answer":
        confidence = decision.meta.get("confidence")
        if isinstance(confidence, (int, float)) and confidence < bar:
            return "low_confidence"
    return None


def _reading(decision: Decision) -> tuple[str | None, float | None]:
    """What the NLU thought the message was: the parse when there was one."""
    parse = decision.parse or decision.meta
    intent = parse.get("intent")
    confidence = parse.get("confidence")
    return (
        intent if isinstance(intent, str) else None,
        float(confidence) if isinstance(confidence, (int, float)) else None,
    )
