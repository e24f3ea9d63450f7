"""The operator API (`/api/...`) and its WebSocket (`WS /api/ws`).

Authentication and refusals: `handoff.http`. Operator actions go through the
`OperatorDesk`; errors are `{"detail": "<reason>"}`.
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, HTTPException, Query
from pydantic import BaseModel, Field

from relevo.bot.http import BodyId, RowId
from relevo.bot.store import conversations as conversation_store
from relevo.bot.types import Assignment, MessageRef, NoteRef, Origin, PoolRef, Presence
from relevo.handoff import csat, points, store
from relevo.handoff.config import Pool
from relevo.handoff.desk import HandoffDesk
from relevo.handoff.http import CurrentOperator, accepted, operator_dependency
from relevo.handoff.operator_admin import operator_admin_routes
from relevo.handoff.operators import OperatorState
from relevo.handoff.service import Handoff
from relevo.handoff.socket import socket_route
from relevo.handoff.suggest import suggestions

log = logging.getLogger("relevo.handoff.api")

STATE_FILTERS = {
    "queued": ("queued",),
    "assigned": ("assigned",),
    "mine": ("assigned",),
    "open": ("queued", "assigned"),
    "bot": ("bot",),
    "resolved": ("resolved",),
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


def operator_api(handoff: Handoff, desk: HandoffDesk) -> APIRouter:
    router = APIRouter(prefix="/api")
    current = operator_dependency(desk, handoff)
    _operator_routes(router, current, handoff, desk)
    _conversation_reads(router, current, handoff)
    _conversation_detail(router, current, handoff)
    _conversation_actions(router, current, desk)
    operator_admin_routes(router, current, handoff)
    socket_route(router, handoff, desk)
    return router


def _operator_routes(
    router: APIRouter, current: CurrentOperator, handoff: Handoff, desk: HandoffDesk
) -> None:
    @router.get("/operators/me")
    async def me(operator: OperatorState = Depends(current)) -> dict[str, Any]:
        async with handoff.database.read() as conn:
            standing = await points.standing(conn, handoff.settings.points, operator.id)
        return {"operator": {**operator.public(), **standing,
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
    async def leaderboard(operator: OperatorState = Depends(current)) -> dict[str, Any]:
        async with handoff.database.read() as conn:
            return {"leaderboard": await points.leaderboard(conn, handoff.settings.points)}

    @router.get("/csat")
    async def csat_summary(operator: OperatorState = Depends(current)) -> dict[str, Any]:
        async with handoff.database.read() as conn:
            return await csat.summary(conn)


def _conversation_reads(router: APIRouter, current: CurrentOperator, handoff: Handoff) -> None:
    @router.get("/conversations")
    async def conversations(
        state: Annotated[str, Query()] = "open",
        limit: Annotated[int, Query(ge=1, le=1000)] = 200,
        *,
        operator: OperatorState = Depends(current),
    ) -> dict[str, Any]:
        states = STATE_FILTERS.get(state)
        if states is None:
            raise HTTPException(422, f"state: must be one of {', '.join(STATE_FILTERS)}")
        async with handoff.database.read() as conn:
            rows = await store.conversation_summaries(
                conn,
                states=states,
                operator_id=operator.id if state == "mine" else None,
                limit=limit,
            )
            last = await store.last_messages(conn, [r["id"] for r in rows])
        summaries = [summary(handoff, row, last.get(row["id"]), operator) for row in rows]
        if state == "queued":
            summaries.sort(key=lambda s: (-s["priority"], s["queued_at"] or "", s["id"]))
        return {"conversations": summaries}


def _conversation_detail(router: APIRouter, current: CurrentOperator, handoff: Handoff) -> None:
    @router.get("/conversations/{conversation_id}")
    async def conversation(
        conversation_id: RowId, operator: OperatorState = Depends(current)
    ) -> dict[str, Any]:
        return await conversation_view(handoff, conversation_id, operator)

    @router.get("/conversations/{conversation_id}/suggestions")
    async def suggest(
        conversation_id: RowId, operator: OperatorState = Depends(current)
    ) -> dict[str, Any]:
        return {"suggestions": await suggestions(handoff, conversation_id)}


def _conversation_actions(router: APIRouter, current: CurrentOperator, desk: HandoffDesk) -> None:
    @router.post("/conversations/{conversation_id}/claim")
    async def claim(
        conversation_id: RowId, operator: OperatorState = Depends(current)
    ) -> dict[str, Any]:
        return _claimed(accepted(await desk.claim(operator.id, conversation_id)))

    @router.post("/conversations/{conversation_id}/messages", status_code=201)
    async def reply(
        conversation_id: RowId,
        body: TextBody,
        operator: OperatorState = Depends(current),
        idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
    ) -> dict[str, Any]:
        # A retried request with the same Idempotency-Key sends nothing new.
        origin = Origin("console", idempotency_key or f"request:{uuid.uuid4().hex}")
        sent = accepted(await desk.reply(operator.id, conversation_id, body.text, origin))
        return {"message": _message(sent)}

    @router.post("/conversations/{conversation_id}/notes", status_code=201)
    async def note(
        conversation_id: RowId, body: TextBody, operator: OperatorState = Depends(current)
    ) -> dict[str, Any]:
        saved = accepted(await desk.note(operator.id, conversation_id, body.text))
        return {"note": _note(saved)}

    @router.post("/conversations/{conversation_id}/resolve")
    async def resolve(
        conversation_id: RowId, operator: OperatorState = Depends(current)
    ) -> dict[str, Any]:
        done = accepted(await desk.resolve(operator.id, conversation_id))
        return {**_closed(done), "points_awarded": done.points_awarded}

    @router.post("/conversations/{conversation_id}/return-to-bot")
    async def return_to_bot(
        conversation_id: RowId, operator: OperatorState = Depends(current)
    ) -> dict[str, Any]:
        return _closed(accepted(await desk.return_to_bot(operator.id, conversation_id)))

    @router.post("/conversations/{conversation_id}/transfer")
    async def transfer(
        conversation_id: RowId, body: TransferBody, operator: OperatorState = Depends(current)
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


async def conversation_view(
    handoff: Handoff, conversation_id: int, operator: OperatorState
) -> dict[str, Any]:
    """One conversation as the console shows it, with the contact's whole history."""
    async with handoff.database.read() as conn:
        found = await conversation_store.get(conn, conversation_id)
        if found is None:
            raise HTTPException(404, f"conversation {conversation_id} does not exist")
        contact = await store.contact_info(conn, found.contact_id)
        history = await store.contact_history(conn, found.contact_id)
        notes = await store.notes_for(conn, conversation_id)
        decisions = await store.decisions_for(conn, conversation_id)
        transitions = await conversation_store.transitions_of(conn, conversation_id)
        handoff_row = await store.get_handoff(conn, conversation_id)
        rating = await csat.pending(conn, conversation_id)
    base = {
        "id": found.id,
        "state": found.state.value,
        "channel": found.channel,
        "locale": found.locale,
        "contact_id": found.contact_id,
        "assigned_operator_id": found.assigned_operator_id,
        "handoff_reason": found.handoff_reason,
        "created_at": found.created_at,
        "updated_at": found.updated_at,
        "display_name": contact and contact["display_name"],
    }
    last = history[-1] if history else None
    view = summary(
        handoff,
        base,
        (last["author"]["kind"], last["text"], datetime.fromisoformat(last["created_at"]))
        if last
        else None,
        operator,
    )
    if handoff_row is not None:
        view.update(
            topic=handoff_row.topic,
            intent=handoff_row.intent,
            handoff_count=handoff_row.handoff_count,
        )
    return {
        "conversation": view,
        "contact": contact,
        "messages": history,
        "notes": notes,
        "routing": decisions,
        "transitions": [
            {**t, "at": t["at"].isoformat() if isinstance(t["at"], datetime) else t["at"]}
            for t in transitions
        ],
        "csat": None
        if rating is None
        else {
            "score": rating["score"],
            "operator_id": rating["operator_id"],
            "operator_kind": rating["operator_kind"],
        },
    }


