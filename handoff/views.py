"""Conversations as the operator API shows them to one operator: what their kind may
see of the shopper (masked for external kinds, `relevo.handoff.masking`), how much
history, and whose rating (`relevo.handoff.visibility`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import HTTPException

from relevo.bot.store import conversations as conversation_store
from relevo.bot.types import MessageRef, NoteRef
from relevo.handoff import csat, store
from relevo.handoff.attachments import stored_attachments, with_attachments
from relevo.handoff.masking import mask_name, masked_contact, masked_messages
from relevo.handoff.operators import OperatorState
from relevo.handoff.service import Handoff
from relevo.handoff.visibility import (
    list_filter,
    masks_personal_data,
    sees_ratings_of_others,
    whole_history,
)


async def conversation_view(
    handoff: Handoff, conversation_id: int, operator: OperatorState
) -> dict[str, Any]:
    """One conversation as the console shows it, with the contact's history (the whole
    of it, or this conversation's alone for kinds that see only their own) and the
    contact's conversations this operator may open (the sidebar's links)."""
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
        earlier = await store.contact_conversations(conn, found.contact_id,
                                                    visible=list_filter(operator))
        if not whole_history(operator):
            history = [m for m in history if m["conversation_id"] == conversation_id]
        files = await stored_attachments(conn, (m["id"] for m in history))
    masked = masks_personal_data(operator, handoff.settings)
    if masked:
        contact, history = masked_contact(contact), masked_messages(history)
    with_attachments(conversation_id, history, files, masked=masked)
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
    latest = (last["author"]["kind"], last["text"],
              datetime.fromisoformat(last["created_at"])) if last else None
    # masked=False: the contact above is masked already.
    view = summary(handoff, base, latest, operator, masked=False)
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
        "transitions": _transitions(transitions),
        "csat": _rating(rating, operator),
        "contact_conversations": earlier,
    }


def _transitions(transitions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{**t, "at": t["at"].isoformat() if isinstance(t["at"], datetime) else t["at"]}
            for t in transitions]


def _rating(rating: dict[str, Any] | None, viewer: OperatorState) -> dict[str, Any] | None:
    """The conversation's CSAT, for its operator and roles that read others' ratings."""
    if rating is None or not (
        rating["operator_id"] == viewer.id or sees_ratings_of_others(viewer)
    ):
        return None
    return {"score": rating["score"], "operator_id": rating["operator_id"],
            "operator_kind": rating["operator_kind"]}


def message_json(sent: MessageRef) -> dict[str, Any]:
    author = {"kind": "operator", "name": sent.author_name, "operator_id": sent.operator_id}
    return {"id": sent.id, "conversation_id": sent.conversation_id, "author": author,
            "text": sent.text, "created_at": sent.created_at.isoformat()}


def note_json(saved: NoteRef) -> dict[str, Any]:
    return {"id": saved.id, "conversation_id": saved.conversation_id,
            "operator_id": saved.operator_id, "kind": saved.kind, "text": saved.text,
            "at": saved.at.isoformat()}


def summary(
    handoff: Handoff,
    row: dict[str, Any],
    last: tuple[str, str, datetime] | None,
    viewer: OperatorState,
    *,
    masked: bool | None = None,
) -> dict[str, Any]:
    """One line of a conversation list. `masked`: mask the shopper's name (by default,
    when the viewer's kind is external)."""
    entry = handoff.state.queue.get(row["id"])
    assignment = handoff.state.assignments.get(row["id"])
    holder = handoff.state.operators.get(row["assigned_operator_id"] or 0)
    if masked is None:
        masked = masks_personal_data(viewer, handoff.settings)
    name = row.get("display_name")
    return {
        "id": row["id"],
        "state": row["state"],
        "channel": row["channel"],
        "locale": row["locale"],
        "contact": {"id": row["contact_id"],
                    "display_name": mask_name(name) if masked and name else name},
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
