"""Which decisions the bot could not answer well: the unanswered-question inbox files
them (`relevo.bot.events.BotMissed`, emitted by the engine in the decision's change, so
it goes out only once the decision is committed).

One reason per shopper message, the strongest first: the bot did not understand it
(`miss`, also when that handed the conversation to a person), declined it as off-topic
(`out_of_scope`), asked "which one?" and the shopper chose none of the options
(`clarify_unpicked`: the question asked is filed), or answered it below the
low-confidence bar (`low_confidence`).
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
ASKED = "asked"  # in a clarify's bot context: the shopper message it asked about


def missed(
    decision: Decision,
    message: StoredMessage,
    *,
    language: str,
    context: dict[str, Any] | None,
    low_confidence: float,
    at: datetime,
) -> list[BotMissed]:
    """The inbox's events for `decision` on the shopper's `message` (none when the bot
    answered it well, a person was asked for, or the message was for the operators).
    `context`: the conversation's bot context before this message. When it held a
    "which one?" the shopper did not pick, the question that was asked (`ASKED`) is
    filed as `clarify_unpicked`: it is the gap, not the reply that moved on."""
    events = []
    asked = (context or {}).get(ASKED)
    if (context and context.get("clarify") and not decision.meta.get("clarified")
            and decision.kind != "relay" and isinstance(asked, int)):
        options = context["clarify"]
        events.append(BotMissed(
            conversation_id=message.conversation_id, at=at, message_id=asked,
            channel=message.channel, language=language, kind="clarify_unpicked",
            intent=str(options[0][0]) if options else None))
    kind = _kind(decision, low_confidence)
    if kind is not None:
        intent, confidence = _reading(decision)
        events.append(BotMissed(
            conversation_id=message.conversation_id, at=at, message_id=message.id,
            channel=message.channel, language=language, kind=kind, intent=intent,
            confidence=confidence))
    return events


def remember_question(context: dict[str, Any] | None, message_id: int) -> dict[str, Any] | None:
    """The bot context to store with a "which one?": the question it answers, so an
    unpicked one can be filed (`missed`)."""
    if context and context.get("clarify"):
        return {**context, ASKED: message_id}
    return context


def _kind(decision: Decision, bar: float) -> str | None:
    if decision.kind == "relay":
        return None
    if decision.kind == "miss" or (decision.kind == "handoff"
                                   and decision.reason == NOT_UNDERSTOOD):
        return "miss"
    if decision.kind == "handoff" and decision.reason == OFF_TOPIC:
        return "out_of_scope"
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
