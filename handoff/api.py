"""The operator API (`/api/...`) and its WebSocket (`WS /api/ws`).

Authentication: `Authorization: Bearer <operator API token>`, or the console's session
cookie (then unsafe methods also need the `X-Relevo-Console: 1` header, which a
cross-site form cannot send). Errors are `{"detail": "<reason>"}`.
"""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request, WebSocket
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.websockets import WebSocketDisconnect

from relevo.bot.store import conversations as conversation_store
from relevo.handoff import csat, points, store
from relevo.handoff.actions import ActionError
from relevo.handoff.config import Pool
from relevo.handoff.operator_admin import operator_admin_routes
from relevo.handoff.operator_auth import SESSION_COOKIE, Me
from relevo.handoff.operators import OperatorState, Presence
from relevo.handoff.service import Handoff
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
    operator_id: int | None = None
    pool: Pool | None = None
    note: str | None = Field(None, max_length=4000)


async def action_refused(request: Request, exc: Exception) -> JSONResponse:
    """A refused action (claimed by someone else, not yours, resolved…): its status and
    reason, as every 4xx of relevo: `{"detail": reason}`. Installed on the app."""
    if not isinstance(exc, ActionError):  # registered for ActionError only
        raise exc
    return JSONResponse({"detail": exc.detail}, status_code=exc.status)


def operator_api(handoff: Handoff) -> APIRouter:
    router = APIRouter(prefix="/api")
    @router.get("/operators/me")
    async def me(operator: Me) -> dict[str, Any]:
        async with handoff.database.read() as conn:
            standing = await points.standing(conn, handoff.settings.points, operator.id,
                                             operator.points)
        return {"operator": {**operator.public(), **standing,
                             "assigned": sorted(operator.assigned),
                             "offered": sorted(operator.offered)}}

    @router.post("/operators/me/presence")
    async def presence(body: PresenceBody, operator: Me) -> dict[str, Any]:
        return {"operator": await handoff.actions.set_presence(operator, body.status)}

    @router.get("/operators")
    async def operators(operator: Me) -> dict[str, Any]:
        everyone = sorted(handoff.state.operators.by_id.values(), key=lambda o: o.id)
        return {"operators": [o.public() for o in everyone]}

    @router.get("/conversations")
    async def conversations(
        state: Annotated[str, Query()] = "open",
        limit: Annotated[int, Query(ge=1, le=1000)] = 200,
        *,
        operator: Me,
    ) -> dict[str, Any]:
        states = STATE_FILTERS.get(state)
        if states is None:
            raise HTTPException(422, f"state: must be one of {', '.join(STATE_FILTERS)}")
        async with handoff.database.read() as conn:
            rows = await store.conversation_summaries(
                conn, states=states, operator_id=operator.id if state == "mine" else None,
                limit=limit,
            )
            last = await store.last_messages(conn, [r["id"] for r in rows])
        summaries = [summary(handoff, row, last.get(row["id"]), operator) for row in rows]
        if state == "queued":
            summaries.sort(key=lambda s: (-s["priority"], s["queued_at"] or "", s["id"]))
        return {"conversations": summaries}

    @router.get("/conversations/{conversation_id}")
    async def conversation(conversation_id: int, operator: Me) -> dict[str, Any]:
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
            "id": found.id, "state": found.state.value, "channel": found.channel,
            "locale": found.locale, "contact_id": found.contact_id,
            "assigned_operator_id": found.assigned_operator_id,
            "handoff_reason": found.handoff_reason, "created_at": found.created_at,
            "updated_at": found.updated_at, "display_name": contact and contact["display_name"],
        }
        last = history[-1] if history else None
        view = summary(handoff, base, (last["author"]["kind"], last["text"],
                                       datetime.fromisoformat(last["created_at"]))
                       if last else None, operator)
        if handoff_row is not None:
            view.update(topic=handoff_row.topic, intent=handoff_row.intent,
                        handoff_count=handoff_row.handoff_count)
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
            "csat": None if rating is None else {
                "score": rating["score"], "operator_id": rating["operator_id"],
                "operator_kind": rating["operator_kind"],
            },
        }

    @router.get("/conversations/{conversation_id}/suggestions")
    async def suggest(conversation_id: int, operator: Me) -> dict[str, Any]:
        return {"suggestions": await suggestions(handoff, conversation_id)}

    @router.post("/conversations/{conversation_id}/claim")
    async def claim(conversation_id: int, operator: Me) -> dict[str, Any]:
        return await handoff.actions.claim(operator, conversation_id)

    @router.post("/conversations/{conversation_id}/messages", status_code=201)
    async def reply(conversation_id: int, body: TextBody, operator: Me) -> dict[str, Any]:
        return {"message": await handoff.actions.reply(operator, conversation_id, body.text)}

    @router.post("/conversations/{conversation_id}/notes", status_code=201)
    async def note(conversation_id: int, body: TextBody, operator: Me) -> dict[str, Any]:
        return {"note": await handoff.actions.note(operator, conversation_id, body.text)}

    @router.post("/conversations/{conversation_id}/resolve")
    async def resolve(conversation_id: int, operator: Me) -> dict[str, Any]:
        return await handoff.actions.resolve(operator, conversation_id)

    @router.post("/conversations/{conversation_id}/return-to-bot")
    async def return_to_bot(conversation_id: int, operator: Me) -> dict[str, Any]:
        return await handoff.actions.return_to_bot(operator, conversation_id)

    @router.post("/conversations/{conversation_id}/transfer")
    async def transfer(conversation_id: int, body: TransferBody, operator: Me) -> dict[str, Any]:
        return await handoff.actions.transfer(
            operator, conversation_id, to_operator_id=body.operator_id, pool=body.pool,
            note=body.note,
        )

    @router.get("/leaderboard")
    async def leaderboard(operator: Me) -> dict[str, Any]:
        async with handoff.database.read() as conn:
            return {"leaderboard": await points.leaderboard(conn, handoff.settings.points)}

    @router.get("/csat")
    async def csat_summary(operator: Me) -> dict[str, Any]:
        async with handoff.database.read() as conn:
            return await csat.summary(conn)

    operator_admin_routes(router, handoff)

    @router.websocket("/ws")
    async def socket(websocket: WebSocket, token: str | None = None) -> None:
        operator = await handoff.authenticate(
            token, None if token else websocket.cookies.get(SESSION_COOKIE)
        )
        if operator is None:
            reason = "unknown operator token or expired session"
            if "websocket.http.response" in websocket.scope.get("extensions", {}):
                await websocket.send_denial_response(
                    JSONResponse({"detail": reason}, status_code=401)
                )
            else:
                await websocket.close(code=4401, reason=reason)
            return
        await websocket.accept()
        queue = handoff.hub.open(operator.id)
        await handoff.seen(operator)
        await websocket.send_json({"type": "hello", "operator": operator.public()})
        receiver = asyncio.create_task(_receive(websocket, handoff, operator, queue))
        try:
            while True:
                getter = asyncio.create_task(queue.get())
                done, _ = await asyncio.wait({getter, receiver},
                                             return_when=asyncio.FIRST_COMPLETED)
                if receiver in done:
                    getter.cancel()
                    break
                await websocket.send_json(getter.result())
        except (WebSocketDisconnect, RuntimeError):
            pass
        finally:
            receiver.cancel()
            handoff.hub.close_socket(operator.id, queue)

    return router


