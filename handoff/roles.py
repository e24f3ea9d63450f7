"""Roles and the scopes each one grants: the one table every route checks against.

Everyone in the operators table can handle the conversations routed to them; a role
adds powers on top. What an operator may *read* of conversations also depends on their
kind (see `relevo.handoff.visibility`): roles say what, kinds say how far.
"""

from __future__ import annotations

import enum

from relevo.bot.types import Role


class Scope(enum.StrEnum):
    CONVERSATIONS_OWN = "conversations:own"  # offered to / assigned to me (kind rules apply)
    CONVERSATIONS_ALL = "conversations:all"  # every conversation, resolved ones included
    RATINGS_READ = "ratings:read"  # other operators' CSAT ratings
    OPERATORS_READ = "operators:read"
    OPERATORS_MANAGE = "operators:manage"  # create, edit, remove operators; give roles
    KB_EDIT = "kb:edit"
    KB_REVIEW = "kb:review"
    ANALYTICS_READ = "analytics:read"
    CONTACTS_EXPORT = "contacts:export"
    CONTACTS_ERASE = "contacts:erase"
    AUDIT_READ = "audit:read"
    SAVED_REPLIES_MANAGE = "saved_replies:manage"  # add, edit, remove saved replies


_BASE = frozenset({Scope.CONVERSATIONS_OWN})

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


def has_scope(role: Role, scope: Scope) -> bool:
    return scope in ROLE_SCOPES[role]
