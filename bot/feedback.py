""""Was this helpful?": 👍/👎 under each bot answer, an engine interceptor.

A bot answer that accepts a vote carries meta `feedback: true` (`replying.answer`:
answers of an article, not smalltalk; never clarify, miss or handoff). A vote is a
shopper message, so it arrives like any other on every channel and is never parsed as
a question:

- a button (web widget, Telegram inline keyboard) sends `👍 #<answer id>`/`👎 #<id>`;
- a bare 👍/👎, or — on channels that ask with a text line (`keyword_channels`:
  WhatsApp) — "sí"/"yes"/"no", counts only right after an answer that asked.

The vote is stored (`message_feedback`, one per answer, the last counts) and
`AnswerRated` goes on the bus; 👎 also emits `BotMissed(kind="not_helpful")` for the
unanswered-question inbox and offers a person ("yes" → handoff with the reason "the
answer did not help"; "no" → back to the bot; anything else is a new question). 👍
gets a short thanks, except where the channel shows its own (`toast_channels`:
Telegram answers the button's callback query with a toast).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from relevo.bot.catalog import Catalog
from relevo.bot.conversations import Change, Conversations
from relevo.bot.events import AnswerRated, BotMissed
from relevo.bot.protocols import Router
from relevo.bot.store import conversations as conversation_store
from relevo.bot.store import feedback as feedback_store
from relevo.bot.store import messages as message_store
from relevo.bot.store.conversations import ConversationRow
from relevo.bot.store.messages import StoredMessage
from relevo.bot.text import fold
from relevo.bot.types import Author, AuthorKind, ConversationState, Direction, QuickReply

HANDOFF_REASON = "the answer did not help"
UP, DOWN = "👍", "👎"
# 👍/👎 with an optional skin tone or variation selector, then the answer's id.
_VOTE = re.compile(
    r"^\s*(?P<emoji>👍|👎)[\ufe0f\U0001f3fb-\U0001f3ff]*\s*(?:#(?P<id>\d{1,18}))?\s*$")
# Typed votes (WhatsApp) are these words alone: "ok" or "vale" after an answer is no verdict.
_YES = frozenset("yes yeah yep si".split())
_NO = frozenset("no nope".split())
# The offer of a person also takes a plain yes and its options' numbers (WhatsApp lists them).
_OFFER_YES = _YES | {"1", "sure", "ok", "okay", "claro", "vale"}
_OFFER_NO = _NO | {"2", "nah"}


@dataclass(frozen=True, slots=True)
class Vote:
    helpful: bool
    answer_id: int | None = None  # None: the answer right before


def parse_vote(text: str) -> Vote | None:
    """A button's or a typed 👍/👎 (not the keywords: they depend on what came before)."""
    found = _VOTE.match(text)
    if found is None:
        return None
    answer_id = int(found.group("id")) if found.group("id") else None
    return Vote(found.group("emoji") == UP, answer_id)


def payload(answer_id: int, helpful: bool) -> str:
    """What a 👍/👎 button sends back for answer `answer_id`."""
    return f"{UP if helpful else DOWN} #{answer_id}"


def _first_word(text: str) -> str:
    words = re.findall(r"\w+", fold(text))
    return words[0] if words else ""


