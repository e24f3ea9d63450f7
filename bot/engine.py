"""The conversation engine: decides what happens to each stored shopper message.

Messages of one conversation are handled strictly in order (a per-conversation
serializer), different conversations in parallel. In state `bot` the NLU and the
knowledge base answer, ask to clarify, or hand off; in `queued`/`assigned` the
message is for the operators, who learn of it from the bus. Every reply is a
message row plus an outbox row in the same transaction as the decision.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import replace
from typing import Any

from relevo.bot import deciding, misses, replies
from relevo.bot.clock import Clock, utc_now
from relevo.bot.conversations import Change, Conversations
from relevo.bot.deciding import EngineSettings as EngineSettings
from relevo.bot.language import ShopLanguages
from relevo.bot.logs import without_message
from relevo.bot.metrics import Metrics
from relevo.bot.models import LiveModels
from relevo.bot.nlu_types import IntentPrediction, ParseResult
from relevo.bot.protocols import KnowledgeBase, Router
from relevo.bot.queued import Relayed, say_nothing
from relevo.bot.replying import Decision
from relevo.bot.serial import KeyedSerializer
from relevo.bot.store import conversations as conversation_store
from relevo.bot.store import messages as message_store
from relevo.bot.store.conversations import ConversationRow
from relevo.bot.store.db import Database
from relevo.bot.store.messages import StoredMessage
from relevo.bot.text import fold
from relevo.bot.types import Author, AuthorKind, ConversationState

log = logging.getLogger("relevo.engine")


_YES = frozenset("yes yeah yep yup sure correct exactly si claro vale exacto eso ok okay".split())
_ORDINALS = {
    "1": 0, "first": 0, "primero": 0, "primera": 0,
    "2": 1, "two": 1, "second": 1, "dos": 1, "segundo": 1, "segunda": 1,
    "3": 2, "three": 2, "third": 2, "tres": 2, "tercero": 2, "tercera": 2,
}



# Runs before the engine decides; returns True when it handled the message itself
# (e.g. the handoff package reading a CSAT score). It must be idempotent: after a
# crash the same message may be offered again.
Interceptor = Callable[[StoredMessage, ConversationRow], Awaitable[bool]]


class Engine:
    """Handles each conversation's shopper messages strictly in order, different
    conversations in parallel; everything it changes goes through `conversations`."""

    def __init__(
        self,
        database: Database,
        conversations: Conversations,
        metrics: Metrics,
        *,
        models: LiveModels,
        router: Router | None = None,
        answers_while_queued: Callable[[int], bool] = lambda conversation_id: False,
        handoff_text: Callable[[int, str], str | None] = lambda conversation_id, locale: None,
        interceptors: Sequence[Interceptor] = (),
        settings: EngineSettings = EngineSettings(),
        clock: Clock = utc_now,
        relayed: Relayed = say_nothing,
    ) -> None:
        """From handoff: `answers_while_queued` (FAQs still answered in the queue, e.g. after
        hours), `handoff_text` (None: the standard one), `relayed` (bot/queued.py). Each
        of `interceptors` sees a shopper message first; True: it handled it (CSAT, codes)."""
        self._db = database
        self._metrics = metrics
        self._models = models
        self._router = router
        self._settings = settings
        self._languages = ShopLanguages(settings.languages, settings.default_locale)
        self._clock = clock
        self._serial = KeyedSerializer()
        self._conversations = conversations
        self._interceptors = tuple(interceptors)
        self._answers_while_queued = answers_while_queued
        self._handoff_text = handoff_text
        self._relayed = relayed

    @property
    def _kb(self) -> KnowledgeBase | None:
        return self._models.current.knowledge_base

    def epoch(self) -> int:
        """Jobs finished so far: the inbox reads it before its snapshot (`taken_at`)."""
        return self._serial.finished()

    def submit(
        self,
        message_id: int,
        conversation_id: int,
        stored: tuple[StoredMessage, ConversationRow] | None = None,
        taken_at: int | None = None,
    ) -> None:
        # What the inbox just wrote is still true unless a job of this conversation is
        # waiting, or ended since the inbox read it (on PostgreSQL they can overlap).
        if stored is not None and (
            taken_at is None or self._serial.changed_since(conversation_id, taken_at)
        ):
            stored = None
        self._serial.submit(conversation_id, lambda: self.handle(message_id, stored))

    async def recover(self) -> int:
        """Hand the messages a crash left stored-but-unhandled back to the engine."""
        async with self._db.read() as conn:
            pending = await message_store.unprocessed(conn)
        for message_id, conversation_id in pending:
            self.submit(message_id, conversation_id)
        if pending:
            log.info("recovered %d unhandled messages", len(pending))
        return len(pending)

    async def join(self) -> None:
        await self._serial.join()

    async def close(self) -> None:
        await self._serial.close()

    async def handle(
        self, message_id: int, stored: tuple[StoredMessage, ConversationRow] | None = None
    ) -> None:
        if stored is None:
            async with self._db.read() as conn:
                found = await message_store.get(conn, message_id)
                current = (
                    await conversation_store.get(conn, found.conversation_id) if found else None
                )
            if found is None or current is None:
                return
            stored = (found, current)
        message, conversation = stored
        # The shopper's language, decided once for everything below (bot/language.py).
        language = self._languages.choose(message.text, self._models.current.language,
                                          conversation=conversation.locale,
                                          channel=message.locale)
        message = replace(message, locale=language.language)
        context = conversation.bot_context
        for interceptor in self._interceptors:
            if await interceptor(message, conversation):
                async with self._db.write() as conn:
                    await message_store.mark_processed(conn, message_id)
                return
        # The NLU may be remote (Rasa): decide outside the write transaction.
        bot_may_answer = self._bot_may_answer(conversation)
        decision = (
            await self._decide(message, conversation, context)
            if bot_may_answer
            else Decision("relay")
        )
        if conversation.state != ConversationState.BOT and decision.kind != "answer":
            decision = Decision("relay")  # queued: only plain answers, the rest is for people
        async with self._conversations.change() as change:
            # The parse rides on the shopper's message: routing reads it from there.
            parsed = None if decision.parse is None else {
                "parse": decision.parse, "language": language.as_meta()}
            if not await message_store.mark_processed(change.conn, message_id, meta=parsed):
                return
            fresh = await conversation_store.get(change.conn, conversation.id)
            if fresh is None:
                return
            if decision.kind != "relay" and not (
                fresh.state == ConversationState.BOT
                or (decision.kind == "answer" and self._bot_may_answer(fresh))
            ):
                decision = Decision("relay")  # an operator took it meanwhile
            await self._apply(change, decision, message, fresh)
            for missed in misses.missed(decision, message, language=language.language,
                                        at=change.now, context=context,
                                        low_confidence=self._settings.low_confidence):
                change.emit(missed)
        self._metrics.inc("relevo_engine_decisions_total", decision=decision.kind)
        if decision.kind == "handoff" and self._router is not None:
            await self._router.route(conversation.id)

    def _bot_may_answer(self, conversation: ConversationRow) -> bool:
        if conversation.state == ConversationState.BOT:
            return True
        return conversation.state == ConversationState.QUEUED and self._answers_while_queued(
            conversation.id
        )

    async def _decide(
        self,
        message: StoredMessage,
        conversation: ConversationRow,
        context: dict[str, Any] | None,
    ) -> Decision:
        locale = message.locale or self._settings.default_locale  # chosen by handle()
        folded = fold(message.text)
        if context and context.get("clarify"):
            chosen = _pick_option(folded, context["clarify"])
            if chosen is not None:
                answered = self._answer(chosen, 1.0, locale, ())
                if answered is not None:
                    answered.meta["clarified"] = True
                    return answered
        nlu = self._models.current.nlu
        try:
            result = await nlu.parse(message.text, locale) if nlu is not None else None
        except Exception as exc:  # an NLU bug or outage must not leave the shopper unheard
            failed = exc if self._settings.log_shopper_text else without_message(exc)
            log.error("nlu parse failed (%s): handed to a person", type(exc).__name__,
                      exc_info=failed)
            return Decision("handoff", reason="the NLU failed", locale=locale)
        if deciding.asks_for_person(folded):
            decision = Decision("handoff", reason="the shopper asked for a person", locale=locale)
        elif result is None:
            return Decision("handoff", reason="no NLU is configured", locale=locale)
        else:
            decision = self._from_parse(result, conversation, locale)
        decision.parse = _parse_meta(result) if result is not None else None
        return decision

    def _from_parse(
        self, result: ParseResult, conversation: ConversationRow, locale: str
    ) -> Decision:
        return deciding.from_parse(result, self._kb, locale, self._settings,
                                   bot_misses=conversation.bot_misses)

    def _answer(
        self,
        intent: str,
        confidence: float,
        locale: str,
        runners_up: Sequence[IntentPrediction],
    ) -> Decision | None:
        return deciding.answer(self._kb, intent, confidence, locale, runners_up)

    async def _apply(
        self,
        change: Change,
        decision: Decision,
        message: StoredMessage,
        conversation: ConversationRow,
    ) -> None:
        if decision.kind == "relay":
            return await self._relayed(change, message, conversation)
        locale = decision.locale or conversation.locale or self._settings.default_locale
        missed = conversation.bot_misses + 1 if decision.kind in ("miss", "clarify") else 0
        await conversation_store.touch(
            change.conn, conversation.id, now=change.now, locale=locale, bot_misses=missed,
            bot_context=misses.remember_question(decision.bot_context, message.id),
        )
        if decision.kind == "handoff":
            await change.transition(
                conversation.id, ConversationState.QUEUED, actor="bot", reason=decision.reason,
            )
            decision.text = self._handoff_text(conversation.id, locale) or replies.text(
                "handoff_queued", locale
            )
            decision.meta = {"handoff_reason": decision.reason}
        meta = dict(decision.meta)
        if decision.quick_replies:
            meta["quick_replies"] = [
                {"title": q.title, "payload": q.payload} for q in decision.quick_replies
            ]
        author_kind = AuthorKind.SYSTEM if decision.kind == "handoff" else AuthorKind.BOT
        await change.tell_shopper(
            conversation_id=conversation.id, contact_id=conversation.contact_id,
            channel=message.channel, text=decision.text, locale=locale,
            author=Author(author_kind), meta=meta,
        )


def _parse_meta(result: ParseResult) -> dict[str, Any]:
    """The parse as stored on the shopper's message (Rasa's names, rounded)."""
    return {
        "intent": result.intent.name,
        "confidence": round(result.intent.confidence, 4),
        "ranking": [
            {"intent": p.name, "confidence": round(p.confidence, 4)}
            for p in result.intent_ranking[:4]
        ],
        "locale": result.locale,
        "out_of_scope": result.out_of_scope,
    }


def _pick_option(folded: str, options: Sequence[Sequence[str]]) -> str | None:
    """The option the shopper chose: its number, an ordinal, or its title."""
    words = re.findall(r"\w+", folded)
    for word in words[:4]:
        index = _ORDINALS.get(word)
        if index is not None and index < len(options):
            return options[index][0]
    for name, title in options:
        if folded.strip() in (fold(title).strip(), name):
            return name
    if len(options) == 1 and words and words[0] in _YES:
        return options[0][0]  # "did you mean …?" "yes"
    return None
