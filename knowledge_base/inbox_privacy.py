"""The inbox's share of a shopper's data (`bot.protocols.ContactData`): the copies of
their unanswered questions in `kb_unanswered`, and cluster labels quoting them.

An erasure blanks the questions (the rows stay, so counts and rankings hold) and gives
a cluster whose label quoted one of them the newest remaining question as its label,
or none. Retention does the same for the old conversations it erases.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from relevo.bot.personal import Erased, Subject, rows_of
from relevo.knowledge_base.schema import kb_clusters, kb_unanswered


class InboxContactData:
    async def export(self, conn: AsyncConnection, subject: Subject) -> Mapping[str, list[Any]]:
        found = await conn.execute(sa.select(kb_unanswered).where(
            kb_unanswered.c.conversation_id.in_(subject.conversation_ids))
            .order_by(kb_unanswered.c.id))
        return {"unanswered_questions": rows_of(found)}

    async def erase(self, conn: AsyncConnection, subject: Subject, now: datetime) -> Erased:
        theirs = kb_unanswered.c.conversation_id.in_(subject.conversation_ids)
        quoted = (await conn.execute(
            sa.select(kb_unanswered.c.cluster_id, kb_unanswered.c.text).distinct()
            .where(theirs, kb_unanswered.c.text != ""))).all()
        blanked = await conn.execute(
            sa.update(kb_unanswered).where(theirs, kb_unanswered.c.text != "").values(text=""))
        relabelled = 0
        for cluster_id, text in quoted:
            if cluster_id is not None:
                relabelled += await _relabel(conn, cluster_id, text)
        return Erased({"unanswered_questions": int(blanked.rowcount or 0),
                       "cluster_labels": relabelled})


async def _relabel(conn: AsyncConnection, cluster_id: int, erased_text: str) -> int:
    label = await conn.scalar(
        sa.select(kb_clusters.c.label).where(kb_clusters.c.id == cluster_id))
    if label != erased_text:
        return 0
    newest = await conn.scalar(
        sa.select(kb_unanswered.c.text)
        .where(kb_unanswered.c.cluster_id == cluster_id, kb_unanswered.c.text != "")
        .order_by(kb_unanswered.c.at.desc(), kb_unanswered.c.id.desc()).limit(1))
    await conn.execute(sa.update(kb_clusters).where(kb_clusters.c.id == cluster_id)
                       .values(label=newest or ""))
    return 1
