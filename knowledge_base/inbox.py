"""The unanswered-question inbox: files what the bot missed (`BotMissed` from the bus)
into `kb_unanswered` and clusters it, incrementally, per language.

Filing is idempotent on (message, kind): a replayed event files nothing more. The text
is read from the shopper's message, so an erased message (blank) is never filed. Each
question joins the nearest open cluster of its language (`clustering.py`) or starts
one, in the same transaction as its row; the cluster's running centroid, size, label
and dates are updated from the row itself, so a stale cache can only miss a candidate,
never lose a count. The candidates live in a per-language memory cache, rebuilt from
the table whenever it is dropped or another process opened clusters it does not know.

A published article revision that credits an operator accepts their open proposals on
the clusters resolved with that article (`ArticlePublished`).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from relevo.bot.bus import InProcessBus
from relevo.bot.clock import Clock, utc_now
from relevo.bot.events import ArticlePublished, BotMissed
from relevo.bot.store.db import Database
from relevo.bot.store.schema import conversations, messages
from relevo.bot.types import Event
from relevo.knowledge_base.clustering import Candidate, Clusters, joined, vector
from relevo.knowledge_base.config import InboxSettings
from relevo.knowledge_base.schema import kb_clusters, kb_proposals, kb_unanswered

log = logging.getLogger("relevo.kb.inbox")


@dataclass(frozen=True, slots=True)
class Filed:
    """One question filed: its row and the cluster it joined (`new`: started it)."""

    unanswered_id: int
    cluster_id: int
    new: bool


@dataclass(slots=True)
class _Known:
    clusters: Clusters
    newest_id: int  # the highest open cluster id the cache was built with or made


class UnansweredInbox:
    """The bus subscriber that files and clusters; `start`/`stop` are its lifecycle."""

    def __init__(
        self,
        database: Database,
        bus: InProcessBus | None,
        settings: InboxSettings = InboxSettings(),
        *,
        clock: Clock = utc_now,
    ) -> None:
        self._db = database
        self.database = database
        self._bus = bus
        self.settings = settings
        self._clock = clock
        self._known: dict[str, _Known] = {}
        self._close: Callable[[], Awaitable[None]] | None = None

    async def start(self) -> None:
        if self._bus is not None and self._close is None:
            subscription = self._bus.subscribe(self.on_event, name="kb-inbox")
            self._close = subscription.close

    async def stop(self) -> None:
        close, self._close = self._close, None
        if close is not None:
            await close()

    def drop_cache(self) -> None:
        """Forget every candidate: the next question rebuilds them from the table."""
        self._known.clear()

    def forget(self, cluster_id: int) -> None:
        """`cluster_id` is no longer open (resolved, dismissed): never join it again."""
        for known in self._known.values():
            known.clusters.drop(cluster_id)

    async def on_event(self, event: Event) -> None:
        if isinstance(event, BotMissed):
            await self.file(event)
        elif isinstance(event, ArticlePublished) and event.credited_operator_id is not None:
            await self.accept_proposals(event.intent, event.credited_operator_id)

    async def file(self, event: BotMissed) -> Filed | None:
        """File and cluster the event's message; None when it was filed before (same
        message and kind), is gone or erased, or has no text."""
        try:
            async with self._db.write() as conn:
                filed = await self._file(conn, event)
        except IntegrityError:  # another process filed the same (message, kind) first
            return None
        if filed is None:
            return None
        filed_row, candidate, language = filed
        known = self._known.get(language)
        if known is not None:
            known.clusters.put(candidate)
            known.newest_id = max(known.newest_id, candidate.id)
        return filed_row

    async def _file(
        self, conn: AsyncConnection, event: BotMissed
    ) -> tuple[Filed, Candidate, str] | None:
        seen = await conn.scalar(sa.select(kb_unanswered.c.id).where(
            kb_unanswered.c.message_id == event.message_id, kb_unanswered.c.kind == event.kind))
        if seen is not None:
            return None
        found = (await conn.execute(
            sa.select(messages.c.text, messages.c.conversation_id, messages.c.created_at)
            .join(conversations, conversations.c.id == messages.c.conversation_id)
            .where(messages.c.id == event.message_id, conversations.c.erased_at.is_(None))
        )).first()
        if found is None or not found.text.strip():
            return None
        text, at, language = found.text.strip(), found.created_at, event.language
        question = vector(text)
        known = await self._candidates(conn, language)
        candidate, new = await self._join(conn, known.clusters, question, text, at)
        if new:
            candidate = await self._new_cluster(conn, language, question, text, at)
        unanswered_id = (await conn.execute(sa.insert(kb_unanswered).values(
            message_id=event.message_id, conversation_id=found.conversation_id,
            channel=event.channel, language=language, kind=event.kind, text=text,
            intent=event.intent, confidence=event.confidence, cluster_id=candidate.id, at=at,
        ).returning(kb_unanswered.c.id))).scalar_one()
        return Filed(int(unanswered_id), candidate.id, new), candidate, language

    async def _join(
        self, conn: AsyncConnection, clusters: Clusters, question: dict[str, float],
        text: str, at: datetime,
    ) -> tuple[Candidate, bool]:
        """The cluster `question` joined, updated in the table; (placeholder, True) when
        it starts a new one. The stored row, not the cache, is what gets updated."""
        while question and (hit := clusters.nearest(question)) is not None:
            statement = sa.select(kb_clusters).where(kb_clusters.c.id == hit[0].id)
            if conn.dialect.name == "postgresql":
                statement = statement.with_for_update()
            row = (await conn.execute(statement)).first()
            if row is None or row.status != "open":
                clusters.drop(hit[0].id)  # closed meanwhile (another process): look again
                continue
            stored = Candidate(row.id, dict(row.centroid), row.label, row.size)
            updated = joined(stored, question, text)
            await conn.execute(sa.update(kb_clusters).where(kb_clusters.c.id == row.id).values(
                size=kb_clusters.c.size + 1, centroid=updated.centroid, label=updated.label,
                first_at=min(row.first_at, at), last_at=max(row.last_at, at)))
            return updated, False
        return Candidate(0, question, text, 1), True

    async def _new_cluster(
        self, conn: AsyncConnection, language: str, question: dict[str, float], text: str,
        at: datetime,
    ) -> Candidate:
        cluster_id = (await conn.execute(sa.insert(kb_clusters).values(
            language=language, label=text, status="open", size=1, centroid=question,
            first_at=at, last_at=at,
        ).returning(kb_clusters.c.id))).scalar_one()
        return Candidate(int(cluster_id), question, text, 1)

    async def _candidates(self, conn: AsyncConnection, language: str) -> _Known:
        """The open clusters of `language`, from the cache unless the table has open
        clusters it never saw (made by another process)."""
        newest = await conn.scalar(sa.select(sa.func.max(kb_clusters.c.id)).where(
            kb_clusters.c.language == language, kb_clusters.c.status == "open"))
        known = self._known.get(language)
        if known is not None and (newest is None or newest <= known.newest_id):
            return known
        rows = await conn.execute(
            sa.select(kb_clusters.c.id, kb_clusters.c.centroid, kb_clusters.c.label,
                      kb_clusters.c.size)
            .where(kb_clusters.c.language == language, kb_clusters.c.status == "open"))
        clusters = Clusters(threshold=self.settings.join_threshold)
        for row in rows:
            clusters.put(Candidate(row.id, dict(row.centroid), row.label, row.size))
        known = _Known(clusters, int(newest or 0))
        self._known[language] = known
        return known

    async def accept_proposals(self, intent: str, operator_id: int) -> int:
        """Accept `operator_id`'s open proposals on the clusters resolved with `intent`
        (their answer was just published); returns how many."""
        resolved = sa.select(kb_clusters.c.id).where(
            kb_clusters.c.status == "resolved", kb_clusters.c.article_intent == intent)
        async with self._db.write() as conn:
            result = await conn.execute(
                sa.update(kb_proposals)
                .where(kb_proposals.c.operator_id == operator_id,
                       kb_proposals.c.status == "open",
                       kb_proposals.c.cluster_id.in_(resolved))
                .values(status="accepted", article_intent=intent))
        accepted = int(result.rowcount or 0)
        if accepted:
            log.info("accepted %d proposals for article %s", accepted, intent)
        return accepted

    def now(self) -> datetime:
        return self._clock()
