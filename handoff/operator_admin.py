"""Managing operators over the API and the checks shared with the CLI: schedules and
time zones are validated before anything is saved.

Creating, editing and removing others, and giving any role or kind, needs
`operators:manage` (admin). A person holds a list of roles (`"roles": ["editor",
"reviewer"]`, their scopes add up); `"role": "editor"` alone, the single-role form, means
just that one. Anyone may edit a few of their own fields (signature and signatures per
language, languages, skills, time zone, schedule, password), also through
`GET|PUT /api/operators/me/signatures`; nobody changes their own roles. Every change is in
the audit log (`relevo.handoff.operator_audit`), in its own transaction.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request
from pydantic import BaseModel, Field

from relevo.bot.audit import Actor
from relevo.bot.http import RowId
from relevo.bot.roles import Scope, has_scope, ordered, parse_roles
from relevo.bot.store import operators as operator_store
from relevo.bot.types import OperatorKind, Role
from relevo.handoff import operator_audit, signatures
from relevo.handoff.auth import end_sessions_of
from relevo.handoff.http import CurrentOperator, operator_actor, requires
from relevo.handoff.operators import OperatorState, validate_schedule
from relevo.handoff.passwords import HashingBusy
from relevo.handoff.service import Handoff
from relevo.handoff.signature_routes import SignatureMap, signature_routes

# Fields that always have a value (an explicit null is refused, not stored).
NOT_NULL = ("name", "kind", "role", "roles", "signature", "languages", "skills", "max_concurrent",
            "timezone")
# What an operator may change of their own without operators:manage.
SELF_EDITABLE = frozenset({"signature", "signatures", "languages", "skills", "timezone",
                           "schedule"})


class OperatorFields(BaseModel):
    name: str | None = Field(None, min_length=1, max_length=200)
    kind: OperatorKind | None = None
    role: Role | None = None
    roles: list[Role] | None = None
    email: str | None = Field(None, max_length=320)
    signature: str | None = Field(None, min_length=1, max_length=200)
    signatures: SignatureMap | None = None
    languages: list[str] | None = None
    skills: list[str] | None = None
    max_concurrent: int | None = Field(None, ge=1, le=100)
    timezone: str | None = None
    schedule: dict[str, Any] | None = None
    password: str | None = Field(None, max_length=1000)


def check_fields(
    values: dict[str, Any], current_timezone: str = "UTC",
    languages: tuple[str, ...] = ("en", "es"),
) -> None:
    """Raises ValueError with a readable reason (bad schedule, zone, empty lists, a
    signature in a language the shop does not speak…). Signatures are replaced by
    their stored form."""
    if "signatures" in values:
        values["signatures"] = signatures.to_json(
            signatures.parse(values["signatures"] or {}, languages)
        )
    for key in NOT_NULL:
        if key in values and values[key] is None:
            raise ValueError(f"{key}: must not be null")
    merge_roles(values)
    if "languages" in values and not values["languages"]:
        raise ValueError("languages: give at least one language")
    if "schedule" in values or "timezone" in values:
        try:
            validate_schedule(values.get("schedule"), values.get("timezone", current_timezone))
        except ValueError as exc:
            raise ValueError(f"schedule: {exc}") from None


def merge_roles(values: dict[str, Any]) -> None:
    """`role` and `roles` as one `roles` set (ValueError naming the field): `roles` is
    every role held; `role` alone, the single-role form, means just that one; given
    both, `role` must be among `roles`."""
    if "role" in values and values["role"] is None:
        raise ValueError("role: must not be null")
    role = values.pop("role", None)
    if values.get("roles") is not None:
        roles = parse_roles(values["roles"])
        if role is not None and Role(role) not in roles:
            raise ValueError(f"role: {Role(role).value} is not among roles")
        values["roles"] = roles
    elif role is not None:
        values["roles"] = frozenset({Role(role)})


def operator_admin_routes(router: APIRouter, current: CurrentOperator, handoff: Handoff) -> None:
    manager_of_operators = requires(current, Scope.OPERATORS_MANAGE)

    @router.post("/operators", status_code=201)
    async def create(
        body: OperatorFields, request: Request,
        operator: OperatorState = Depends(manager_of_operators),
    ) -> dict[str, Any]:
        return await _create(handoff, body, operator_actor(operator, request))

    @router.patch("/operators/{operator_id}")
    async def edit(
        operator_id: RowId, body: OperatorFields, request: Request,
        operator: OperatorState = Depends(current),
    ) -> dict[str, Any]:
        return await _edit(handoff, operator_id, body, operator, request)

    @router.delete("/operators/{operator_id}")
    async def remove(
        operator_id: RowId, request: Request,
        operator: OperatorState = Depends(manager_of_operators),
    ) -> dict[str, Any]:
        return await _remove(handoff, operator_id, operator_actor(operator, request))

    signature_routes(router, current, handoff)


def _busy(busy: HashingBusy) -> HTTPException:
    return HTTPException(503, "too many passwords being checked: try again shortly",
                         headers={"Retry-After": str(max(1, round(busy.retry_after)))})


async def _refresh(handoff: Handoff, operator_id: int) -> OperatorState:
    async with handoff.database.read() as conn:
        row = await operator_store.get(conn, operator_id)
    if row is None:
        raise HTTPException(404, f"operator {operator_id} does not exist")
    return handoff.state.operators.upsert(row)


async def _create(handoff: Handoff, body: OperatorFields, actor: Actor) -> dict[str, Any]:
    if body.name is None or body.kind is None:
        raise HTTPException(422, "name and kind are required")
    values = body.model_dump(exclude_unset=True)
    try:
        check_fields(values, body.timezone or "UTC", handoff.languages)
        password_hash = await handoff.passwords.hash(body.password) if body.password else None
    except ValueError as exc:
        raise HTTPException(422, str(exc)) from None
    except HashingBusy as busy:
        raise _busy(busy) from None
    try:
        async with handoff.database.write() as conn:
            row, token = await operator_store.add(
                conn, name=body.name.strip(), kind=body.kind, email=body.email,
                languages=body.languages or ["en"], skills=body.skills or [],
                max_concurrent=body.max_concurrent or 3, now=handoff.now(),
                roles=values.get("roles") or {Role.OPERATOR},
            )
            extra = {k: values[k] for k in ("signature", "signatures", "timezone", "schedule")
                     if k in values}
            if extra:
                row = await operator_store.update(conn, row.id, **extra) or row
            if password_hash:
                await operator_store.set_password_hash(conn, row.id, password_hash)
            await operator_audit.created(conn, actor, row, handoff.now())
    except operator_store.OperatorExists as exc:
        raise HTTPException(409, str(exc)) from None
    state = await _refresh(handoff, row.id)
    return {"operator": state.public(), "token": token}


def _check_allowed(operator: OperatorState, operator_id: int, values: dict[str, Any]) -> None:
    """403 unless `operator` may make these changes to `operator_id`."""
    manages = has_scope(operator.roles, Scope.OPERATORS_MANAGE)
    if operator_id != operator.id:
        if not manages:
            names = ", ".join(role.value for role in ordered(operator.roles))
            raise HTTPException(403, f"your roles ({names}) may not edit other "
                                     f"operators: it needs {Scope.OPERATORS_MANAGE.value}")
        return
    if values.get("roles", operator.roles) != operator.roles:
        raise HTTPException(403, "you may not change your own roles: ask an admin")
    refused = sorted(set(values) - SELF_EDITABLE - {"password"})
    if refused and not manages:
        raise HTTPException(403, f"you may not change your own {refused[0]}")


async def _edit(
    handoff: Handoff, operator_id: int, body: OperatorFields, operator: OperatorState,
    request: Request,
) -> dict[str, Any]:
    values = body.model_dump(exclude_unset=True)
    try:  # who may comes first (403), then whether the roles make sense (422)
        merge_roles(values)
        invalid = None
    except ValueError as exc:
        invalid = str(exc)
    _check_allowed(operator, operator_id, values)
    if invalid is not None:
        raise HTTPException(422, invalid)
    if handoff.state.operators.get(operator_id) is None:
        raise HTTPException(404, f"operator {operator_id} does not exist")
    password = values.pop("password", None)
    try:
        async with handoff.database.read() as conn:
            row = await operator_store.get(conn, operator_id)
        check_fields(values, row.timezone if row else "UTC", handoff.languages)
        password_hash = await handoff.passwords.hash(password) if password else None
    except ValueError as exc:
        raise HTTPException(422, str(exc)) from None
    except HashingBusy as busy:
        raise _busy(busy) from None
    try:
        async with handoff.database.write() as conn:
            before = await operator_store.get(conn, operator_id)
            after = await operator_store.update(conn, operator_id, **values)
            if before is None or after is None:
                raise HTTPException(404, f"operator {operator_id} does not exist")
            if password_hash:
                await operator_store.set_password_hash(conn, operator_id, password_hash)
                # Every console session ends, the one making the change included: a
                # stolen session must not outlive the password it was opened with.
                await end_sessions_of(conn, operator_id)
            await operator_audit.changed(conn, operator_actor(operator, request), before, after,
                                         handoff.now(), password=bool(password_hash))
    except operator_store.OperatorExists as exc:
        raise HTTPException(409, str(exc)) from None
    state = await _refresh(handoff, operator_id)
    await handoff.router.drain([operator_id])
    return {"operator": state.public()}


async def _remove(handoff: Handoff, operator_id: int, actor: Actor) -> dict[str, Any]:
    target = handoff.state.operators.get(operator_id)
    if target is None:
        raise HTTPException(404, f"operator {operator_id} does not exist")
    if target.assigned:
        raise HTTPException(
            409,
            f"{target.name} still has {len(target.assigned)} open conversations: "
            "transfer or resolve them first",
        )
    async with handoff.database.write() as conn:
        row = await operator_store.get(conn, operator_id)
        if row is not None and await operator_store.deactivate(conn, operator_id):
            await operator_audit.removed(conn, actor, row, handoff.now())
    for conversation_id in list(target.offered):
        entry = handoff.state.queue.get(conversation_id)
        if entry is not None:
            handoff.router.release_offer(entry)
    handoff.state.operators.remove(operator_id)
    await handoff.router.drain()
    return {"removed": operator_id}
