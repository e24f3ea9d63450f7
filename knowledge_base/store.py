"""Reads and writes of the articles' tables (`kb_articles`, `kb_revisions`,
`kb_article_events`), on the caller's connection so a service step is one transaction.

Revisions are only ever inserted: nothing here updates or deletes one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from relevo.bot.store.schema import message_feedback, operators
from relevo.knowledge_base.schema import (
    kb_article_events,
    kb_articles,
    kb_proposals,
    kb_revisions,
)


@dataclass(frozen=True, slots=True)
class Person:
    id: int | None
    name: str

    def json(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name}


@dataclass(frozen=True, slots=True)
class ArticleRow:
    id: int
    intent: str
    status: str
    owner: Person | None
    head_revision: int
    published_revision: int | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class RevisionRow:
    number: int
    author: Person
    note: str
    content: dict[str, Any]
    credited_operator_id: int | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class EventRow:
    action: str
    revision: int
    actor: Person
    note: str
    at: datetime


_owner = operators.alias("owner")
_ARTICLE_COLUMNS = (
    kb_articles.c.id, kb_articles.c.intent, kb_articles.c.status, kb_articles.c.owner_id,
    _owner.c.name.label("owner_name"), kb_articles.c.head_revision,
    kb_articles.c.published_revision, kb_articles.c.created_at, kb_articles.c.updated_at,
)
_ARTICLES = kb_articles.outerjoin(_owner, _owner.c.id == kb_articles.c.owner_id)


def _article(row: Any) -> ArticleRow:
    owner = None if row.owner_id is None else Person(row.owner_id, row.owner_name or "")
    return ArticleRow(row.id, row.intent, row.status, owner, row.head_revision,
                      row.published_revision, row.created_at, row.updated_at)


async def article(conn: AsyncConnection, intent: str, *, lock: bool = False) -> ArticleRow | None:
    """The article named `intent`; with `lock`, its row is held until the transaction
    ends (PostgreSQL; SQLite's writes are serialised already)."""
    query = sa.select(*_ARTICLE_COLUMNS).select_from(_ARTICLES).where(
        kb_articles.c.intent == intent)
    if lock and conn.dialect.name == "postgresql":
        query = query.with_for_update(of=kb_articles)
    row = (await conn.execute(query)).first()
    return None if row is None else _article(row)


async def articles_with_heads(
    conn: AsyncConnection, *, status: str | None = None, owner_id: int | None = None
) -> list[tuple[ArticleRow, dict[str, Any]]]:
    """Every article (filtered) with its head revision's content, sorted by intent."""
    joined = _ARTICLES.join(kb_revisions, sa.and_(
        kb_revisions.c.article_id == kb_articles.c.id,
        kb_revisions.c.number == kb_articles.c.head_revision))
    query = sa.select(*_ARTICLE_COLUMNS, kb_revisions.c.content).select_from(joined)
    if status is not None:
        query = query.where(kb_articles.c.status == status)
    if owner_id is not None:
        query = query.where(kb_articles.c.owner_id == owner_id)
    rows = await conn.execute(query.order_by(kb_articles.c.intent))
    return [(_article(row), dict(row.content)) for row in rows]


async def served_contents(conn: AsyncConnection) -> list[tuple[str, dict[str, Any]]]:
    """(intent, content) of the revision each article serves, sorted by intent."""
    joined = kb_articles.join(kb_revisions, sa.and_(
        kb_revisions.c.article_id == kb_articles.c.id,
        kb_revisions.c.number == kb_articles.c.published_revision))
    rows = await conn.execute(
        sa.select(kb_articles.c.intent, kb_revisions.c.content).select_from(joined)
        .where(kb_articles.c.status != "archived").order_by(kb_articles.c.intent))
    return [(row.intent, dict(row.content)) for row in rows]


async def count(conn: AsyncConnection) -> int:
    return int(await conn.scalar(sa.select(sa.func.count()).select_from(kb_articles)) or 0)


async def feedback(conn: AsyncConnection, intents: Iterable[str]) -> dict[str, tuple[int, int]]:
    """Intent → (helpful, not helpful) votes on the answers it gave."""
    wanted = list(intents)
    if not wanted:
        return {}
    helpful = sa.func.sum(sa.case((message_feedback.c.helpful == sa.true(), 1), else_=0))
    rows = await conn.execute(
        sa.select(message_feedback.c.intent, helpful.label("yes"),
                  sa.func.count().label("votes"))
        .where(message_feedback.c.intent.in_(wanted)).group_by(message_feedback.c.intent))
    return {row.intent: (int(row.yes or 0), int(row.votes) - int(row.yes or 0)) for row in rows}


async def insert_article(
    conn: AsyncConnection, intent: str, status: str, owner_id: int | None, now: datetime
) -> int:
    inserted = await conn.execute(
        sa.insert(kb_articles).values(
            intent=intent, status=status, owner_id=owner_id, head_revision=0,
            published_revision=None, created_at=now, updated_at=now)
        .returning(kb_articles.c.id))
    return int(inserted.scalar_one())


async def update_article(conn: AsyncConnection, article_id: int, **values: Any) -> None:
    await conn.execute(sa.update(kb_articles).where(kb_articles.c.id == article_id)
                       .values(**values))


async def insert_revision(
    conn: AsyncConnection, article_id: int, number: int, author: Person, note: str,
    content: Mapping[str, Any], now: datetime, credited_operator_id: int | None = None,
) -> None:
    await conn.execute(sa.insert(kb_revisions).values(
        article_id=article_id, number=number, author_id=author.id, author_name=author.name,
        note=note, content=dict(content), credited_operator_id=credited_operator_id,
        created_at=now))


async def add_event(
    conn: AsyncConnection, article_id: int, revision: int, action: str, actor: Person,
    note: str, now: datetime,
) -> None:
    await conn.execute(sa.insert(kb_article_events).values(
        article_id=article_id, revision=revision, action=action, actor_id=actor.id,
        actor_name=actor.name, note=note, at=now))


def _revision(row: Any) -> RevisionRow:
    return RevisionRow(row.number, Person(row.author_id, row.author_name), row.note or "",
                       dict(row.content), row.credited_operator_id, row.created_at)


_REVISION_COLUMNS = (
    kb_revisions.c.number, kb_revisions.c.author_id, kb_revisions.c.author_name,
    kb_revisions.c.note, kb_revisions.c.content, kb_revisions.c.credited_operator_id,
    kb_revisions.c.created_at,
)


async def revision(conn: AsyncConnection, article_id: int, number: int) -> RevisionRow | None:
    row = (await conn.execute(sa.select(*_REVISION_COLUMNS).where(
        kb_revisions.c.article_id == article_id, kb_revisions.c.number == number))).first()
    return None if row is None else _revision(row)


async def revisions(conn: AsyncConnection, article_id: int) -> list[RevisionRow]:
    """Newest first."""
    rows = await conn.execute(sa.select(*_REVISION_COLUMNS)
                              .where(kb_revisions.c.article_id == article_id)
                              .order_by(kb_revisions.c.number.desc()))
    return [_revision(row) for row in rows]


async def events(conn: AsyncConnection, article_id: int) -> list[EventRow]:
    """Oldest first: the article's workflow story."""
    rows = await conn.execute(
        sa.select(kb_article_events).where(kb_article_events.c.article_id == article_id)
        .order_by(kb_article_events.c.id))
    return [EventRow(row.action, row.revision, Person(row.actor_id, row.actor_name),
                     row.note or "", row.at) for row in rows]


async def proposer(conn: AsyncConnection, proposal_id: int) -> int | None:
    """The operator who proposed answer `proposal_id` (None: no such proposal)."""
    found = await conn.scalar(sa.select(kb_proposals.c.operator_id)
                              .where(kb_proposals.c.id == proposal_id))
    return None if found is None else int(found)


async def lock_seed(conn: AsyncConnection) -> None:
    """Serialise seeding between processes starting together (PostgreSQL)."""
    if conn.dialect.name == "postgresql":
        await conn.execute(sa.select(sa.func.pg_advisory_xact_lock(0x6B625F73656564)))
