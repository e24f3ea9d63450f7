"""Who holds a conversation: the checks and in-memory moves that operator actions
and transfers share.

A refused action raises an `ActionError` with the HTTP status and one readable
reason, and changes nothing.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncConnection

from relevo.bot import replies
from relevo.bot.conversations import Change
from relevo.bot.store import conversations as conversation_store
from relevo.bot.store.conversations import ConversationRow
from relevo.bot.types import ConversationState
from relevo.handoff.operators import OperatorState
from relevo.handoff.queue import QueueEntry
from relevo.handoff.router import HandoffRouter
from relevo.handoff.state import HandoffState

MAX_TEXT = 4096
S = ConversationState


class ActionError(Exception):
    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


def not_found(conversation_id: int) -> ActionError:
    return ActionError(404, f"conversation {conversation_id} does not exist")


def clean(text: str | None) -> str:
    cleaned = (text or "").strip()
    if not cleaned:
        raise ActionError(422, "text must not be empty")
    if len(cleaned) > MAX_TEXT:
        raise ActionError(422, f"text is longer than {MAX_TEXT} characters")
    return cleaned


async def mine(
    conn: AsyncConnection, operator: OperatorState, conversation_id: int, verb: str
) -> ConversationRow:
    """The conversation, when it is assigned to `operator`."""
    conversation = await conversation_store.get(conn, conversation_id)
    if conversation is None:
        raise not_found(conversation_id)
    if conversation.state == S.RESOLVED:
        raise ActionError(409, f"conversation {conversation_id} is resolved")
    if conversation.state != S.ASSIGNED or conversation.assigned_operator_id != operator.id:
        raise ActionError(
            403, f"conversation {conversation_id} is not assigned to you: "
                 f"claim it before you {verb} it"
        )
    return conversation


async def mine_or_queued(
    conn: AsyncConnection, operator: OperatorState, conversation_id: int, verb: str
) -> ConversationRow:
    """Yours, or waiting in the queue (anyone may close or hand back a queued one)."""
    conversation = await conversation_store.get(conn, conversation_id)
    if conversation is None:
        raise not_found(conversation_id)
    if conversation.state == S.QUEUED:
        return conversation
    if conversation.state == S.BOT:
        raise ActionError(409, f"conversation {conversation_id} is with the bot")
    return await mine(conn, operator, conversation_id, verb)


async def tell_joined(
    change: Change, conversation: ConversationRow, operator: OperatorState
) -> None:
    """Tell the shopper who is answering them now ("Lucía · experto joined")."""
    await change.tell_shopper(
        conversation_id=conversation.id, contact_id=conversation.contact_id,
        channel=conversation.channel, locale=conversation.locale,
        text=replies.text("operator_joined", conversation.locale).format(
            name=operator.author_name(conversation.locale)
        ),
        meta={"handoff": "joined", "operator_id": operator.id},
    )


Released = tuple[OperatorState | None, QueueEntry | None]


def release(
    state: HandoffState, router: HandoffRouter, conversation_id: int, operator: OperatorState
) -> Released:
    """Drop the conversation from the queue or from its operator, in memory; returns
    who has room again and the queue entry it left."""
    entry = state.queue.remove(conversation_id)
    holder: OperatorState | None = None
    if entry is not None and entry.offered_to is not None:
        holder = router.release_offer(entry)
    assignment = state.assignments.get(conversation_id)
    if assignment is not None:
        holder = state.operators.get(assignment.operator_id)
        if holder is not None:
            holder.assigned.discard(conversation_id)
    operator.assigned.discard(conversation_id)
    return holder, entry


