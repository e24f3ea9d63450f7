"""Saved replies: canned answers operators insert from the console's reply box (type
`/` and a shortcut), one shortcut per language (`saved_replies`, migration 0010).

Every operator reads them (`GET /api/saved-replies?language=&q=`); writing needs
`saved_replies:manage` (managers and admins). `{name}` in a text is the contact's name,
filled in by the console when it inserts the reply.
"""

from __future__ import annotations

from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import APIRouter, Depends, HTTPException, Query, Request
from pydantic import BaseModel, Field
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from relevo.bot.audit import record
from relevo.bot.http import RowId
from relevo.bot.roles import Scope
from relevo.bot.store.schema import saved_replies
from relevo.bot.text import fold, language_of
from relevo.handoff.http import CurrentOperator, operator_actor, requires
from relevo.handoff.operators import OperatorState
from relevo.handoff.search import contains, folded
from relevo.handoff.service import Handoff

LANGUAGE = r"^[a-z]{2,3}$"
SHORTCUT = r"^[a-z0-9][a-z0-9_-]{0,63}$"
Language = Annotated[str, Field(pattern=LANGUAGE, description="a language code: es, en…")]
Shortcut = Annotated[str, Field(pattern=SHORTCUT, description=(
    "what the operator types after /: lower-case letters, digits, - and _"))]
Title = Annotated[str, Field(min_length=1, max_length=200)]
Text = Annotated[str, Field(min_length=1, max_length=10_000)]


class SavedReplyBody(BaseModel):
    language: Language
    shortcut: Shortcut
    title: Title
    text: Text


class SavedReplyChange(BaseModel):
    language: Language | None = None
    shortcut: Shortcut | None = None
    title: Title | None = None
    text: Text | None = None


def _json(row: sa.Row[Any]) -> dict[str, Any]:
    return {"id": row.id, "language": row.language, "shortcut": row.shortcut,
            "title": row.title, "text": row.text, "created_by": row.created_by,
            "created_at": row.created_at.isoformat(), "updated_at": row.updated_at.isoformat()}


async def find(
    conn: AsyncConnection, *, language: str | None = None, query: str | None = None,
    limit: int = 200,
) -> list[dict[str, Any]]:
    """Saved replies in `language` (all: None) whose shortcut, title or text contains
    `query` (case- and accent-insensitive), by shortcut."""
    select = sa.select(saved_replies).order_by(saved_replies.c.shortcut,
                                               saved_replies.c.language).limit(limit)
    if language:
        select = select.where(saved_replies.c.language == language)
    if query and query.strip():
        pattern = contains(fold(query.strip()))
        select = select.where(sa.or_(*(
            folded(column).like(pattern, escape="\\")
            for column in (saved_replies.c.shortcut, saved_replies.c.title, saved_replies.c.text)
        )))
    return [_json(row) for row in await conn.execute(select)]


async def _one(conn: AsyncConnection, reply_id: int) -> dict[str, Any] | None:
    row = (await conn.execute(
        sa.select(saved_replies).where(saved_replies.c.id == reply_id))).first()
    return _json(row) if row is not None else None


def _taken(values: dict[str, Any]) -> HTTPException:
    return HTTPException(409, f"a saved reply /{values.get('shortcut', '…')} already exists "
                              f"in {values.get('language', 'that language')}")


def saved_reply_routes(router: APIRouter, current: CurrentOperator, handoff: Handoff) -> None:
    """Reads for every operator; writes for `saved_replies:manage`."""

    @router.get("/saved-replies")
    async def list_replies(
        language: Annotated[str | None, Query(max_length=16)] = None,
        q: Annotated[str | None, Query(max_length=200)] = None,
        *,
        operator: OperatorState = Depends(current),
    ) -> dict[str, Any]:
        """Saved replies in a language (es-MX counts as es), matching `q`."""
        async with handoff.database.read() as conn:
            found = await find(conn, language=language_of(language), query=q)
        return {"saved_replies": found}

    _writes(router, requires(current, Scope.SAVED_REPLIES_MANAGE), handoff)


def _writes(router: APIRouter, manager: CurrentOperator, handoff: Handoff) -> None:
    @router.post("/saved-replies", status_code=201)
    async def add_reply(
        body: SavedReplyBody, request: Request, operator: OperatorState = Depends(manager)
    ) -> dict[str, Any]:
        now = handoff.now()
        values = body.model_dump()
        try:
            async with handoff.database.write() as conn:
                reply_id = (await conn.execute(
                    sa.insert(saved_replies).values(**values, created_by=operator.id,
                                                    created_at=now, updated_at=now)
                    .returning(saved_replies.c.id))).scalar_one()
                saved = await _one(conn, int(reply_id))
                await record(conn, actor=operator_actor(operator, request), at=now,
                             action="saved_reply.create", target=("saved_reply", reply_id),
                             after=saved)
        except IntegrityError:
            raise _taken(values) from None
        return {"saved_reply": saved}

    @router.patch("/saved-replies/{reply_id}")
    async def change_reply(
        reply_id: RowId, body: SavedReplyChange, request: Request,
        operator: OperatorState = Depends(manager),
    ) -> dict[str, Any]:
        values = body.model_dump(exclude_unset=True)
        if any(value is None for value in values.values()):
            raise HTTPException(422, "a saved reply's fields cannot be null")
        try:
            async with handoff.database.write() as conn:
                before = await _one(conn, reply_id)
                if before is None:
                    raise HTTPException(404, f"saved reply {reply_id} does not exist")
                now = handoff.now()
                await conn.execute(sa.update(saved_replies)
                                   .where(saved_replies.c.id == reply_id)
                                   .values(**values, updated_at=now))
                saved = await _one(conn, reply_id)
                await record(conn, actor=operator_actor(operator, request), at=now,
                             action="saved_reply.update", target=("saved_reply", reply_id),
                             before={k: before[k] for k in values},
                             after={k: (saved or {}).get(k) for k in values})
        except IntegrityError:
            raise _taken({**(before or {}), **values}) from None
        return {"saved_reply": saved}

    @router.delete("/saved-replies/{reply_id}")
    async def remove_reply(
        reply_id: RowId, request: Request, operator: OperatorState = Depends(manager)
    ) -> dict[str, Any]:
        async with handoff.database.write() as conn:
            before = await _one(conn, reply_id)
            if before is None:
                raise HTTPException(404, f"saved reply {reply_id} does not exist")
            await conn.execute(sa.delete(saved_replies).where(saved_replies.c.id == reply_id))
            await record(conn, actor=operator_actor(operator, request), at=handoff.now(),
                         action="saved_reply.remove", target=("saved_reply", reply_id),
                         before=before)
        return {"deleted": reply_id}
