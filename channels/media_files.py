"""Shoppers' files kept on disk (`media.fetch_and_store`), as a shopper's data: listed
with their content for an export, deleted by an erasure.

A stored file is named by its content's SHA-256, so two shoppers who sent the same
picture share one file: an erasure deletes a file only when no message outside the
erasure refers to it any more.
"""

from __future__ import annotations

import asyncio
import base64
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from relevo.bot.personal import Subject
from relevo.bot.store.schema import messages

PREFIX = "media/"  # how a stored file's `Attachment.url` starts


def _in_scope(subject: Subject) -> sa.ColumnElement[bool]:
    where: sa.ColumnElement[bool] = messages.c.conversation_id.in_(subject.conversation_ids)
    if subject.whole_contact:
        where = where | messages.c.contact_id.in_(subject.contact_ids)
    return where


async def referenced(conn: AsyncConnection, subject: Subject) -> dict[str, list[int]]:
    """File name → the subject's messages that carry it."""
    found = await conn.execute(
        sa.select(messages.c.id, messages.c.attachments)
        .where(_in_scope(subject), messages.c.attachments.is_not(None))
        .order_by(messages.c.id)
    )
    names: dict[str, list[int]] = {}
    for row in found:
        for item in row.attachments or ():
            url = item.get("url") if isinstance(item, dict) else None
            if isinstance(url, str) and url.startswith(PREFIX) and "/" not in url[len(PREFIX):]:
                names.setdefault(url[len(PREFIX):], []).append(int(row.id))
    return names


async def export(
    conn: AsyncConnection, subject: Subject, directory: Path
) -> list[dict[str, Any]]:
    """Each of the subject's stored files: name, size, messages, content (base64)."""
    names = await referenced(conn, subject)
    return await asyncio.to_thread(_read_all, directory, names)


def _read_all(directory: Path, names: dict[str, list[int]]) -> list[dict[str, Any]]:
    listed: list[dict[str, Any]] = []
    for name, message_ids in sorted(names.items()):
        path = directory / name
        try:
            body = path.read_bytes()
        except OSError:
            listed.append({"name": name, "message_ids": message_ids, "stored": False})
            continue
        listed.append({"name": name, "message_ids": message_ids, "stored": True,
                       "size": len(body), "content_base64": base64.b64encode(body).decode()})
    return listed


async def to_delete(conn: AsyncConnection, subject: Subject, directory: Path) -> list[str]:
    """Paths of the subject's files that no other message refers to."""
    paths: list[str] = []
    for name in await referenced(conn, subject):
        shared = await conn.execute(
            sa.select(messages.c.id)
            .where(~_in_scope(subject),
                   sa.cast(messages.c.attachments, sa.Text).contains(PREFIX + name,
                                                                      autoescape=True))
            .limit(1)
        )
        if shared.first() is None:
            paths.append(str(directory / name))
    return paths
