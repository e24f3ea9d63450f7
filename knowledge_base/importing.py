"""YAML articles into the database (`relevo kb import`, the start-up seed): each new or
changed article becomes a new revision by the importer; an unchanged one writes nothing.

The file's `status` is honoured (a file says `published` because the team reviewed it
in git): published articles serve the imported revision at once, archived ones stop
serving, drafts and articles in review wait for the editors. `draft=True` imports every
article as a draft instead (a published article keeps serving what it served).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from relevo.knowledge_base import store
from relevo.knowledge_base.articles import Article
from relevo.knowledge_base.revisions import content_of
from relevo.knowledge_base.store import ArticleRow, Person


@dataclass(slots=True)
class Imported:
    created: list[str] = field(default_factory=list)
    revised: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    # (intent, revision, credited operator) served from now on; intents no longer served.
    published: list[tuple[str, int, int | None]] = field(default_factory=list)
    unpublished: list[str] = field(default_factory=list)


async def import_into(
    conn: AsyncConnection, articles: list[Article], author: Person, note: str, *,
    draft: bool, now: datetime,
) -> Imported:
    done = Imported()
    for article in sorted(articles, key=lambda a: a.intent):
        status = "draft" if draft else article.status
        content = content_of(article)
        row = await store.article(conn, article.intent, lock=True)
        if row is None:
            article_id = await store.insert_article(conn, article.intent, status, None, now)
            await _revise(conn, article_id, 1, author, note, content, status, None, now)
            done.created.append(article.intent)
            if status == "published":
                done.published.append((article.intent, 1, None))
            continue
        head = await store.revision(conn, row.id, row.head_revision)
        if head is not None and head.content == content and status in (row.status, "draft"):
            done.unchanged.append(article.intent)
            continue
        number = row.head_revision + (0 if head is not None and head.content == content else 1)
        await _revise(conn, row.id, number, author, note, content, status, row, now)
        (done.unchanged if number == row.head_revision else done.revised).append(article.intent)
        if status == "published":
            done.published.append((article.intent, number, None))
        elif status == "archived" and row.published_revision is not None:
            done.unpublished.append(article.intent)
    return done


async def _revise(
    conn: AsyncConnection, article_id: int, number: int, author: Person, note: str,
    content: dict[str, Any], status: str, row: ArticleRow | None, now: datetime,
) -> None:
    """Write revision `number` (unless it is the head already) and put the article in
    `status`: published serves it, archived stops serving, otherwise unchanged."""
    if row is None or number != row.head_revision:
        await store.insert_revision(conn, article_id, number, author, note, content, now)
    served: dict[str, Any] = {}
    if status == "published":
        served["published_revision"] = number
    elif status == "archived":
        served["published_revision"] = None
    await store.update_article(conn, article_id, status=status, head_revision=number,
                               updated_at=now, **served)
    await store.add_event(conn, article_id, number, "import", author, note, now)
