"""What editors and operators read of the inbox: clusters ranked by count and recency,
and one cluster's examples, what operators replied in those conversations, the
proposed answers and the prefill for a new article. Plain JSON-able dicts, the shapes
of the REST API (`/api/kb/clusters…`, see inbox_api.py)."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from relevo.bot.store.schema import messages, operators
from relevo.bot.text import fold
from relevo.knowledge_base.clustering import recency_score
from relevo.knowledge_base.schema import kb_clusters, kb_proposals, kb_unanswered

EXAMPLES_SHOWN = 100
OPERATOR_REPLIES_SHOWN = 20
PREFILL_QUESTIONS = 20
# Conversations (of the newest questions) whose operator replies are read.
CONVERSATIONS_READ = 200
_DAY = 86_400.0
_WORDS = re.compile(r"\w+")


def _iso(at: datetime | None) -> str | None:
    return at.isoformat() if at is not None else None


async def cluster_summaries(
    conn: AsyncConnection, *, now: datetime, half_life_days: float,
    status: str | None = "open", language: str | None = None, limit: int = 50,
    ids: Sequence[int] | None = None,
) -> list[dict[str, Any]]:
    """ClusterSummary of the clusters matching, best score first (newest activity
    first among equals)."""
    query = sa.select(kb_clusters.c.id, kb_clusters.c.language, kb_clusters.c.label,
                      kb_clusters.c.status, kb_clusters.c.size, kb_clusters.c.first_at,
                      kb_clusters.c.last_at)
    if status is not None:
        query = query.where(kb_clusters.c.status == status)
    if language is not None:
        query = query.where(kb_clusters.c.language == language)
    if ids is not None:
        query = query.where(kb_clusters.c.id.in_(list(ids)))
    scored = []
    for row in (await conn.execute(query)).all():
        age = (now - row.last_at).total_seconds() / _DAY
        scored.append((recency_score(row.size, age, half_life_days), row))
    scored.sort(key=lambda item: (-item[0], -item[1].last_at.timestamp(), -item[1].id))
    chosen = scored[:limit]
    channels = await _counts(conn, kb_unanswered.c.channel, [r.id for _, r in chosen])
    kinds = await _counts(conn, kb_unanswered.c.kind, [r.id for _, r in chosen])
    return [{
        "id": row.id, "language": row.language, "label": row.label, "status": row.status,
        "size": row.size, "first_at": _iso(row.first_at), "last_at": _iso(row.last_at),
        "channels": channels.get(row.id, {}), "kinds": kinds.get(row.id, {}),
        "score": round(score, 4),
    } for score, row in chosen]


async def _counts(
    conn: AsyncConnection, column: sa.ColumnElement[Any], cluster_ids: list[int]
) -> dict[int, dict[str, int]]:
    if not cluster_ids:
        return {}
    rows = await conn.execute(
        sa.select(kb_unanswered.c.cluster_id, column, sa.func.count())
        .where(kb_unanswered.c.cluster_id.in_(cluster_ids))
        .group_by(kb_unanswered.c.cluster_id, column))
    counted: dict[int, dict[str, int]] = defaultdict(dict)
    for cluster_id, value, n in rows.all():
        counted[cluster_id][value] = int(n)
    return counted


async def cluster_detail(
    conn: AsyncConnection, cluster_id: int, *, now: datetime, half_life_days: float,
) -> dict[str, Any] | None:
    """ClusterDetail, or None when there is no such cluster."""
    found = await cluster_summaries(conn, now=now, half_life_days=half_life_days,
                                    status=None, ids=[cluster_id], limit=1)
    if not found:
        return None
    summary = found[0]
    examples = await _examples(conn, cluster_id)
    replies = await _operator_replies(conn, cluster_id)
    proposals = await proposals_of(conn, cluster_id)
    language = summary["language"]
    return {
        **summary,
        "examples": examples[:EXAMPLES_SHOWN],
        "operator_replies": replies[:OPERATOR_REPLIES_SHOWN],
        "proposals": proposals,
        "prefill": _prefill(language, summary["label"], examples, replies, proposals),
    }


async def _examples(conn: AsyncConnection, cluster_id: int) -> list[dict[str, Any]]:
    rows = await conn.execute(
        sa.select(kb_unanswered).where(kb_unanswered.c.cluster_id == cluster_id)
        .order_by(kb_unanswered.c.at.desc(), kb_unanswered.c.id.desc()))
    return [{
        "id": row.id, "text": row.text, "channel": row.channel, "kind": row.kind,
        "at": _iso(row.at), "conversation_id": row.conversation_id, "intent": row.intent,
        "confidence": row.confidence,
    } for row in rows.all()]


async def _operator_replies(conn: AsyncConnection, cluster_id: int) -> list[dict[str, Any]]:
    """What operators wrote in the cluster's conversations after its question there,
    newest first."""
    asked = await conn.execute(
        sa.select(kb_unanswered.c.conversation_id, sa.func.min(kb_unanswered.c.at))
        .where(kb_unanswered.c.cluster_id == cluster_id)
        .group_by(kb_unanswered.c.conversation_id)
        .order_by(sa.func.min(kb_unanswered.c.at).desc())
        .limit(CONVERSATIONS_READ))
    since = {conversation_id: at for conversation_id, at in asked.all()}
    if not since:
        return []
    rows = await conn.execute(
        sa.select(messages.c.conversation_id, messages.c.operator_id, messages.c.author_name,
                  messages.c.text, messages.c.created_at, operators.c.name)
        .outerjoin(operators, operators.c.id == messages.c.operator_id)
        .where(messages.c.conversation_id.in_(list(since)),
               messages.c.author_kind == "operator", messages.c.text != "")
        .order_by(messages.c.created_at.desc(), messages.c.id.desc()))
    return [{
        "conversation_id": row.conversation_id,
        "operator": {"id": row.operator_id, "name": row.name or row.author_name or ""},
        "text": row.text, "at": _iso(row.created_at),
    } for row in rows.all() if row.created_at > since[row.conversation_id]]


async def proposals_of(
    conn: AsyncConnection, cluster_id: int | None = None, proposal_id: int | None = None
) -> list[dict[str, Any]]:
    """Proposal records of a cluster (oldest first), or the one with `proposal_id`."""
    query = (sa.select(kb_proposals, operators.c.name)
             .join(operators, operators.c.id == kb_proposals.c.operator_id)
             .order_by(kb_proposals.c.id))
    if cluster_id is not None:
        query = query.where(kb_proposals.c.cluster_id == cluster_id)
    if proposal_id is not None:
        query = query.where(kb_proposals.c.id == proposal_id)
    return [{
        "id": row.id, "cluster_id": row.cluster_id,
        "operator": {"id": row.operator_id, "name": row.name}, "language": row.language,
        "answer": row.answer, "status": row.status, "created_at": _iso(row.created_at),
    } for row in (await conn.execute(query)).all()]


def _prefill(
    language: str, label: str, examples: list[dict[str, Any]],
    replies: list[dict[str, Any]], proposals: list[dict[str, Any]],
) -> dict[str, Any]:
    """A new article's start: the distinct examples as questions, an accepted proposal
    (else the operators' most common reply) as answer, the label as title."""
    questions: dict[str, str] = {}
    for example in examples:
        if not example["text"]:
            continue  # erased
        key = " ".join(_WORDS.findall(fold(example["text"])))
        if key not in questions and len(questions) < PREFILL_QUESTIONS:
            questions[key] = example["text"]
    answer = next((p["answer"] for p in proposals
                   if p["status"] == "accepted" and p["language"] == language), None)
    if answer is None and replies:
        # Most common first; among equals, the newest (replies come newest first).
        counted = Counter(reply["text"].strip() for reply in replies)
        answer = max(counted, key=lambda text: counted[text])
    return {
        "questions": {language: list(questions.values())},
        "answer": {language: answer} if answer else {},
        "title": {language: label},
    }
