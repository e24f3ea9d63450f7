"""Shoppers' files kept on disk (`media.fetch_and_store`, the web chat's uploads): found
for operators (`MediaDirectories`, the `bot.protocols.MediaFiles` port), and as a
shopper's data (`MediaContactData`): listed with their content for an export, deleted
by an erasure.

Each channel writes under its own configured directory (`webchat.media_dir`,
`twilio.media_dir`, …); they may be one folder or several. An attachment names its file
only as `media/<name>`, so every distinct directory is searched, and a name is never a
path: no folder, no `..`, nothing absolute.

A stored file is named by its content's SHA-256, so two shoppers who sent the same
picture share one file: an erasure deletes a file only when no message outside the
erasure refers to it any more.
"""

from __future__ import annotations

import asyncio
import base64
import os
import re
from collections.abc import Iterable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from relevo.bot.personal import Erased, Subject
from relevo.bot.store.schema import messages

PREFIX = "media/"  # how a stored file's `Attachment.url` starts
# What the channels write (`<sha256><ext>`), with room to spare; never a path.
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$")


def stored_name(url: object) -> str | None:
    """The file name a `media/<name>` url refers to, or None for any other url and for
    any name that could leave its directory."""
    if not isinstance(url, str) or not url.startswith(PREFIX):
        return None
    name = url[len(PREFIX):]
    if not _NAME.match(name) or ".." in name:
        return None
    return name


class MediaDirectories:
    """Every distinct media directory the channels write to, searched in order."""

    def __init__(self, directories: Iterable[Path]) -> None:
        distinct: list[Path] = []
        for directory in directories:
            where = Path(os.path.normpath(directory.expanduser().absolute()))
            if where not in distinct:
                distinct.append(where)
        self.directories = tuple(distinct)

    async def locate(self, url: str) -> Path | None:
        name = stored_name(url)
        if name is None:
            return None
        return await asyncio.to_thread(self.find, name)

    def find(self, name: str) -> Path | None:
        """The first copy of a stored file (blocking: call in a thread)."""
        for directory in self.directories:
            path = directory / name
            if path.is_file():
                return path
        return None

    def everywhere(self, name: str) -> list[Path]:
        """Every copy of a stored file (blocking: call in a thread)."""
        return [path for directory in self.directories
                if (path := directory / name).is_file()]


class MediaContactData:
    """The shopper's files, across every media directory (`bot.protocols.ContactData`)."""

    def __init__(self, media: MediaDirectories) -> None:
        self._media = media

    async def export(self, conn: AsyncConnection, subject: Subject) -> Mapping[str, list[Any]]:
        return {"media_files": await export(conn, subject, self._media)}

    async def erase(self, conn: AsyncConnection, subject: Subject, now: datetime) -> Erased:
        files = await to_delete(conn, subject, self._media)
        return Erased({"media_files": len(files)}, files=tuple(files))


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
            name = stored_name(item.get("url") if isinstance(item, dict) else None)
            if name is not None:
                names.setdefault(name, []).append(int(row.id))
    return names


async def export(
    conn: AsyncConnection, subject: Subject, media: MediaDirectories
) -> list[dict[str, Any]]:
    """Each of the subject's stored files once: name, size, messages, content (base64)."""
    names = await referenced(conn, subject)
    return await asyncio.to_thread(_read_all, media, names)


def _read_all(media: MediaDirectories, names: dict[str, list[int]]) -> list[dict[str, Any]]:
    listed: list[dict[str, Any]] = []
    for name, message_ids in sorted(names.items()):
        path = media.find(name)
        try:
            if path is None:
                raise FileNotFoundError(name)
            body = path.read_bytes()
        except OSError:
            listed.append({"name": name, "message_ids": message_ids, "stored": False})
            continue
        listed.append({"name": name, "message_ids": message_ids, "stored": True,
                       "size": len(body), "content_base64": base64.b64encode(body).decode()})
    return listed


async def to_delete(
    conn: AsyncConnection, subject: Subject, media: MediaDirectories
) -> list[str]:
    """Paths of the subject's files that no other message refers to (every copy, in
    every media directory)."""
    unshared: list[str] = []
    for name in await referenced(conn, subject):
        shared = await conn.execute(
            sa.select(messages.c.id)
            .where(~_in_scope(subject),
                   sa.cast(messages.c.attachments, sa.Text).contains(PREFIX + name,
                                                                      autoescape=True))
            .limit(1)
        )
        if shared.first() is None:
            unshared.append(name)
    return await asyncio.to_thread(
        lambda: [str(path) for name in unshared for path in media.everywhere(name)])
