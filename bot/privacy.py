"""A shopper's rights over their data (GDPR): export it, erase it, and erase old
conversations after a retention period.

Each is one unit of work over the core's tables and every package's contribution
(`ContactData`), recorded in the audit log (`contact.export`, `contact.erase`,
`retention.erase`) with ids and counts, never with personal data. An erasure is one
transaction on SQLite and PostgreSQL alike: open conversations are resolved first
(so they never route to anyone again), the contributions blank their tables, then
the core's; files go, and in-memory views are rebuilt, only once it is committed.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import sqlalchemy as sa

from relevo.bot import audit
from relevo.bot.clock import Clock, utc_now
from relevo.bot.conversations import Change, Conversations
from relevo.bot.personal import Erased, Subject, plain
from relevo.bot.protocols import ContactData
from relevo.bot.store import conversations as conversation_store
from relevo.bot.store import personal as personal_store
from relevo.bot.store.db import Database
from relevo.bot.types import ConversationState, IllegalTransition

log = logging.getLogger("relevo.privacy")

ERASE_REASON = "personal data erased"
# Conversations blanked per transaction by retention: short write locks on SQLite.
RETENTION_BATCH = 200
_RETENTION_LOCK = 0x726574656E74  # "retent": PostgreSQL advisory lock key


class ContactNotFound(LookupError):
    def __init__(self, contact_id: int) -> None:
        super().__init__(f"contact {contact_id} does not exist")
        self.contact_id = contact_id


@dataclass(frozen=True, slots=True)
class RetentionRun:
    """What one retention round erased (or would erase: `dry_run`), by channel."""

    erased: Mapping[str, tuple[int, ...]]
    dry_run: bool

    def public(self) -> dict[str, Any]:
        return {"dry_run": self.dry_run,
                "conversations": {channel: list(ids) for channel, ids in self.erased.items()}}


class Privacy:
    def __init__(
        self,
        database: Database,
        conversations: Conversations,
        contributions: Sequence[ContactData],
        *,
        clock: Clock = utc_now,
    ) -> None:
        self._db = database
        self._conversations = conversations
        self._contributions = tuple(contributions)
        self._clock = clock

    def set_clock(self, clock: Clock) -> None:
        self._clock = clock

    # --- export ------------------------------------------------------------------------

    async def export(self, contact_id: int, actor: audit.Actor) -> dict[str, Any]:
        """Everything stored about the contact's person, as JSON-able data."""
        now = self._clock()
        async with self._db.read() as conn:
            subject = await personal_store.subject_of(conn, contact_id)
            if subject is None:
                raise ContactNotFound(contact_id)
            data: dict[str, Any] = {"orders": []}  # filled by a package that stores orders
            data.update(await personal_store.export_core(conn, subject))
            for contribution in self._contributions:
                for name, records in (await contribution.export(conn, subject)).items():
                    data.setdefault(name, []).extend(records)
        async with self._db.write() as conn:
            await audit.record(
                conn, actor=actor, action="contact.export", at=now, target=("contact", contact_id),
                after={"contacts": list(subject.contact_ids),
                       "conversations": len(subject.conversation_ids),
                       "messages": len(data.get("messages", [])),
                       "files": len(data.get("media_files", []))},
            )
        return {"contact_id": contact_id, "exported_at": now.isoformat(), **plain(data)}

    # --- erasure -----------------------------------------------------------------------

    async def erase(self, contact_id: int, actor: audit.Actor) -> dict[str, Any]:
        """Erase the contact's person. A second call changes nothing and answers the
        same (what was kept, and when it was first erased)."""
        async with self._conversations.change(self._clock()) as change:
            subject = await personal_store.subject_of(change.conn, contact_id)
            if subject is None:
                raise ContactNotFound(contact_id)
            async with self._db.scrubbing(change.conn):
                done = await self._erase(change, subject)
            result = await personal_store.kept(change.conn, subject)
            await audit.record(
                change.conn, actor=actor, action="contact.erase", at=change.now,
                target=("contact", contact_id),
                after={"contacts": list(subject.contact_ids),
                       "conversations": list(subject.conversation_ids),
                       "removed": _total(done)},
            )
        await _after_commit(done)
        await self._db.scrub()
        return {"contact_id": contact_id, "contacts": list(subject.contact_ids), **result}

    async def _erase(self, change: Change, subject: Subject) -> list[Erased]:
        await _close_open(change, subject.conversation_ids)
        done = [await c.erase(change.conn, subject, change.now) for c in self._contributions]
        done.append(Erased(await personal_store.erase_core(change.conn, subject, change.now)))
        return done

    # --- retention ---------------------------------------------------------------------

    async def retention(
        self, days: Mapping[str, int], actor: audit.Actor, *, dry_run: bool = False
    ) -> RetentionRun:
        """Erase the conversations of each channel idle for more than its days (0: kept
        for ever); their contacts stay. `dry_run`: only say which."""
        erased: dict[str, tuple[int, ...]] = {}
        for channel, keep_days in sorted(days.items()):
            if keep_days > 0:
                erased[channel] = await self._expire(channel, keep_days, actor, dry_run)
        return RetentionRun(erased, dry_run)

    async def _expire(
        self, channel: str, keep_days: int, actor: audit.Actor, dry_run: bool
    ) -> tuple[int, ...]:
        cutoff = self._clock() - timedelta(days=keep_days)
        if dry_run:
            async with self._db.read() as conn:
                return tuple(await personal_store.idle_conversations(
                    conn, channel, cutoff, limit=1_000_000))
        erased: list[int] = []
        seen: set[int] = set()
        while True:
            async with self._conversations.change(self._clock()) as change:
                await _one_round_at_a_time(change)
                found = await personal_store.idle_conversations(
                    change.conn, channel, cutoff, limit=RETENTION_BATCH)
                # Erased ones are never found again; this guard only keeps a bug in that
                # from turning into a loop without end.
                batch = [cid for cid in found if cid not in seen]
                if not batch:
                    break
                async with self._db.scrubbing(change.conn):
                    done = await self._erase(change, Subject((), tuple(batch),
                                                             whole_contact=False))
                await audit.record(
                    change.conn, actor=actor, action="retention.erase", at=change.now,
                    target=("channel", channel),
                    after={"days": keep_days, "conversations": batch, "removed": _total(done)},
                )
            await _after_commit(done)
            erased.extend(batch)
            seen.update(batch)
        if erased:
            await self._db.scrub()
            log.info("retention: %d %s conversations erased", len(erased), channel)
        return tuple(erased)


