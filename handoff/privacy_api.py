"""Admins' routes over a shopper's data and the audit log:

- `GET /api/contacts/{id}/export` (contacts:export): everything stored about them;
- `POST /api/contacts/{id}/erase` (contacts:erase): erase it (idempotent);
- `GET /api/audit?before=&limit=&action=` (audit:read): the audit log, newest first.

The work is the core's (`bot.privacy.Privacy`, `bot.audit`); this is its HTTP face.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import JSONResponse

from relevo.bot import audit
from relevo.bot.http import MAX_ROW_ID, RowId
from relevo.bot.privacy import ContactNotFound, Privacy
from relevo.bot.roles import Scope
from relevo.handoff.desk import HandoffDesk
from relevo.handoff.http import operator_actor, operator_dependency, requires
from relevo.handoff.operators import OperatorState
from relevo.handoff.service import Handoff


def privacy_api(handoff: Handoff, desk: HandoffDesk, privacy: Privacy) -> APIRouter:
    router = APIRouter(prefix="/api")
    current = operator_dependency(desk, handoff)
    exporter = requires(current, Scope.CONTACTS_EXPORT)
    eraser = requires(current, Scope.CONTACTS_ERASE)
    reader = requires(current, Scope.AUDIT_READ)

    @router.get("/contacts/{contact_id}/export")
    async def export(
        contact_id: RowId, request: Request, operator: OperatorState = Depends(exporter)
    ) -> JSONResponse:
        try:
            data = await privacy.export(contact_id, operator_actor(operator, request))
        except ContactNotFound as exc:
            raise HTTPException(404, str(exc)) from None
        name = f"relevo-contact-{contact_id}.json"
        return JSONResponse(data, headers={"Content-Disposition": f'attachment; filename="{name}"',
                                           "Cache-Control": "no-store"})

    @router.post("/contacts/{contact_id}/erase")
    async def erase(
        contact_id: RowId, request: Request, operator: OperatorState = Depends(eraser)
    ) -> dict[str, Any]:
        try:
            return await privacy.erase(contact_id, operator_actor(operator, request))
        except ContactNotFound as exc:
            raise HTTPException(404, str(exc)) from None

    @router.get("/audit")
    async def audit_log(
        before: Annotated[int | None, Query(ge=1, le=MAX_ROW_ID)] = None,
        limit: Annotated[int, Query(ge=1, le=500)] = 100,
        action: Annotated[str | None, Query(max_length=64, pattern=r"^[a-z_]+(\.[a-z_]*)*$")]
        = None,
        *,
        operator: OperatorState = Depends(reader),
    ) -> dict[str, Any]:
        async with handoff.database.read() as conn:
            found = await audit.entries(conn, before_id=before, limit=limit, action=action)
        return {
            "entries": [entry.public() for entry in found],
            # Where the next page starts; None once the oldest entry was given.
            "before": found[-1].id if len(found) == limit else None,
        }

    return router
