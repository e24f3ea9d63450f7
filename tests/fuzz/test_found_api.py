"""Server errors in the HTTP API outside issue #10's table, found by the schemathesis run
(null operator fields) or next to what it found (JSON nested too deep, which every JSON
body reader shares), each pinned through the real app on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable

import httpx
from fastapi import FastAPI

from relevo.app import create_app
from relevo.app.settings import Settings
from relevo.bot.store import operators as operator_store
from relevo.bot.types import OperatorKind, Role
from tests.conftest import started
from tests.handoff.helpers import Op, add_operator, build_app, service

# Fields every operator has: a PATCH or POST may leave them out, never set them to null.
NEVER_NULL = ("kind", "timezone", "name", "signature", "languages", "skills",
              "max_concurrent")


async def add_admin(app: FastAPI) -> Op:
    """An in-house admin: allowed to manage operators whatever the role rules are."""
    handoff = service(app)
    async with handoff.database.write() as conn:
        row, token = await operator_store.add(
            conn, name="Admin", kind=OperatorKind.INTERNAL, email=None, languages=["en"],
            skills=[], max_concurrent=3, now=handoff.now(), role=Role.ADMIN,
        )
    handoff.state.operators.upsert(row)
    return Op(row.id, token, {"Authorization": f"Bearer {token}"})


async def test_clearing_a_field_an_operator_must_have_is_a_422(
    make_settings: Callable[..., Settings],
) -> None:
    app = build_app(make_settings)
    edited: dict[str, httpx.Response] = {}
    created: dict[str, httpx.Response] = {}
    async with started(app) as client:
        admin = await add_admin(app)
        eva = await add_operator(app, "Eva", "expert")
        for field in NEVER_NULL:
            edited[field] = await client.patch(f"/api/operators/{eva.id}", json={field: None},
                                               headers=admin.headers)
            created[field] = await client.post("/api/operators", json={
                "name": "Pablo", "kind": "expert", field: None}, headers=admin.headers)
        listed = await client.get("/api/operators", headers=admin.headers)
    for field in NEVER_NULL:
        assert (edited[field].status_code, edited[field].json()) == (
            422, {"detail": f"{field}: must not be null"})
        assert created[field].status_code == 422 and field in created[field].json()["detail"]
    [stored] = [o for o in listed.json()["operators"] if o["id"] == eva.id]
    assert stored["kind"] == "expert" and stored["skills"] == []
    assert [o["name"] for o in listed.json()["operators"]] == ["Admin", "Eva"]


async def test_json_nested_too_deep_is_a_400_from_model_parse(
    make_settings: Callable[..., Settings],
) -> None:
    async with started(create_app(make_settings())) as client:
        for depth in (1_000, 50_000):  # both within any body limit (100 KB at most)
            response = await client.post("/model/parse", content=b"[" * depth + b"]" * depth,
                                         headers={"Content-Type": "application/json"})
            assert (response.status_code, response.json()["reason"]) == (400, "BadRequest")
