"""Managing operators over the API (in-house `internal` operators only) and the checks
shared with the CLI: schedules and time zones are validated before anything is saved."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, HTTPException
from pydantic import BaseModel, Field

from relevo.bot.store import operators as operator_store
from relevo.bot.types import OperatorKind
from relevo.handoff.auth import hash_password
from relevo.handoff.http import CurrentOperator
from relevo.handoff.operators import OperatorState, validate_schedule
from relevo.handoff.service import Handoff


class OperatorFields(BaseModel):
    name: str | None = Field(None, min_length=1, max_length=200)
    kind: OperatorKind | None = None
    email: str | None = Field(None, max_length=320)
    signature: str | None = Field(None, min_length=1, max_length=200)
    languages: list[str] | None = None
    skills: list[str] | None = None
    max_concurrent: int | None = Field(None, ge=1, le=100)
    timezone: str | None = None
    schedule: dict[str, Any] | None = None
    password: str | None = Field(None, max_length=1000)


# What an operator always has: a change may leave these out, never clear them. (A null
# kind or zone was a 500, a null name a 409 about e-mails; null skills were stored.)
NEVER_NULL = ("name", "kind", "signature", "languages", "skills", "max_concurrent", "timezone")


def check_fields(values: dict[str, Any], current_timezone: str = "UTC") -> None:
    """Raises ValueError with a readable reason (bad schedule, zone, empty lists…)."""
    cleared = [key for key in NEVER_NULL if key in values and values[key] is None]
    if cleared:
        raise ValueError(f"{cleared[0]}: must not be null")
    if "languages" in values and not values["languages"]:
        raise ValueError("languages: give at least one language")
    if "schedule" in values or "timezone" in values:
        try:
            validate_schedule(values.get("schedule"), values.get("timezone", current_timezone))
        except ValueError as exc:
            raise ValueError(f"schedule: {exc}") from None


def operator_admin_routes(router: APIRouter, current: CurrentOperator, handoff: Handoff) -> None:
    @router.post("/operators", status_code=201)
    async def create(
        body: OperatorFields, operator: OperatorState = Depends(current)
    ) -> dict[str, Any]:
        return await _create(handoff, body, operator)

    @router.patch("/operators/{operator_id}")
    async def edit(
        operator_id: int, body: OperatorFields, operator: OperatorState = Depends(current)
    ) -> dict[str, Any]:
        return await _edit(handoff, operator_id, body, operator)

    @router.delete("/operators/{operator_id}")
    async def remove(
        operator_id: int, operator: OperatorState = Depends(current)
    ) -> dict[str, Any]:
        return await _remove(handoff, operator_id, operator)


def _admin(operator: OperatorState) -> None:
    if operator.kind != OperatorKind.INTERNAL:
        raise HTTPException(403, "only in-house (internal) operators manage operators")


async def _refresh(handoff: Handoff, operator_id: int) -> OperatorState:
    async with handoff.database.read() as conn:
        row = await operator_store.get(conn, operator_id)
    if row is None:
        raise HTTPException(404, f"operator {operator_id} does not exist")
    return handoff.state.operators.upsert(row)


async def _create(
    handoff: Handoff, body: OperatorFields, operator: OperatorState
) -> dict[str, Any]:
    _admin(operator)
    if body.name is None or body.kind is None:
        raise HTTPException(422, "name and kind are required")
    values = body.model_dump(exclude_unset=True)
    try:
        check_fields(values, body.timezone or "UTC")
        password_hash = await hash_password(body.password) if body.password else None
    except ValueError as exc:
        raise HTTPException(422, str(exc)) from None
    try:
        async with handoff.database.write() as conn:
            row, token = await operator_store.add(
                conn, name=body.name.strip(), kind=body.kind, email=body.email,
                languages=body.languages or ["en"], skills=body.skills or [],
                max_concurrent=body.max_concurrent or 3, now=handoff.now(),
            )
            extra = {k: values[k] for k in ("signature", "timezone", "schedule") if k in values}
            if extra:
                await operator_store.update(conn, row.id, **extra)
            if password_hash:
                await operator_store.set_password_hash(conn, row.id, password_hash)
    except operator_store.OperatorExists as exc:
        raise HTTPException(409, str(exc)) from None
    state = await _refresh(handoff, row.id)
    return {"operator": state.public(), "token": token}


async def _edit(
    handoff: Handoff, operator_id: int, body: OperatorFields, operator: OperatorState
) -> dict[str, Any]:
    if operator_id != operator.id:
        _admin(operator)
    if handoff.state.operators.get(operator_id) is None:
        raise HTTPException(404, f"operator {operator_id} does not exist")
    values = body.model_dump(exclude_unset=True)
    password = values.pop("password", None)
    if operator_id == operator.id and operator.kind != OperatorKind.INTERNAL:
        allowed = {"signature", "languages", "skills", "timezone", "schedule"}
        refused = sorted(set(values) - allowed)
        if refused:
            raise HTTPException(403, f"you may not change your own {refused[0]}")
    try:
        async with handoff.database.read() as conn:
            row = await operator_store.get(conn, operator_id)
        check_fields(values, row.timezone if row else "UTC")
        password_hash = await hash_password(password) if password else None
    except ValueError as exc:
        raise HTTPException(422, str(exc)) from None
    try:
        async with handoff.database.write() as conn:
            await operator_store.update(conn, operator_id, **values)
            if password_hash:
                await operator_store.set_password_hash(conn, operator_id, password_hash)
    except operator_store.OperatorExists as exc:
        raise HTTPException(409, str(exc)) from None
    state = await _refresh(handoff, operator_id)
    await handoff.router.drain([operator_id])
    return {"operator": state.public()}


async def _remove(handoff: Handoff, operator_id: int, operator: OperatorState) -> dict[str, Any]:
    _admin(operator)
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
        await operator_store.deactivate(conn, operator_id)
    for conversation_id in list(target.offered):
        entry = handoff.state.queue.get(conversation_id)
        if entry is not None:
            handoff.router.release_offer(entry)
    handoff.state.operators.remove(operator_id)
    await handoff.router.drain()
    return {"removed": operator_id}
