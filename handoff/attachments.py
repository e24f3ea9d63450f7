"""What shoppers sent as files, for operators: each message of a conversation's detail
lists its attachments, and
`GET /api/conversations/{id}/messages/{message_id}/attachments/{index}` serves one.

Who may read a file: whoever may read the message in that conversation's detail
(`relevo.handoff.visibility`): the conversation must be in their reach
(`conversation_guard`: 404 otherwise), and the message must be one of its own, or, for
the kinds that see the contact's whole history, one of the contact's other
conversations. Kinds whose view of the shopper is masked (`handoff.external_kinds`)
see the file, as they see what the shopper wrote, but not its name: a file name is
often the shopper's own (`passport_maria_garcia.pdf`), so they get `attachment-1.pdf`.

A file is served as stored, with its type; never run by the browser: `nosniff`, a CSP
of `default-src 'none'; sandbox`, inline only for images and PDF (a download for
anything else). An erased file (or a message erased of its attachments) is 404.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

import sqlalchemy as sa
from fastapi import APIRouter, Depends, HTTPException
from fastapi import Path as PathParam
from fastapi.responses import Response
from sqlalchemy.ext.asyncio import AsyncConnection

from relevo.bot.http import RowId
from relevo.bot.protocols import MediaFiles
from relevo.bot.store.schema import conversations, messages
from relevo.handoff.http import CurrentOperator
from relevo.handoff.operators import OperatorState
from relevo.handoff.service import Handoff
from relevo.handoff.visibility import masks_personal_data, whole_history

SERVED = "media/"  # the urls of files kept on disk; others (telegram-file:, geo:) are not
INLINE = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp", "application/pdf"})
MAX_INDEX = 1000
_TYPE = re.compile(r"^[a-z0-9][a-z0-9!#$&^_.+-]{0,63}/[a-z0-9][a-z0-9!#$&^_.+-]{0,127}$")
_UNSAFE = re.compile(r"[^A-Za-z0-9._ -]+")
FILE_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; sandbox",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "private, no-store",
}


async def stored_attachments(
    conn: AsyncConnection, message_ids: Iterable[int]
) -> dict[int, list[Any]]:
    """Message id → its attachments as stored, for the messages that have any."""
    ids = list(message_ids)
    if not ids:
        return {}
    found = await conn.execute(
        sa.select(messages.c.id, messages.c.attachments)
        .where(messages.c.id.in_(ids), messages.c.attachments.is_not(None))
    )
    return {int(row.id): list(row.attachments) for row in found
            if isinstance(row.attachments, list) and row.attachments}


def with_attachments(
    conversation_id: int, history: list[dict[str, Any]], stored: Mapping[int, list[Any]],
    *, masked: bool,
) -> None:
    """Each message of a detail gets its `attachments` (an empty list for none)."""
    for message in history:
        message["attachments"] = listed(conversation_id, message["id"],
                                        stored.get(message["id"]), masked=masked)


def listed(
    conversation_id: int, message_id: int, stored: list[Any] | None, *, masked: bool
) -> list[dict[str, Any]]:
    """A message's attachments as the detail shows them; `url` (the route above) only
    for files kept on disk."""
    shown: list[dict[str, Any]] = []
    for index, item in enumerate(stored or ()):
        if not isinstance(item, Mapping):
            continue
        url = item.get("url")
        served = isinstance(url, str) and url.startswith(SERVED)
        shown.append({
            "index": index,
            "name": _label(item, index, masked=masked),
            "content_type": _content_type(item.get("content_type")),
            "size": item.get("size") if isinstance(item.get("size"), int) else None,
            "url": f"/api/conversations/{conversation_id}/messages/{message_id}"
                   f"/attachments/{index}" if served else None,
        })
    return shown


def attachment_route(
    router: APIRouter, guarded: CurrentOperator, handoff: Handoff, media: MediaFiles
) -> None:
    @router.get("/conversations/{conversation_id}/messages/{message_id}/attachments/{index}",
                response_class=Response,
                responses={200: {"description": "the file, with its own content type"}})
    async def attachment(
        conversation_id: RowId,
        message_id: RowId,
        index: Annotated[int, PathParam(ge=0, le=MAX_INDEX)],
        operator: OperatorState = Depends(guarded),
    ) -> Response:
        """One file a shopper sent, for an operator who may read that message."""
        async with handoff.database.read() as conn:
            stored = await _message_attachments(conn, conversation_id, message_id,
                                                whole_history(operator))
        if stored is None:
            raise HTTPException(404, f"message {message_id} does not exist in "
                                     f"conversation {conversation_id}")
        item = stored[index] if index < len(stored) else None
        if not isinstance(item, Mapping):
            raise HTTPException(404, f"message {message_id} has no attachment {index}")
        url = item.get("url")
        path = await media.locate(url) if isinstance(url, str) else None
        body = await asyncio.to_thread(_read, path) if path is not None else None
        if body is None:
            raise HTTPException(404, f"attachment {index} of message {message_id} is not "
                                     "stored (any more)")
        masked = masks_personal_data(operator, handoff.settings)
        return file_response(body, item, index, masked=masked)


async def _message_attachments(
    conn: AsyncConnection, conversation_id: int, message_id: int, whole: bool
) -> list[Any] | None:
    """The message's stored attachments, when the conversation's detail shows it (its
    own, or with `whole`, one of the same contact's); None otherwise."""
    contact = (sa.select(conversations.c.contact_id)
               .where(conversations.c.id == conversation_id).scalar_subquery())
    shown = messages.c.conversation_id == conversation_id
    if whole:
        shown = shown | (messages.c.contact_id == contact)
    row = (await conn.execute(
        sa.select(messages.c.attachments).where(messages.c.id == message_id, shown)
    )).first()
    if row is None:
        return None
    return list(row.attachments) if isinstance(row.attachments, list) else []


def file_response(
    body: bytes, item: Mapping[str, Any], index: int, *, masked: bool
) -> Response:
    content_type = _content_type(item.get("content_type"))
    name = _label(item, index, masked=masked)
    disposition = "inline" if content_type in INLINE else "attachment"
    fallback = _UNSAFE.sub("_", name).strip(" .") or f"attachment-{index + 1}"
    headers = {
        **FILE_HEADERS,
        "Content-Disposition": f"{disposition}; filename=\"{fallback}\"; "
                               f"filename*=UTF-8''{quote(name, safe='')}",
    }
    return Response(body, media_type=content_type, headers=headers)


def _content_type(value: object) -> str:
    kind = value.split(";")[0].strip().lower() if isinstance(value, str) else ""
    return kind if _TYPE.match(kind) else "application/octet-stream"


def _label(item: Mapping[str, Any], index: int, *, masked: bool) -> str:
    """The name shown and given to the download: the shopper's file name (a label,
    never a path), or for masked kinds a neutral one with the same extension."""
    url = item.get("url")
    suffix = Path(url).suffix if isinstance(url, str) and url.startswith(SERVED) else ""
    name = item.get("name")
    if masked or not isinstance(name, str) or not name.strip():
        return f"attachment-{index + 1}{suffix[:16]}"
    base = re.split(r"[\\/]", name)[-1]
    return "".join(c for c in base if c.isprintable()).strip()[:200] or \
        f"attachment-{index + 1}{suffix[:16]}"


def _read(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except OSError:  # erased between the look-up and the read
        return None