async def _receive(
    websocket: WebSocket, handoff: Handoff, operator: OperatorState, queue: Any
) -> None:
    """Client → server: `{"type": "ping"}` (activity) and `{"type": "watch",
    "conversation_id": N | null}` (the conversation on screen)."""
    while True:
        message = await websocket.receive()
        if message["type"] == "websocket.disconnect":
            return
        try:
            data = json.loads(message.get("text") or "{}")
        except ValueError:
            continue
        if not isinstance(data, dict):
            continue
        await handoff.seen(operator)
        if data.get("type") == "watch":
            target = data.get("conversation_id")
            handoff.hub.watch(queue, target if isinstance(target, int) else None)


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
        "assigned_operator": None if holder is None else {
            "id": holder.id, "name": holder.name, "kind": holder.kind.value,
        },
        "mine": row["state"] == "assigned" and row["assigned_operator_id"] == viewer.id,
        "handoff_reason": row["handoff_reason"],
        "priority": entry.priority if entry else (assignment.priority if assignment else 0),
        "queued_at": entry.queued_at.isoformat() if entry else None,
        "position": handoff.state.queue.position(entry) if entry else None,
        "offered_to": entry.offered_to if entry else None,
        "offered_to_me": bool(entry and entry.offered_to == viewer.id),
        "after_hours": bool(entry and entry.after_hours),
        "waiting_since": (assignment.waiting_since.isoformat()
                          if assignment and assignment.waiting_since else None),
        "last_message": None if last is None else {
            "author_kind": last[0], "text": last[1][:200], "at": last[2].isoformat(),
        },
        "updated_at": row["updated_at"].isoformat(),
    }

