"""Events about what the bot knows and how well it answered: the unanswered-question
inbox, analytics and the knowledge base's model publishing read them from the bus.

(A conversation's own lifecycle events are in `bot.types`.) Events that concern no
single conversation (a model or an article published) carry `conversation_id` 0.
"""

from __future__ import annotations

from dataclasses import dataclass

from relevo.bot.types import Event

NO_CONVERSATION = 0


@dataclass(frozen=True, slots=True)
class BotMissed(Event):
    """The bot could not answer a shopper's message well; the inbox files it.

    `kind`: miss (did not understand) | out_of_scope (handed off as off-topic) |
    low_confidence (answered, but unsure) | clarify_unpicked (asked "which one?" and the
    shopper chose none) | not_helpful (the shopper voted 👎 on the answer)."""

    message_id: int  # the shopper's message (for not_helpful: the one the answer answered)
    channel: str
    language: str
    kind: str
    intent: str | None = None  # what the bot thought, if anything
    confidence: float | None = None


@dataclass(frozen=True, slots=True)
class AnswerRated(Event):
    """👍/👎 under a bot answer."""

    message_id: int  # the bot's answer
    helpful: bool
    intent: str | None = None


@dataclass(frozen=True, slots=True)
class ModelPublished(Event):
    """A new NLU model version is ready (`kb_models`): every process loads and serves it."""

    version: int


@dataclass(frozen=True, slots=True)
class ArticlePublished(Event):
    """A reviewer published a revision of an article; `credited_operator_id`: the
    community member whose proposed answer it is (they earn points and a badge)."""

    intent: str
    revision: int
    credited_operator_id: int | None = None
