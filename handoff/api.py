"""The operator API (`/api/...`) and its WebSocket (`WS /api/ws`).

Authentication and refusals: `handoff.http`. Operator actions go through the
`OperatorDesk`; errors are `{"detail": "<reason>"}`.
"""

from __future__ import annotations

import logging
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, HTTPException, Query, Request
from pydantic import BaseModel, Field

from relevo.bot.http import BodyId, RowId
from relevo.bot.protocols import MediaFiles
from relevo.bot.roles import scopes_of
from relevo.bot.types import Assignment, Origin, PoolRef, Presence
from relevo.handoff import csat, points, store
from relevo.handoff.attachments import attachment_route
from relevo.handoff.config import Pool
from relevo.handoff.desk import HandoffDesk
from relevo.handoff.http import (
    CurrentOperator,
    accepted,
    conversation_guard,
    operator_dependency,
    reader_language,
)
from relevo.handoff.operator_admin import operator_admin_routes
from relevo.handoff.operators import OperatorState
from relevo.handoff.saved_replies import saved_reply_routes
from relevo.handoff.search import MAX_QUERY, conversation_page
from relevo.handoff.service import Handoff
from relevo.handoff.socket import socket_route
from relevo.handoff.suggest import suggestions
from relevo.handoff.typing_route import typing_route
from relevo.handoff.views import conversation_view, message_json, note_json, summary
from relevo.handoff.visibility import (
    list_filter,
    masks_personal_data,
    sees_ratings_of_others,
)

log = logging.getLogger("relevo.handoff.api")

STATE_FILTERS = {
    "queued": ("queued",),
    "assigned": ("assigned",),
    "mine": ("assigned",),
    "open": ("queued", "assigned"),
    "bot": ("bot",),
    "resolved": ("resolved",),
    "all": ("bot", "queued", "assigned", "resolved"),
}


class PresenceBody(BaseModel):
    status: Presence


class TextBody(BaseModel):
    text: str = Field(max_length=10_000)


class TransferBody(BaseModel):
    operator_id: BodyId | None = None
    pool: Pool | None = None
    note: str | None = Field(None, max_length=4000)


def _claimed(done: Assignment) -> dict[str, Any]:
    return {
        "conversation_id": done.conversation_id,
        "state": done.state.value,
        "operator_id": done.operator_id,
    }


def _closed(done: Assignment) -> dict[str, Any]:
    return {"conversation_id": done.conversation_id, "state": done.state.value}


def _transferred(done: Assignment) -> dict[str, Any]:
    if done.outcome is None:  # to an operator
        return _claimed(done)
    return {
        **_closed(done),
        "outcome": done.outcome,
        "operator_id": done.operator_id,
        "position": done.position,
    }


def operator_api(handoff: Handoff, desk: HandoffDesk, media: MediaFiles) -> APIRouter:
    """The operator API; `media` finds the files shoppers sent, whichever channel kept
    them."""
    router = APIRouter(prefix="/api")
    current = operator_dependency(desk, handoff)
    _operator_routes(router, current, handoff, desk)
    _conversation_reads(router, current, handoff)
    # Every route under /conversations/{id} answers 404 for a conversation out of reach.
    _conversation_detail(router, conversation_guard(current, handoff), handoff)
    _conversation_actions(router, conversation_guard(current, handoff), desk)
    _note_route(router, conversation_guard(current, handoff, to_note=True), desk)
    typing_route(router, conversation_guard(current, handoff), handoff)
    attachment_route(router, conversation_guard(current, handoff), handoff, media)
    saved_reply_routes(router, current, handoff)
    operator_admin_routes(router, current, handoff)
    socket_route(router, handoff, desk)
    return router


def _operator_routes(
    router: APIRouter, current: CurrentOperator, handoff: Handoff, desk: HandoffDesk
) -> None:
    @router.get("/operators/me")
    async def me(request: Request, operator: OperatorState = Depends(current)) -> dict[str, Any]:
        """You, with the union of your roles' `scopes`, your points, level and badges
        (named in your `Accept-Language` where the catalogs name them)."""
        locale = reader_language(request, handoff.languages)
        async with handoff.database.read() as conn:
            standing = await points.standing(conn, handoff.settings.points, operator.id,
                                             locale)
        return {"operator": {**operator.public(), **standing,
                             "scopes": sorted(scopes_of(operator.roles)),
                             "assigned": sorted(operator.assigned),
                             "offered": sorted(operator.offered)}}

    @router.post("/operators/me/presence")
    async def presence(
        body: PresenceBody, operator: OperatorState = Depends(current)
    ) -> dict[str, Any]:
        accepted(await desk.set_presence(operator.id, body.status))
        return {"operator": operator.public()}

    @router.get("/operators")
    async def operators(operator: OperatorState = Depends(current)) -> dict[str, Any]:
        everyone = sorted(handoff.state.operators.by_id.values(), key=lambda o: o.id)
        return {"operators": [o.public() for o in everyone]}

    @router.get("/leaderboard")
    async def leaderboard(
        request: Request, operator: OperatorState = Depends(current)
    ) -> dict[str, Any]:
        locale = reader_language(request, handoff.languages)
        async with handoff.database.read() as conn:
            return {"leaderboard": await points.leaderboard(conn, handoff.settings.points,
                                                            locale)}

    @router.get("/csat")
    async def csat_summary(operator: OperatorState = Depends(current)) -> dict[str, Any]:
        """Everyone's ratings for roles with ratings:read; one's own for the others."""
        mine_only = None if sees_ratings_of_others(operator) else operator.id
        async with handoff.database.read() as conn:
            return await csat.summary(conn, operator_id=mine_only)