class Feedback:
    """The engine's interceptor for votes and the person it offers after 👎. From the
    composition root: `router` and `handoff_text` (handoff's, as the engine has them)."""

    def __init__(
        self,
        conversations: Conversations,
        catalog: Catalog,
        *,
        router: Router | None = None,
        handoff_text: Callable[[int, str], str | None] = lambda conversation_id, locale: None,
        keyword_channels: frozenset[str] = frozenset(),
        toast_channels: frozenset[str] = frozenset(),
    ) -> None:
        self._conversations = conversations
        self._catalog = catalog
        self._router = router
        self._handoff_text = handoff_text
        self._keyword_channels = keyword_channels
        self._toast_channels = toast_channels
        # The offer's buttons in every language, as a tap sends them back.
        self._options = frozenset(
            fold(catalog.text(f"feedback.offer_{answer}", language))
            for answer in ("yes", "no") for language in catalog.languages)

    async def intercept(self, message: StoredMessage, conversation: ConversationRow) -> bool:
        if message.direction != Direction.INBOUND or message.author.kind != AuthorKind.SHOPPER:
            return False
        vote = parse_vote(message.text)
        offer = (conversation.bot_context or {}).get("feedback_offer")
        if vote is None and offer is not None and conversation.state == ConversationState.BOT:
            word = _first_word(message.text)
            short = len(message.text.split()) <= 2 or fold(message.text.strip()) in self._options
            if short and (word in _OFFER_YES or word in _OFFER_NO):
                return await self._offer_answered(message, conversation, word in _OFFER_YES)
            # "no, where is my order?" is a new question: the engine answers it (and
            # clears the offer)
            return False
        if vote is None and message.channel in self._keyword_channels:
            word = _first_word(message.text)
            if (word in _YES or word in _NO) and len(message.text.split()) <= 2:
                vote = Vote(word in _YES)
        if vote is None:
            return False
        return await self._vote(message, conversation, vote)

    async def _vote(self, message: StoredMessage, conversation: ConversationRow,
                    vote: Vote) -> bool:
        async with self._conversations.change() as change:
            answer = await self._target(change, message, conversation, vote)
            if answer is None:
                return False  # no answer asked for it: an ordinary message
            if not await message_store.mark_processed(change.conn, message.id):
                return True  # handled before a crash
            meta: dict[str, Any] = answer["meta"] or {}
            intent = meta.get("intent")
            before = await feedback_store.record(
                change.conn, message_id=answer["id"], conversation_id=answer["conversation_id"],
                helpful=vote.helpful, intent=intent, now=change.now)
            if before is not vote.helpful:  # a new or changed vote: news for the bus
                await self._emit(change, message, answer, vote.helpful)
            await self._reply(change, message, conversation, answer["id"], vote.helpful)
        return True

    async def _target(self, change: Change, message: StoredMessage,
                      conversation: ConversationRow, vote: Vote) -> dict[str, Any] | None:
        """The answer voted on: the button's, if it is this contact's; else the message
        right before, if it is an answer that asked (or our thanks for a vote on one)."""
        if vote.answer_id is not None:
            found = await feedback_store.answer(change.conn, vote.answer_id)
            return found if found and found["contact_id"] == conversation.contact_id else None
        last = await feedback_store.last_outbound_before(
            change.conn, conversation.id, message.id)
        if last is None:
            return None
        last_id, meta = last
        if meta.get("feedback_for") is not None and parse_vote(message.text) is not None:
            last_id = int(meta["feedback_for"])  # 👍 then 👎: a change of mind
        found = await feedback_store.answer(change.conn, last_id)
        return found if found and found["conversation_id"] == conversation.id else None

    async def _emit(self, change: Change, message: StoredMessage, answer: dict[str, Any],
                    helpful: bool) -> None:
        meta: dict[str, Any] = answer["meta"] or {}
        intent = meta.get("intent")
        change.emit(AnswerRated(conversation_id=answer["conversation_id"], at=change.now,
                                message_id=answer["id"], helpful=helpful, intent=intent))
        if helpful:
            return
        # The inbox files the question the answer answered, not the answer.
        question = await feedback_store.question_before(
            change.conn, answer["conversation_id"], answer["id"])
        change.emit(BotMissed(
            conversation_id=answer["conversation_id"], at=change.now, message_id=question,
            channel=answer["channel"], language=message.locale or answer["locale"] or "",
            kind="not_helpful", intent=intent, confidence=meta.get("confidence")))

    async def _reply(self, change: Change, message: StoredMessage,
                     conversation: ConversationRow, answer_id: int, helpful: bool) -> None:
        locale = message.locale or conversation.locale
        if conversation.state != ConversationState.BOT:
            return  # people have it already: nothing to offer
        if helpful:
            if message.channel in self._toast_channels:
                return
            await self._tell(change, conversation, message, "feedback.thanks", locale,
                             {"feedback_for": answer_id})
            return
        await conversation_store.touch(change.conn, conversation.id, now=change.now,
                                       bot_context={"feedback_offer": answer_id})
        options = tuple(QuickReply(title, title) for title in (
            self._catalog.text("feedback.offer_yes", locale),
            self._catalog.text("feedback.offer_no", locale)))
        await self._tell(change, conversation, message, "feedback.offer_person", locale, {
            "feedback_for": answer_id,
            "quick_replies": [{"title": q.title, "payload": q.payload} for q in options]})

    async def _offer_answered(self, message: StoredMessage, conversation: ConversationRow,
                              yes: bool) -> bool:
        locale = message.locale or conversation.locale or "en"
        async with self._conversations.change() as change:
            if not await message_store.mark_processed(change.conn, message.id):
                return True
            await conversation_store.touch(change.conn, conversation.id, now=change.now,
                                           locale=locale, bot_misses=0, bot_context=None)
            if not yes:
                await self._tell(change, conversation, message, "feedback.offer_declined",
                                 locale, {})
                return True
            await change.transition(conversation.id, ConversationState.QUEUED, actor="bot",
                                    reason=HANDOFF_REASON)
            text = self._handoff_text(conversation.id, locale) or self._catalog.text(
                "bot.handoff_queued", locale)
            await change.tell_shopper(
                conversation_id=conversation.id, contact_id=conversation.contact_id,
                channel=message.channel, text=text, locale=locale,
                author=Author(AuthorKind.SYSTEM), meta={"handoff_reason": HANDOFF_REASON})
        if self._router is not None:
            await self._router.route(conversation.id)
        return True

    async def _tell(self, change: Change, conversation: ConversationRow,
                    message: StoredMessage, key: str, locale: str | None,
                    meta: dict[str, Any]) -> None:
        await change.tell_shopper(
            conversation_id=conversation.id, contact_id=conversation.contact_id,
            channel=message.channel, text=self._catalog.text(key, locale), locale=locale,
            author=Author(AuthorKind.BOT), meta=meta)

