"""The web chat's share of a shopper's data (`bot.protocols.ContactData`): the record of
each file a visitor uploaded (its id, the shopper's own file name, type and size), kept
beside the media files, and any uploaded file no message refers to (an upload never
sent). Files that messages carry are the media contribution's (`channels.media_files`)."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from relevo.bot.personal import Erased, Subject
from relevo.bot.store.schema import messages
from relevo.channels.media_files import stored_name
from relevo.channels.web.attachments import owner_dir, records
from relevo.channels.web.parse import NAME


class WebUploadsData:
    def __init__(self, media_dir: Path) -> None:
        self._dir = media_dir

    async def _records(self, subject: Subject) -> list[tuple[Path, dict[str, Any]]]:
        found: list[tuple[Path, dict[str, Any]]] = []
        for visitor_id in subject.external_ids(NAME):
            found += await asyncio.to_thread(records, self._dir, visitor_id)
        return found

    async def export(self, conn: AsyncConnection, subject: Subject) -> Mapping[str, list[Any]]:
        return {"web_uploads": [{"id": path.stem, **record}
                                for path, record in await self._records(subject)]}

    async def erase(self, conn: AsyncConnection, subject: Subject, now: datetime) -> Erased:
        if not subject.whole_contact:
            return Erased()
        found = await self._records(subject)
        files = [str(path) for path, _ in found]
        for _, record in found:
            name = stored_name(str(record.get("url")))
            if name is not None and not await _sent(conn, name):
                files.append(str(self._dir / name))  # uploaded, never sent
        folders = [owner_dir(self._dir, v) for v in subject.external_ids(NAME)]

        async def remove_folders() -> None:
            await asyncio.to_thread(_remove_empty, folders)

        return Erased({"web_uploads": len(found)}, files=tuple(files),
                      after_commit=(remove_folders,))


async def _sent(conn: AsyncConnection, name: str) -> bool:
    """Whether any message, anyone's, carries the stored file `name`."""
    text = sa.cast(messages.c.attachments, sa.Text)
    found = await conn.execute(
        sa.select(messages.c.id).where(messages.c.attachments.is_not(None),
                                       text.contains(f"media/{name}")).limit(1))
    return found.first() is not None


def _remove_empty(folders: list[Path]) -> None:
    for folder in folders:
        try:
            folder.rmdir()
        except OSError:  # gone already, or not empty (an upload made meanwhile stays)
            pass
