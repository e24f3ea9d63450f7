"""What people do with the inbox: resolve a cluster with an article, dismiss it with a
reason, propose an answer, decline a proposal. Each is one transaction and returns the
changed record, or a refusal as a domain value (`Refused`, `Invalid` with the field):
only the HTTP layer (inbox_api.py) turns them into status codes."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from relevo.bot import formatting
from relevo.bot.roles import Staff
from relevo.bot.text import unstorable
from relevo.bot.types import RefusalKind, Refused
from relevo.knowledge_base.schema import kb_articles, kb_clusters, kb_proposals

REASON_MAX = 500
ANSWER_MAX = 5000


@dataclass(frozen=True, slots=True)
class Invalid:
    """The request itself is wrong: `field` (a dotted path) and why."""

    field: str
    reason: str


def _text(field: str, value: object, limit: int, *, required: bool) -> str | Invalid:
    if value is None:
        value = ""
    if not isinstance(value, str):
        return Invalid(field, "must be text")
    text = value.strip()
    if required and not text:
        return Invalid(field, "is required")
    if len(text) > limit:
        return Invalid(field, f"must be at most {limit} characters, got {len(text)}")
    problem = unstorable(text)
    return Invalid(field, problem) if problem else text


async def _open_cluster(conn: AsyncConnection, cluster_id: int) -> Any:
    row = (await conn.execute(sa.select(kb_clusters).where(kb_clusters.c.id == cluster_id))
           ).first()
    if row is None:
        return Refused(RefusalKind.NOT_FOUND, f"cluster {cluster_id} does not exist")
    if row.status != "open":
        return Refused(RefusalKind.CONFLICT, f"cluster {cluster_id} is {row.status} already")
    return row


async def resolve(
    conn: AsyncConnection, cluster_id: int, article: object, staff: Staff, now: datetime
) -> Refused | Invalid | None:
    """The cluster is answered by the article `article` (it must exist)."""
    intent = _text("article", article, 100, required=True)
    if isinstance(intent, Invalid):
        return intent
    found = await _open_cluster(conn, cluster_id)
    if isinstance(found, Refused):
        return found
    exists = await conn.scalar(sa.select(kb_articles.c.id).where(kb_articles.c.intent == intent))
    if exists is None:
        return Invalid("article", f"article '{intent}' does not exist")
    await _close(conn, cluster_id, "resolved", staff, now, article_intent=intent)
    return None


async def dismiss(
    conn: AsyncConnection, cluster_id: int, reason: object, staff: Staff, now: datetime
) -> Refused | Invalid | None:
    """Nothing to write about this cluster, and why (required)."""
    why = _text("reason", reason, REASON_MAX, required=True)
    if isinstance(why, Invalid):
        return why
    found = await _open_cluster(conn, cluster_id)
    if isinstance(found, Refused):
        return found
    await _close(conn, cluster_id, "dismissed", staff, now, reason=why)
    return None


async def _close(
    conn: AsyncConnection, cluster_id: int, status: str, staff: Staff, now: datetime,
    **values: str,
) -> None:
    await conn.execute(sa.update(kb_clusters).where(kb_clusters.c.id == cluster_id).values(
        status=status, closed_by=staff.id, closed_at=now, **values))


async def propose(
    conn: AsyncConnection, cluster_id: int, answer: object, language: object, staff: Staff,
    now: datetime, languages: Collection[str],
) -> int | Refused | Invalid:
    """A proposed answer to the cluster (in its language unless said); its id."""
    text = _text("answer", answer, ANSWER_MAX, required=True)
    if isinstance(text, Invalid):
        return text
    unsafe = formatting.problems(text)  # the safe formatting subset, as articles
    if unsafe:
        return Invalid("answer", unsafe[0])
    found = await _open_cluster(conn, cluster_id)
    if isinstance(found, Refused):
        return found
    chosen = found.language if language is None else language
    if chosen not in languages:
        return Invalid("language", f"must be one of {', '.join(sorted(languages))}")
    proposal_id = (await conn.execute(sa.insert(kb_proposals).values(
        cluster_id=cluster_id, operator_id=staff.id, language=chosen, answer=text,
        status="open", created_at=now,
    ).returning(kb_proposals.c.id))).scalar_one()
    return int(proposal_id)


async def decline(
    conn: AsyncConnection, proposal_id: int, reason: object
) -> Refused | Invalid | None:
    """A reviewer turns a proposal down. The reason is checked but not stored: the
    proposals table has no column for it (issue #13's tables)."""
    why = _text("reason", reason, REASON_MAX, required=False)
    if isinstance(why, Invalid):
        return why
    status = await conn.scalar(
        sa.select(kb_proposals.c.status).where(kb_proposals.c.id == proposal_id))
    if status is None:
        return Refused(RefusalKind.NOT_FOUND, f"proposal {proposal_id} does not exist")
    if status != "open":
        return Refused(RefusalKind.CONFLICT, f"proposal {proposal_id} is {status} already")
    await conn.execute(sa.update(kb_proposals).where(kb_proposals.c.id == proposal_id)
                       .values(status="declined"))
    return None
