"""Which conversations an operator may see, and what of them: the one place every
operator route and the console socket ask. Roles say what someone may do
(`relevo.bot.roles`); kinds say how far they see.

Reach, from widest:
- `ALL` — role with `conversations:all` (manager, admin): every conversation, in any state.
- `OPEN_AND_OWN` — everyone else whose kind is not in `OWN_ONLY_KINDS` (internal, expert):
  the open conversations (queued or assigned to anyone) and their own, the ones whose
  operator they are or were (resolved by them); not the ones others resolved, not the bot's.
- `OFFERED_OR_ASSIGNED` — ambassadors and outsourced operators: only the conversations
  offered to them now or assigned to them now; in the detail, only that conversation's
  messages (not the contact's earlier conversations).

The HTTP side is `relevo.handoff.http.conversation_guard`: a conversation out of reach
answers 404, word for word like one that does not exist, so its id does not tell that it
exists. Notes go only on a conversation in reach that is
assigned to you, unless your role sees them all (403 otherwise). Shopper data is masked
(`relevo.handoff.masking`) for the kinds in `handoff.external_kinds`, whatever the role.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from relevo.bot.roles import Scope, has_scope
from relevo.bot.store.schema import conversations, handoffs
from relevo.bot.types import ConversationState, OperatorKind
from relevo.handoff.config import HandoffSettings
from relevo.handoff.operators import OperatorState
from relevo.handoff.state import HandoffState

S = ConversationState
OWN_ONLY_KINDS = frozenset({OperatorKind.AMBASSADOR, OperatorKind.OUTSOURCED})
OPEN_STATES = (S.QUEUED, S.ASSIGNED)
MAX_ID = 2**63 - 1  # ids are BIGINT: anything above cannot exist (and must not reach SQL)


class Reach(enum.Enum):
    ALL = "all"
    OPEN_AND_OWN = "open_and_own"
    OFFERED_OR_ASSIGNED = "offered_or_assigned"


@dataclass(frozen=True, slots=True)
class Whereabouts:
    """What visibility looks at: the state, the (last) operator, the pending offer."""

    state: ConversationState
    operator_id: int | None
    offered_to: int | None = None


def reach(operator: OperatorState) -> Reach:
    if has_scope(operator.roles, Scope.CONVERSATIONS_ALL):
        return Reach.ALL
    if operator.kind in OWN_ONLY_KINDS:
        return Reach.OFFERED_OR_ASSIGNED
    return Reach.OPEN_AND_OWN


def may_see(operator: OperatorState, where: Whereabouts) -> bool:
    scope = reach(operator)
    if scope == Reach.ALL:
        return True
    assigned_to_me = where.state == S.ASSIGNED and where.operator_id == operator.id
    if scope == Reach.OFFERED_OR_ASSIGNED:
        return assigned_to_me or (where.state == S.QUEUED and where.offered_to == operator.id)
    return where.state in OPEN_STATES or where.operator_id == operator.id


def may_note(operator: OperatorState, where: Whereabouts) -> bool:
    if not may_see(operator, where):
        return False
    return reach(operator) == Reach.ALL or (
        where.state == S.ASSIGNED and where.operator_id == operator.id
    )


def sees_ratings_of_others(operator: OperatorState) -> bool:
    return has_scope(operator.roles, Scope.RATINGS_READ)


def masks_personal_data(operator: OperatorState, settings: HandoffSettings) -> bool:
    return operator.kind in settings.external_kinds


def whole_history(operator: OperatorState) -> bool:
    """May the detail show the contact's other conversations too?"""
    return reach(operator) != Reach.OFFERED_OR_ASSIGNED


async def whereabouts(conn: AsyncConnection, conversation_id: int) -> Whereabouts | None:
    """As stored (None: no such conversation)."""
    if not 0 < conversation_id <= MAX_ID:
        return None
    row = (await conn.execute(
        sa.select(conversations.c.state, conversations.c.assigned_operator_id,
                  handoffs.c.offered_to)
        .outerjoin(handoffs, handoffs.c.conversation_id == conversations.c.id)
        .where(conversations.c.id == conversation_id)
    )).first()
    if row is None:
        return None
    state = S(row.state)
    return Whereabouts(state, row.assigned_operator_id,
                       row.offered_to if state == S.QUEUED else None)


def whereabouts_in_memory(state: HandoffState, conversation_id: int) -> Whereabouts | None:
    """From the handoff's indexes, for pushes (None: not open, as far as they know)."""
    entry = state.queue.get(conversation_id)
    if entry is not None:
        return Whereabouts(S.QUEUED, None, entry.offered_to)
    assignment = state.assignments.get(conversation_id)
    if assignment is not None:
        return Whereabouts(S.ASSIGNED, assignment.operator_id)
    return None


def list_filter(operator: OperatorState) -> sa.ColumnElement[bool] | None:
    """`may_see` as a WHERE clause on `conversations` (None: no restriction)."""
    scope = reach(operator)
    if scope == Reach.ALL:
        return None
    mine = conversations.c.assigned_operator_id == operator.id
    if scope == Reach.OPEN_AND_OWN:
        return sa.or_(conversations.c.state.in_([s.value for s in OPEN_STATES]), mine)
    offered = sa.select(handoffs.c.conversation_id).where(handoffs.c.offered_to == operator.id)
    return sa.or_(
        sa.and_(conversations.c.state == S.ASSIGNED.value, mine),
        sa.and_(conversations.c.state == S.QUEUED.value, conversations.c.id.in_(offered)),
    )
