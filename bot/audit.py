"""The audit log: who did what, when, from where, with the values before and after.

Every part that changes something an auditor cares about (logins, operators and their
roles, exports and erasures of a contact, settings, published articles) calls `record`
inside the transaction that makes the change, so the entry exists if and only if the
change does. Rows are append-only (a trigger refuses UPDATE and DELETE, migration 0007).

Secrets never reach the log: any key that names one (password, token, secret, hash) has
its value replaced by `"***"`, at any depth.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from relevo.bot.store.schema import audit_log

SECRET_WORDS = ("password", "token", "secret", "hash", "api_key")
HIDDEN = "***"


@dataclass(frozen=True, slots=True)
class Actor:
    """Who did it: an operator (by id and name), the CLI (by the OS user) or relevo."""

    kind: str  # operator | cli | system | anonymous (a failed log-in)
    label: str
    id: int | None = None
    source: str | None = None  # the client's IP address, or "cli"

    @classmethod
    def cli(cls, user: str) -> Actor:
        return cls("cli", user or "cli", source="cli")

    @classmethod
    def system(cls, what: str = "relevo") -> Actor:
        return cls("system", what)


@dataclass(frozen=True, slots=True)
class AuditEntry:
    id: int
    at: datetime
    actor: Actor
    action: str
    target_kind: str | None
    target_id: str | None
    before: Any
    after: Any

    def public(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "at": self.at.isoformat(),
            "actor": {"kind": self.actor.kind, "id": self.actor.id,
                      "label": self.actor.label, "source": self.actor.source},
            "action": self.action,
            "target": {"kind": self.target_kind, "id": self.target_id},
            "before": self.before,
            "after": self.after,
        }


def without_secrets(value: Any) -> Any:
    """`value` with every secret-named key's value hidden, at any depth."""
    if isinstance(value, Mapping):
        return {
            str(key): HIDDEN if any(word in str(key).lower() for word in SECRET_WORDS)
            else without_secrets(item)
            for key, item in value.items()
        }
    if isinstance(value, list | tuple):
        return [without_secrets(item) for item in value]
    return value


async def record(
    conn: AsyncConnection,
    *,
    actor: Actor,
    action: str,
    at: datetime,
    target: tuple[str, object] | None = None,
    before: Any = None,
    after: Any = None,
) -> None:
    """Append one entry, in the caller's transaction. `action` is dotted: `auth.login`,
    `operator.update`, `contact.erase`…; `target` is `(kind, id)`."""
    await conn.execute(
        sa.insert(audit_log).values(
            at=at, actor_kind=actor.kind, actor_id=actor.id, actor_label=actor.label[:200],
            source=actor.source[:64] if actor.source else None,
            action=action,
            target_kind=target[0] if target else None,
            target_id=str(target[1])[:64] if target else None,
            before=without_secrets(before), after=without_secrets(after),
        )
    )


async def entries(
    conn: AsyncConnection,
    *,
    before_id: int | None = None,
    limit: int = 100,
    action: str | None = None,
    target: tuple[str, object] | None = None,
) -> list[AuditEntry]:
    """The newest entries first (`before_id` pages back), optionally one action (an
    exact name, or a prefix ending in `.`: `auth.`) or one target."""
    query = sa.select(audit_log).order_by(audit_log.c.id.desc()).limit(limit)
    if before_id is not None:
        query = query.where(audit_log.c.id < before_id)
    if action:
        query = query.where(
            audit_log.c.action.startswith(action, autoescape=True) if action.endswith(".")
            else audit_log.c.action == action
        )
    if target is not None:
        query = query.where(audit_log.c.target_kind == target[0],
                            audit_log.c.target_id == str(target[1]))
    rows = (await conn.execute(query)).all()
    return [
        AuditEntry(
            id=int(row.id), at=row.at,
            actor=Actor(row.actor_kind, row.actor_label, row.actor_id, row.source),
            action=row.action, target_kind=row.target_kind, target_id=row.target_id,
            before=row.before, after=row.after,
        )
        for row in rows
    ]