def _message(sent: MessageRef) -> dict[str, Any]:
    author = {"kind": "operator", "name": sent.author_name, "operator_id": sent.operator_id}
    return {"id": sent.id, "conversation_id": sent.conversation_id, "author": author,
            "text": sent.text, "created_at": sent.created_at.isoformat()}


def _note(saved: NoteRef) -> dict[str, Any]:
    return {"id": saved.id, "conversation_id": saved.conversation_id,
            "operator_id": saved.operator_id, "kind": saved.kind, "text": saved.text,
            "at": saved.at.isoformat()}


def summary(
    handoff: Handoff,
    row: dict[str, Any],
    last: tuple[str, str, datetime] | None,
    viewer: OperatorState,
) -> dict[str, Any]:
    entry = handoff.state.queue.get(row["id"])
    assignment = handoff.state.assignments.get(row["id"])
    holder = handoff.state.operators.get(row["assigned_operator_id"] or 0)
    return {
        "id": row["id"],
        "state": row["state"],
        "channel": row["channel"],
        "locale": row["locale"],
        "contact": {"id": row["contact_id"], "display_name": row.get("display_name")},
        "assigned_operator": None
        if holder is None
        else {
            "id": holder.id,
            "name": holder.name,
            "kind": holder.kind.value,
        },
        "mine": row["state"] == "assigned" and row["assigned_operator_id"] == viewer.id,
        "handoff_reason": row["handoff_reason"],
        "priority": entry.priority if entry else (assignment.priority if assignment else 0),
        "queued_at": entry.queued_at.isoformat() if entry else None,
        "position": handoff.state.queue.position(entry) if entry else None,
        "offered_to": entry.offered_to if entry else None,
        "offered_to_me": bool(entry and entry.offered_to == viewer.id),
        "after_hours": bool(entry and entry.after_hours),
        "waiting_since": (
            assignment.waiting_since.isoformat()
            if assignment and assignment.waiting_since
            else None
        ),
        "last_message": None
        if last is None
        else {
            "author_kind": last[0],
            "text": last[1][:200],
            "at": last[2].isoformat(),
        },
        "updated_at": row["updated_at"].isoformat(),
    }
