"""Operators: the people who take conversations over from the bot."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.store.contacts import hash_token
from bot.store.schema import operators
from bot.types import OperatorKind


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

    def public(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "kind": self.kind.value,
            "email": self.email,
            "languages": list(self.languages),
            "skills": list(self.skills),
            "max_concurrent": self.max_concurrent,
            "presence": self.presence,
        }


class OperatorExists(Exception):
    pass


_COLUMNS = (
    operators.c.id, operators.c.name, operators.c.kind, operators.c.email,
    operators.c.languages, operators.c.skills, operators.c.max_concurrent,
    operators.c.presence,
)


def _row(row: sa.Row[Any]) -> OperatorRow:
    return OperatorRow(
        id=row.id,
        name=row.name,
        kind=OperatorKind(row.kind),
        email=row.email,
        languages=tuple(row.languages or ()),
        skills=tuple(row.skills or ()),
        max_concurrent=row.max_concurrent,
        presence=row.presence,
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
) -> tuple[OperatorRow, str]:
    """Create an operator; returns it and its API token (shown once, stored hashed)."""
    token = "rlv_" + secrets.token_urlsafe(32)
    try:
        async with conn.begin_nested():
            operator_id = (
                await conn.execute(
                    sa.insert(operators)
                    .values(
                        name=name, kind=kind.value, email=email, signature=name,
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
        "offline",
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
