"""`POST /api/conversations/{id}/typing {"active": bool}`: the console tells that its
operator is typing a reply (or stopped), and the shopper's channel may show it.

Publishes the ephemeral bus event `OperatorTyping` (never stored) with the name the
shopper will see on the reply. Only the conversation's assigned operator may (403
otherwise; 404 out of reach, from the guard). The console sends at most one "typing"
every few seconds; the server drops a repeated "typing" within `MIN_INTERVAL` anyway,
so a runaway client cannot flood the bus. "Stopped" always goes through.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from fastapi import APIRouter, Depends, HTTPException
from pydantic import BaseModel

from relevo.bot.http import RowId
from relevo.bot.store import conversations as conversation_store
from relevo.bot.types import ConversationState, OperatorTyping
from relevo.handoff.http import CurrentOperator
from relevo.handoff.operators import OperatorState
from relevo.handoff.service import Handoff

MIN_INTERVAL = timedelta(seconds=1)


class TypingBody(BaseModel):
    active: bool = True


def typing_route(router: APIRouter, guarded: CurrentOperator, handoff: Handoff) -> None:
    last_typing: dict[tuple[int, int], datetime] = {}  # (operator, conversation) → at

    @router.post("/conversations/{conversation_id}/typing", status_code=202)
    async def typing(
        conversation_id: RowId, body: TypingBody, operator: OperatorState = Depends(guarded)
    ) -> dict[str, Any]:
        async with handoff.database.read() as conn:
            found = await conversation_store.get(conn, conversation_id)
        if found is None or found.state != ConversationState.ASSIGNED or \
                found.assigned_operator_id != operator.id:
            raise HTTPException(403, f"conversation {conversation_id} is not assigned to you: "
                                     "only its operator may show they are typing")
        now = handoff.now()
        key = (operator.id, conversation_id)
        previous = last_typing.pop(key, None)
        if body.active:
            if len(last_typing) > 10_000:  # typists who never said "stopped"
                last_typing.clear()
            last_typing[key] = now
            if previous is not None and now - previous < MIN_INTERVAL:
                last_typing[key] = previous
                return {"conversation_id": conversation_id, "active": True, "published": False}
        await handoff.bus.publish(OperatorTyping(
            conversation_id=conversation_id, at=now, contact_id=found.contact_id,
            operator_id=operator.id, name=operator.author_name(found.locale),
            active=body.active,
        ))
        return {"conversation_id": conversation_id, "active": body.active, "published": True}
