"""The handoff tier assembled: state, router, actions, SLA timers, console hub.

Built by `handoff.plugin.install` from the app's `Relevo`; `start` rebuilds the
in-memory indexes from the database, routes what a crash left unrouted and drains
the queue; `stop` ends the timers.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from relevo.bot import replies
from relevo.bot.clock import Clock, utc_now
from relevo.bot.conversations import Change, Conversations
from relevo.bot.protocols import NLU, Bus, KnowledgeBase
from relevo.bot.store import messages as message_store
from relevo.bot.store import operators as operator_store
from relevo.bot.store.conversations import ConversationRow
from relevo.bot.store.db import Database
from relevo.bot.store.messages import StoredMessage
from relevo.bot.text import fold, language_of
from relevo.bot.types import (
    ConversationState,
    Direction,
    OperatorKind,
    PresenceChanged,
)
from relevo.handoff import csat, csat_parse, points, queued_ack, store
from relevo.handoff.actions import Actions
from relevo.handoff.auth import session_operator
from relevo.handoff.community import CommunityCredits
from relevo.handoff.config import HandoffSettings
from relevo.handoff.hub import ConsoleHub
from relevo.handoff.operators import OperatorState, Presence
from relevo.handoff.passwords import PasswordHashing
from relevo.handoff.router import HandoffRouter
from relevo.handoff.sla import SlaTimers
from relevo.handoff.state import HandoffState

log = logging.getLogger("relevo.handoff")

_THANKS = re.compile(
    r"\b(thanks|thank you|thank u|thx|cheers|gracias|muchas gracias|mil gracias|merci|"
    r"grazie|obrigad[oa]|danke)\b"
)


class Handoff:
    def __init__(
        self,
        database: Database,
        bus: Bus,
        settings: HandoffSettings,
        *,
        on_outbound: Callable[[], None],
        clock: Clock = utc_now,
        knowledge_base: Callable[[], KnowledgeBase | None] = lambda: None,
        nlu: Callable[[], NLU | None] = lambda: None,
        passwords: PasswordHashing | None = None,
        languages: tuple[str, ...] = ("en", "es"),
    ) -> None:
        self.database = database
        # The shop's configured languages (`locales`): operators sign per language.
        self.languages = languages
        self.bus = bus
        self.settings = settings
        self._clock = clock
        clock = self.now  # every part reads the time here, so tests can swap the clock
        self.on_outbound = on_outbound
        self.knowledge_base = knowledge_base
        self.nlu = nlu
        # Operators' passwords are hashed here (log-in, and set over the API).
        self.passwords = passwords or PasswordHashing(
            workers=settings.login.hashing_threads(),
            wait_seconds=settings.login.hashing_wait_seconds,
        )
        self.state = HandoffState(settings)
        self.conversations = Conversations(database, bus, wake=on_outbound, clock=clock)
        self.router = HandoffRouter(database, self.conversations, settings, self.state,
                                    clock=clock, knowledge_base=knowledge_base)
        self.actions = Actions(database, self.conversations, settings, self.state,
                               self.router, clock=clock)
        self.sla = SlaTimers(database, self.conversations, settings, self.state, self.router,
                             clock=clock)
        self.hub = ConsoleHub(self.state)
        # Points for published community answers (`ArticlePublished` on the bus).
        self.community = CommunityCredits(database, settings.points, self.state.operators,
                                          clock)
        self._tokens: dict[str, int] = {}  # API token → operator id (tokens never change)

    def now(self) -> datetime:
        return self._clock()

    def set_clock(self, clock: Clock) -> None:
        self._clock = clock

    async def start(self, *, timers: bool = True) -> None:
        async with self.database.read() as conn:
            await self.state.load(conn)
            unrouted = await store.queued_without_handoff(conn)
        self.hub.subscribe(self.bus)
        self.community.subscribe(self.bus)
        for conversation_id in unrouted:
            await self.router.decide(conversation_id, trigger="recovery")
        await self.router.drain()
        if timers:
            await self.sla.start()

    async def stop(self) -> None:
        await self.sla.stop()
        await self.hub.close()
        await self.community.close()

    # --- hooks for the engine ----------------------------------------------------------

    def handoff_text(self, conversation_id: int, locale: str) -> str | None:
        """The bot's handoff message when nobody who speaks the shopper's language is
        online at all: the honest after-hours text instead (one message, not two)."""
        if self.router.availability.anyone_online(language_of(locale)):
            return None
        availability = self.router.availability
        return availability.after_hours_text_for(language_of(locale), locale, self.now())

    def answers_while_queued(self, conversation_id: int) -> bool:
        """After hours nobody can take it yet: the bot keeps answering FAQs meanwhile."""
        entry = self.state.queue.get(conversation_id)
        return entry is not None and entry.after_hours and entry.offered_to is None

    async def rated_conversation(
        self, conn: AsyncConnection, contact_id: int, text: str
    ) -> int | None:
        """The inbox's question, in its accepting transaction: which resolved conversation
        this message rates (None: it is not a rating, or none is awaited). The rating is
        then stored there instead of opening a new conversation."""
        return await csat.awaited_by(conn, contact_id, text, now=self.now(),
                                     answer_seconds=self.settings.csat_answer_seconds)

    async def relayed(
        self, change: Change, message: StoredMessage, conversation: ConversationRow
    ) -> None:
        """The engine relays a message to people: a queued shopper hears it was added to
        their request (handoff/queued_ack.py), within the engine's transaction."""
        entry = self.state.queue.get(conversation.id)
        await queued_ack.acknowledge(change, message, conversation,
                                     after_hours=entry is not None and entry.after_hours)

    async def intercept(self, message: StoredMessage, conversation: ConversationRow) -> bool:
        """Before the bot decides: a CSAT answer is handled here; a shopper's thanks earns
        points; a shopper message to an assigned conversation starts the reply timer."""
        if message.direction != Direction.INBOUND:
            return False
        await self.state.ready(self.database)
        now = self.now()
        if conversation.state == ConversationState.ASSIGNED:
            await self._start_waiting(conversation.id, now)
        request = None
        # A message on a resolved conversation is a rating the inbox found in storage
        # (maybe asked by another process): always read its request.
        asked = conversation.contact_id in self.state.asked_contacts
        if conversation.state == ConversationState.RESOLVED or (
            asked and conversation.state != ConversationState.ASSIGNED
        ):
            async with self.database.read() as conn:
                request = await csat.pending_for_contact(conn, conversation.contact_id,
                                                         message.id)
        await self._thanks(message, conversation, request, now)
        if conversation.state != ConversationState.RESOLVED:
            return False  # a rating lands on the conversation it rates (`rated_conversation`)
        return await self._rate(message, conversation, request, now)

    async def _start_waiting(self, conversation_id: int, now: datetime) -> None:
        assignment = self.state.assignments.get(conversation_id)
        if assignment is None or assignment.waiting_since is not None:
            return
        async with self.database.write() as conn:
            await store.save_handoff(conn, conversation_id, now=now, waiting_since=now)
        assignment.waiting_since = now

    async def _thanks(
        self, message: StoredMessage, conversation: ConversationRow,
        request: dict[str, Any] | None, now: datetime,
    ) -> None:
        if not _THANKS.search(fold(message.text)):
            return
        operator_id: int | None = None
        thanked_conversation = conversation.id
        if conversation.state == ConversationState.ASSIGNED:
            operator_id = conversation.assigned_operator_id
        elif request is not None and request["score"] is None:
            # Thanks right after the operator closed: credit that conversation.
            operator_id, thanked_conversation = request["operator_id"], request["conversation_id"]
        operator = self.state.operators.get(operator_id or 0)
        if operator is None:
            return
        async with self.database.write() as conn:
            awarded = await points.award(
                conn, self.settings.points, operator_id=operator.id, kind=operator.kind,
                conversation_id=thanked_conversation, event="thanks", now=now,
            )
        operator.points += awarded  # the view's copy; storage has the truth

    async def _rate(
        self, message: StoredMessage, conversation: ConversationRow,
        request: dict[str, Any] | None, now: datetime,
    ) -> bool:
        """Store the rating on the resolved conversation it rates and thank the shopper,
        exactly once (the message is marked processed in the same transaction). A second
        rating of an already rated conversation is thanked, not stored."""
        parsed = csat_parse.parse_rating(message.text)
        if request is not None and request["conversation_id"] != conversation.id:
            request = None
        operator = self.state.operators.get(request["operator_id"]) if request else None
        async with self.conversations.change(now) as change:
            if not await message_store.mark_processed(change.conn, message.id):
                return True  # handled before a crash: the engine offers it again
            stored, awarded = False, 0
            if request is not None and parsed is not None:
                stored, awarded = await self._store_rating(change.conn, request, parsed,
                                                           message.id, now)
            locale = message.locale or conversation.locale
            low = stored and parsed is not None and parsed[0] <= 3 and parsed[1] is None
            await change.tell_shopper(
                conversation_id=conversation.id, contact_id=conversation.contact_id,
                channel=message.channel, locale=locale,
                text=replies.text("csat_thanks_low" if low else "csat_thanks", locale),
                meta={"handoff": "csat_thanks", "score": parsed[0] if parsed else None,
                      "rated_conversation_id": conversation.id},
            )
            if operator is not None:  # the view's copy of the points follows the commit
                change.on_commit(lambda: _add_points(operator, awarded))
        return True

    async def _store_rating(
        self, conn: AsyncConnection, request: dict[str, Any], parsed: tuple[int, str | None],
        message_id: int, now: datetime,
    ) -> tuple[bool, int]:
        """(stored, points awarded): once per request; a rating of 4+ pays the operator."""
        score, comment = parsed
        conversation_id = int(request["conversation_id"])
        if not await csat.answer(conn, conversation_id=conversation_id, score=score,
                                 comment=comment, message_id=message_id, now=now):
            return False, 0
        if score < self.settings.points.csat_high_min:
            return True, 0
        return True, await points.award(
            conn, self.settings.points, operator_id=request["operator_id"],
            kind=OperatorKind(request["operator_kind"]), conversation_id=conversation_id,
            event="csat_high", now=now,
        )

    # --- operator activity ------------------------------------------------------------

    async def authenticate(self, token: str | None, cookie: str | None) -> OperatorState | None:
        """The operator behind an API token or a console session id (None: nobody, or
        an operator since removed)."""
        await self.state.ready(self.database)
        operator_id: int | None = None
        if token:
            operator_id = self._tokens.get(token)
            if operator_id is None:
                async with self.database.read() as conn:
                    row = await operator_store.by_token(conn, token)
                if row is not None:
                    operator_id = self._tokens[token] = row.id
        elif cookie:
            async with self.database.read() as conn:
                operator_id = await session_operator(conn, cookie, now=self.now())
        if operator_id is None:
            return None
        return self.state.operators.get(operator_id) or await self.load_operator(operator_id)

    async def load_operator(self, operator_id: int) -> OperatorState | None:
        """Pick up an operator added or edited by the CLI while the server runs."""
        async with self.database.read() as conn:
            row = await operator_store.get(conn, operator_id)
        return self.state.operators.upsert(row) if row is not None else None

    async def seen(self, operator: OperatorState) -> None:
        """Any console or API activity: keeps the operator from going away, and brings
        back one the timer made away."""
        now = self.now()
        operator.last_seen_at = now
        if operator.presence == Presence.AWAY and operator.id in self.sla.auto_away:
            self.sla.auto_away.discard(operator.id)
            async with self.conversations.change(now) as change:
                await operator_store.set_presence(change.conn, operator.id,
                                                  Presence.ONLINE.value, now=now)
                change.on_commit(
                    lambda: self.state.operators.set_presence(operator, Presence.ONLINE)
                )
                change.emit(PresenceChanged(conversation_id=0, at=now, operator_id=operator.id,
                                            presence=Presence.ONLINE.value))
            await self.router.drain([operator.id])


def _add_points(operator: OperatorState, awarded: int) -> None:
    operator.points += awarded