def _conversation_reads(router: APIRouter, current: CurrentOperator, handoff: Handoff) -> None:
    @router.get("/conversations")
    async def conversations(
        state: Annotated[str, Query()] = "open",
        limit: Annotated[int, Query(ge=1, le=1000)] = 200,
        offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
        q: Annotated[str | None, Query(max_length=MAX_QUERY, description=(
            "contact name, e-mail, phone or id, conversation id (#12), message text"
        ))] = None,
        *,
        operator: OperatorState = Depends(current),
    ) -> dict[str, Any]:
        """One page of conversations in `state` the operator may see, latest first;
        `next_offset` is null on the last page."""
        states = STATE_FILTERS.get(state)
        if states is None:
            raise HTTPException(422, f"state: must be one of {', '.join(STATE_FILTERS)}")
        async with handoff.database.read() as conn:
            rows, more = await conversation_page(
                conn,
                states=states,
                operator_id=operator.id if state == "mine" else None,
                visible=list_filter(operator),
                query=q,
                personal=not masks_personal_data(operator, handoff.settings),
                limit=limit,
                offset=offset,
            )
            last = await store.last_messages(conn, [r["id"] for r in rows])
        summaries = [summary(handoff, row, last.get(row["id"]), operator) for row in rows]
        if state == "queued":
            summaries.sort(key=lambda s: (-s["priority"], s["queued_at"] or "", s["id"]))
        return {"conversations": summaries, "next_offset": offset + limit if more else None}


def _conversation_detail(router: APIRouter, guarded: CurrentOperator, handoff: Handoff) -> None:
    @router.get("/conversations/{conversation_id}")
    async def conversation(
        conversation_id: RowId, operator: OperatorState = Depends(guarded)
    ) -> dict[str, Any]:
        return await conversation_view(handoff, conversation_id, operator)

    @router.get("/conversations/{conversation_id}/suggestions")
    async def suggest(
        conversation_id: RowId, operator: OperatorState = Depends(guarded)
    ) -> dict[str, Any]:
        return {"suggestions": await suggestions(handoff, conversation_id)}


def _conversation_actions(router: APIRouter, guarded: CurrentOperator, desk: HandoffDesk) -> None:
    @router.post("/conversations/{conversation_id}/claim")
    async def claim(
        conversation_id: RowId, operator: OperatorState = Depends(guarded)
    ) -> dict[str, Any]:
        return _claimed(accepted(await desk.claim(operator.id, conversation_id)))

    @router.post("/conversations/{conversation_id}/messages", status_code=201)
    async def reply(
        conversation_id: RowId,
        body: TextBody,
        operator: OperatorState = Depends(guarded),
        idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
    ) -> dict[str, Any]:
        # A retried request with the same Idempotency-Key sends nothing new.
        origin = Origin("console", idempotency_key or f"request:{uuid.uuid4().hex}")
        sent = accepted(await desk.reply(operator.id, conversation_id, body.text, origin))
        return {"message": message_json(sent)}

    @router.post("/conversations/{conversation_id}/resolve")
    async def resolve(
        conversation_id: RowId, operator: OperatorState = Depends(guarded)
    ) -> dict[str, Any]:
        done = accepted(await desk.resolve(operator.id, conversation_id))
        return {**_closed(done), "points_awarded": done.points_awarded}

    @router.post("/conversations/{conversation_id}/return-to-bot")
    async def return_to_bot(
        conversation_id: RowId, operator: OperatorState = Depends(guarded)
    ) -> dict[str, Any]:
        return _closed(accepted(await desk.return_to_bot(operator.id, conversation_id)))

    @router.post("/conversations/{conversation_id}/transfer")
    async def transfer(
        conversation_id: RowId, body: TransferBody, operator: OperatorState = Depends(guarded)
    ) -> dict[str, Any]:
        pool = PoolRef(kinds=body.pool.kinds, skills=body.pool.skills) if body.pool else None
        return _transferred(
            accepted(
                await desk.transfer(
                    operator.id,
                    conversation_id,
                    to_operator_id=body.operator_id,
                    pool=pool,
                    note=body.note,
                )
            )
        )


def _note_route(router: APIRouter, may_note: CurrentOperator, desk: HandoffDesk) -> None:
    @router.post("/conversations/{conversation_id}/notes", status_code=201)
    async def note(
        conversation_id: RowId, body: TextBody, operator: OperatorState = Depends(may_note)
    ) -> dict[str, Any]:
        saved = accepted(await desk.note(operator.id, conversation_id, body.text))
        return {"note": note_json(saved)}
