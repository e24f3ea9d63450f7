"""Operators: the people who take conversations over from the bot."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from relevo.bot.roles import highest, ordered
from relevo.bot.store.contacts import hash_token
from relevo.bot.store.schema import operators
from relevo.bot.types import OperatorKind, Role


@dataclass(frozen=True, slots=True)
class OperatorRow:
    id: int
    name: str
    kind: OperatorKind
    email: str | None
    languages: tuple[str, ...]
    skills: tuple[str, ...]
    max_concurrent: int
    presence: str
    signature: str | None = None
    timezone: str = "UTC"
    schedule: dict[str, Any] | None = None
    points: int = 0
    last_seen_at: datetime | None = None
    last_assigned_at: datetime | None = None
    # Every role the person holds (`relevo.bot.roles`: their scopes add up).
    roles: frozenset[Role] = frozenset({Role.OPERATOR})
    # Per language: {"es": {"name": "Lucía", "title": "experta"}} (both keys optional).
    signatures: dict[str, dict[str, str]] | None = None

    @property
    def role(self) -> Role:
        """The highest of `roles`, for readers that show one."""
        return highest(self.roles)

    def public(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "kind": self.kind.value,
            "role": self.role.value,
            "roles": [role.value for role in ordered(self.roles)],
            "email": self.email,
            "languages": list(self.languages),
            "skills": list(self.skills),
            "max_concurrent": self.max_concurrent,
            "presence": self.presence,
            "signature": self.signature or self.name,
            "signatures": self.signatures or {},
            "timezone": self.timezone,
            "schedule": self.schedule,
            "points": self.points,
        }


class OperatorExists(Exception):
    pass


_COLUMNS = (
    operators.c.id, operators.c.name, operators.c.kind, operators.c.email,
    operators.c.languages, operators.c.skills, operators.c.max_concurrent,
    operators.c.presence, operators.c.signature, operators.c.timezone, operators.c.schedule,
    operators.c.points, operators.c.last_seen_at, operators.c.last_assigned_at,
    operators.c.role, operators.c.roles, operators.c.signatures,
)


def _roles(role: str, roles: Any) -> frozenset[Role]:
    """The stored roles: the `roles` list, or `[role]` on rows written before it (0011).
    A name this version does not know is skipped, never a failure to read the row."""
    known = {r.value for r in Role}
    listed = frozenset(Role(name) for name in roles or () if name in known)
    return listed or frozenset({Role(role) if role in known else Role.OPERATOR})


def role_columns(roles: Iterable[Role]) -> dict[str, Any]:
    """The two columns for a set of roles: `roles`, and `role` its highest (NOT NULL)."""
    held = ordered(roles) or (Role.OPERATOR,)
    return {"role": held[0].value, "roles": [role.value for role in held]}


def _row(row: Any) -> OperatorRow:  # an sa.Row of _COLUMNS
    return OperatorRow(
        id=row.id,
        name=row.name,
        kind=OperatorKind(row.kind),
        email=row.email,
        languages=tuple(row.languages or ()),
        skills=tuple(row.skills or ()),
        max_concurrent=row.max_concurrent,
        presence=row.presence,
        signature=row.signature,
        timezone=row.timezone,
        schedule=row.schedule,
        points=row.points,
        last_seen_at=row.last_seen_at,
        last_assigned_at=row.last_assigned_at,
        roles=_roles(row.role, row.roles),
        signatures=row.signatures or None,
    )


async def add(
    conn: AsyncConnection,
    *,
    name: str,
    kind: OperatorKind,
    email: str | None,
    languages: list[str],
    skills: list[str],
    max_concurrent: int,
    now: datetime,
    role: Role = Role.OPERATOR,
    roles: Iterable[Role] | None = None,
) -> tuple[OperatorRow, str]:
    """Create an operator; returns it and its API token (shown once, stored hashed).
    `roles`: every role they hold (default: just `role`)."""
    token = "rlv_" + secrets.token_urlsafe(32)
    held = frozenset(roles) if roles is not None else frozenset({role})
    columns = role_columns(held)
    try:
        async with conn.begin_nested():
            operator_id = (
                await conn.execute(
                    sa.insert(operators)
                    .values(
                        name=name, kind=kind.value, **columns, email=email, signature=name,
                        languages=languages, skills=skills, max_concurrent=max_concurrent,
                        timezone="UTC", presence="offline", token_hash=hash_token(token),
                        points=0, active=True, created_at=now,
                    )
                    .returning(operators.c.id)
                )
            ).scalar_one()
    except IntegrityError:
        raise OperatorExists(f"an operator with email {email} already exists") from None
    row = OperatorRow(
        operator_id, name, kind, email, tuple(languages), tuple(skills), max_concurrent,
        "offline", signature=name, roles=_roles(columns["role"], columns["roles"]),
    )
    return row, token


async def all_active(conn: AsyncConnection) -> list[OperatorRow]:
    rows = await conn.execute(
        sa.select(*_COLUMNS).where(operators.c.active == sa.true()).order_by(operators.c.id)
    )
    return [_row(r) for r in rows]


async def by_token(conn: AsyncConnection, token: str) -> OperatorRow | None:
    row = (
        await conn.execute(
            sa.select(*_COLUMNS).where(
                operators.c.token_hash == hash_token(token), operators.c.active == sa.true()
            )
        )
    ).first()
    return _row(row) if row is not None else None


# --- edits (handoff: CLI `operators edit|remove|set-password`, the operators API) -------

EDITABLE = frozenset(
    {"name", "kind", "role", "roles", "email", "signature", "languages", "skills", "max_concurrent",
     "timezone", "schedule", "slack_user_id", "signatures"}
)


async def get(conn: AsyncConnection, operator_id: int) -> OperatorRow | None:
    row = (
        await conn.execute(
            sa.select(*_COLUMNS).where(
                operators.c.id == operator_id, operators.c.active == sa.true()
            )
        )
    ).first()
    return _row(row) if row is not None else None


async def update(conn: AsyncConnection, operator_id: int, **values: Any) -> OperatorRow | None:
    """Change the given fields (see `EDITABLE`); None when there is no such operator.
    `roles` replaces every role held; `role` alone (the single-role form) too: the
    person then holds just that one."""
    unknown = set(values) - EDITABLE
    if unknown:
        raise ValueError(f"not editable: {', '.join(sorted(unknown))}")
    if "kind" in values:
        values["kind"] = OperatorKind(values["kind"]).value
    given = values.pop("roles", None)
    if given is None and "role" in values:
        given = [values["role"]]
    if given is not None:
        values.update(role_columns(Role(role) for role in given))
    if values:
        try:
            async with conn.begin_nested():
                result = await conn.execute(
                    sa.update(operators)
                    .where(operators.c.id == operator_id, operators.c.active == sa.true())
                    .values(**values)
                )
        except IntegrityError:
            raise OperatorExists(
                f"an operator with email {values.get('email')} already exists"
            ) from None
        if result.rowcount != 1:
            return None
    return await get(conn, operator_id)


async def deactivate(conn: AsyncConnection, operator_id: int) -> bool:
    """Remove an operator: kept for history (messages, CSAT), never routed to again.
    The e-mail and Slack id are released so they can be reused."""
    result = await conn.execute(
        sa.update(operators)
        .where(operators.c.id == operator_id, operators.c.active == sa.true())
        .values(active=False, presence="offline", email=None, slack_user_id=None,
                password_hash=None)
    )
    return bool(result.rowcount == 1)


async def set_password_hash(conn: AsyncConnection, operator_id: int, password_hash: str) -> bool:
    result = await conn.execute(
        sa.update(operators)
        .where(operators.c.id == operator_id, operators.c.active == sa.true())
        .values(password_hash=password_hash)
    )
    return bool(result.rowcount == 1)


async def login_by_email(conn: AsyncConnection, email: str) -> tuple[OperatorRow, str] | None:
    """The active operator with this e-mail and their password hash (None: no password)."""
    row = (
        await conn.execute(
            sa.select(*_COLUMNS, operators.c.password_hash).where(
                sa.func.lower(operators.c.email) == email.strip().lower(),
                operators.c.active == sa.true(),
            )
        )
    ).first()
    if row is None or row.password_hash is None:
        return None
    return _row(row), row.password_hash


async def set_presence(
    conn: AsyncConnection, operator_id: int, presence: str, *, now: datetime
) -> None:
    await conn.execute(
        sa.update(operators)
        .where(operators.c.id == operator_id)
        .values(presence=presence, last_seen_at=now)
    )


async def touch(conn: AsyncConnection, operator_ids: list[int], *, now: datetime) -> None:
    if operator_ids:
        await conn.execute(
            sa.update(operators).where(operators.c.id.in_(operator_ids)).values(last_seen_at=now)
        )


async def add_points(conn: AsyncConnection, operator_id: int, points: int) -> None:
    await conn.execute(
        sa.update(operators)
        .where(operators.c.id == operator_id)
        .values(points=operators.c.points + points)
    )


async def mark_assigned(conn: AsyncConnection, operator_id: int, *, now: datetime) -> None:
    await conn.execute(
        sa.update(operators).where(operators.c.id == operator_id).values(last_assigned_at=now)
    )
