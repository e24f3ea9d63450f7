"""Community answers (#13): when a reviewer publishes an answer an operator proposed, the
knowledge base puts `ArticlePublished(intent, revision, credited_operator_id)` on the bus;
this subscriber pays the proposer `handoff.points.community_answer` points, once per
(intent, revision), and their first one earns the `community_author` badge (named per
language in the catalogs). Operators of kinds outside `handoff.points.kinds` earn none,
as for every other award.

Paid in its own transaction after the publish committed: a replayed or redelivered event
finds the revision paid (`community_credits`) and pays nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from relevo.bot.events import ArticlePublished
from relevo.bot.protocols import Bus, Subscription
from relevo.bot.store import operators as operator_store
from relevo.bot.store.db import Database
from relevo.bot.types import Event
from relevo.handoff import points
from relevo.handoff.config import PointsSettings
from relevo.handoff.operators import OperatorIndex

log = logging.getLogger("relevo.handoff.community")


class CommunityCredits:
    def __init__(
        self, database: Database, settings: PointsSettings, operators: OperatorIndex,
        clock: Callable[[], datetime],
    ) -> None:
        self._database = database
        self._settings = settings
        self._operators = operators  # the in-memory view's copy of the points follows
        self._clock = clock
        self._subscription: Subscription | None = None

    def subscribe(self, bus: Bus) -> None:
        self._subscription = bus.subscribe(self.handle, name="handoff-community")

    async def close(self) -> None:
        if self._subscription is not None:
            await self._subscription.close()
            self._subscription = None

    async def handle(self, event: Event) -> None:
        if isinstance(event, ArticlePublished) and event.credited_operator_id is not None:
            await self.credit(event.intent, event.revision, event.credited_operator_id)

    async def credit(self, intent: str, revision: int, operator_id: int) -> int:
        """Points paid to `operator_id` for this published revision (0: already paid, a
        kind that earns none, or no such operator any more)."""
        async with self._database.write() as conn:
            row = await operator_store.get(conn, operator_id)
            if row is None:
                log.warning("published %s revision %d credits operator %d, who is gone",
                            intent, revision, operator_id)
                return 0
            awarded = await points.credit_answer(
                conn, self._settings, operator_id=operator_id, kind=row.kind, intent=intent,
                revision=revision, now=self._clock(),
            )
        state = self._operators.get(operator_id)
        if awarded and state is not None:
            state.points += awarded  # the view's copy; storage has the truth
        return awarded
