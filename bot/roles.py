"""Roles and the scopes each one grants: the one table every route checks against.

Everyone in the operators table can handle the conversations routed to them; a role
adds powers on top. What an operator may *read* of conversations also depends on their
kind (see `relevo.handoff.visibility`): roles say what, kinds say how far.
"""

from __future__ import annotations

import enum
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass

from relevo.bot.types import OperatorKind, Role


class Scope(enum.StrEnum):
    CONVERSATIONS_OWN = "conversations:own"  # offered to / assigned to me (kind rules apply)
    CONVERSATIONS_ALL = "conversations:all"  # every conversation, resolved ones included
    RATINGS_READ = "ratings:read"  # other operators' CSAT ratings
    OPERATORS_READ = "operators:read"
    OPERATORS_MANAGE = "operators:manage"  # create, edit, remove operators; give roles
    KB_PROPOSE = "kb:propose"  # read the knowledge base and inbox, propose answers
    KB_EDIT = "kb:edit"  # write drafts, submit them for review, work the inbox
    KB_REVIEW = "kb:review"  # approve, publish, archive, restore
    ANALYTICS_READ = "analytics:read"
    CONTACTS_EXPORT = "contacts:export"
    CONTACTS_ERASE = "contacts:erase"
    AUDIT_READ = "audit:read"
    SAVED_REPLIES_MANAGE = "saved_replies:manage"  # add, edit, remove saved replies


_BASE = frozenset({Scope.CONVERSATIONS_OWN, Scope.KB_PROPOSE})

ROLE_SCOPES: dict[Role, frozenset[Scope]] = {
    Role.OPERATOR: _BASE,
    Role.REVIEWER: _BASE | {Scope.KB_REVIEW},
    Role.EDITOR: _BASE | {Scope.KB_EDIT},
    Role.MANAGER: _BASE | {
        Scope.CONVERSATIONS_ALL, Scope.RATINGS_READ, Scope.OPERATORS_READ,
        Scope.ANALYTICS_READ, Scope.SAVED_REPLIES_MANAGE,
    },
    Role.ADMIN: frozenset(Scope),
}


def has_scope(roles: Role | Iterable[Role], scope: Scope) -> bool:
    """Whether any of `roles` (one role, or every role a person holds) grants `scope`."""
    held = (roles,) if isinstance(roles, Role) else tuple(roles)
    return any(scope in ROLE_SCOPES[role] for role in held)


def scopes_of(roles: Iterable[Role]) -> frozenset[Scope]:
    """Every scope a person holding `roles` has: the union of their roles' scopes."""
    return frozenset().union(*(ROLE_SCOPES[role] for role in roles))


def ordered(roles: Iterable[Role]) -> tuple[Role, ...]:
    """`roles` once each, highest first (admin, manager, editor, reviewer, operator): the
    order every list of roles is stored and shown in."""
    held = set(roles)
    return tuple(role for role in Role if role in held)


def highest(roles: Iterable[Role]) -> Role:
    """The one role to show for a person who holds `roles` (operator when none)."""
    return next(iter(ordered(roles)), Role.OPERATOR)


def parse_roles(values: Iterable[object]) -> frozenset[Role]:
    """Roles by name (`["editor", "reviewer"]`); ValueError naming the first unknown one,
    or when there is none (everyone holds at least one role)."""
    known = {role.value for role in Role}
    roles = set()
    for value in values:
        name = value.value if isinstance(value, Role) else str(value).strip().lower()
        if name not in known:
            raise ValueError(f"roles: unknown role {name!r}: one of "
                             + ", ".join(role.value for role in Role))
        roles.add(Role(name))
    if not roles:
        raise ValueError("roles: give at least one role")
    return frozenset(roles)


def refusal(roles: Iterable[Role], scope: Scope) -> str:
    """The 403 reason for a person whose roles lack `scope`, in the API's words:
    "your roles (editor, operator) may not do this: it needs kb:review"."""
    names = ", ".join(role.value for role in ordered(roles))
    return f"your roles ({names}) may not do this: it needs {scope.value}"


@dataclass(frozen=True, slots=True)
class Staff:
    """Who is asking, as the packages beside handoff (knowledge base, analytics) see a
    signed-in person: the composition root builds it from handoff's operator log-in."""

    id: int
    name: str
    kind: OperatorKind
    roles: frozenset[Role]

    def may(self, scope: Scope) -> bool:
        return has_scope(self.roles, scope)

    def refusal(self, scope: Scope) -> str:
        """The 403 reason when `may(scope)` is false (see `refusal`)."""
        return refusal(self.roles, scope)


# A FastAPI dependency answering "who is asking?" (401 when nobody signed in):
# routes take `staff: Staff = Depends(door)`.
StaffDoor = Callable[..., Awaitable[Staff]]