async def _one_round_at_a_time(change: Change) -> None:
    """Processes sharing PostgreSQL each run retention: one batch at a time, so the
    next finds the conversations the first erased gone (SQLite: one writer anyway)."""
    if change.conn.dialect.name == "postgresql":
        await change.conn.execute(sa.select(sa.func.pg_advisory_xact_lock(_RETENTION_LOCK)))


async def _close_open(change: Change, conversation_ids: Sequence[int]) -> None:
    """Resolve the open ones: an erased conversation never routes to anyone again."""
    for conversation_id in conversation_ids:
        found = await conversation_store.get(change.conn, conversation_id)
        if found is None or found.state == ConversationState.RESOLVED:
            continue
        try:
            await change.transition(conversation_id, ConversationState.RESOLVED,
                                    actor="system", reason=ERASE_REASON)
        except IllegalTransition:  # every open state may resolve; kept for safety
            log.warning("conversation %s could not be resolved before erasure", conversation_id)


def _total(done: Sequence[Erased]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for part in done:
        for name, count in part.counts.items():
            counts[name] = counts.get(name, 0) + count
    return counts


async def _after_commit(done: Sequence[Erased]) -> None:
    files = sorted({path for part in done for path in part.files})
    if files:
        await asyncio.to_thread(_remove, files)
    for part in done:
        for callback in part.after_commit:
            try:
                await callback()
            except Exception:  # the erasure is committed; a view catches up later
                log.exception("after an erasure: a follow-up failed")


def _remove(paths: Sequence[str]) -> None:
    for path in paths:
        try:
            os.remove(path)
        except FileNotFoundError:
            pass
        except OSError as exc:
            log.error("erased file not removed: %s (%s)", path, exc.strerror)
