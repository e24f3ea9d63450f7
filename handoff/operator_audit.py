"""Audit entries for changes to operators, shared by the operators API and the CLI: each
is written in the transaction of the change (`relevo.bot.audit.record`).

`operator.create` (after: the new operator), `operator.update` (before/after of the
fields that changed, a new password shown as `***`), `operator.role` (before/after of the
roles alone, as lists — `{"roles": ["editor"]}` → `{"roles": ["editor", "reviewer"]}` —
so role changes can be read on their own), `operator.remove` (before).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from relevo.bot.audit import Actor, record
from relevo.bot.store.operators import OperatorRow

# What an auditor compares: the editable fields, not live ones (presence, points).
_LIVE = ("id", "presence", "points")


def _fields(row: OperatorRow) -> dict[str, Any]:
    return {key: value for key, value in row.public().items() if key not in _LIVE}


async def created(conn: AsyncConnection, actor: Actor, row: OperatorRow, at: datetime) -> None:
    await record(conn, actor=actor, action="operator.create", at=at,
                 target=("operator", row.id), after=_fields(row))


async def changed(
    conn: AsyncConnection, actor: Actor, before: OperatorRow, after: OperatorRow,
    at: datetime, *, password: bool = False,
) -> None:
    """One entry for the changed fields (if any) and one for changed roles (if so)."""
    old, new = _fields(before), _fields(after)
    keys = [k for k in new if k not in ("role", "roles") and new[k] != old.get(k)]
    if keys or password:
        await record(
            conn, actor=actor, action="operator.update", at=at, target=("operator", after.id),
            before={k: old.get(k) for k in keys} | ({"password": "old"} if password else {}),
            after={k: new[k] for k in keys} | ({"password": "new"} if password else {}),
        )
    if before.roles != after.roles:
        await record(conn, actor=actor, action="operator.role", at=at,
                     target=("operator", after.id),
                     before={"roles": old["roles"]}, after={"roles": new["roles"]})


async def removed(conn: AsyncConnection, actor: Actor, row: OperatorRow, at: datetime) -> None:
    await record(conn, actor=actor, action="operator.remove", at=at,
                 target=("operator", row.id), before=_fields(row))
