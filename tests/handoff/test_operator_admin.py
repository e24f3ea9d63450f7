"""Managing operators over the API (`/api/operators`) and the published OpenAPI spec."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import sqlalchemy as sa

from relevo.app.settings import Settings
from relevo.bot.store.schema import operators as operator_rows
from tests.conftest import started
from tests.handoff.helpers import add_operator, build_app
from tests.serve import serving


async def test_an_admin_adds_edits_and_removes_an_operator(
    make_settings: Callable[..., Settings],
) -> None:
    app = build_app(make_settings)
    async with started(app) as client:
        admin = await add_operator(app, "Ana", role="admin")
        created = await client.post(
            "/api/operators", headers=admin.headers,
            json={"name": "Bea", "kind": "outsourced", "languages": ["es"],
                  "max_concurrent": 2},
        )
        assert created.status_code == 201, created.text
        new_id = created.json()["operator"]["id"]
        token = created.json()["token"]
        as_bea = await client.get("/api/operators/me",
                                  headers={"Authorization": f"Bearer {token}"})
        edited = await client.patch(f"/api/operators/{new_id}", headers=admin.headers,
                                    json={"max_concurrent": 5, "signature": "Bea (support)"})
        listed = await client.get("/api/operators", headers=admin.headers)
        removed = await client.delete(f"/api/operators/{new_id}", headers=admin.headers)
        async with app.state.relevo.database.read() as conn:
            row = (await conn.execute(
                sa.select(operator_rows).where(operator_rows.c.id == new_id)
            )).one()
    assert as_bea.status_code == 200 and as_bea.json()["operator"]["name"] == "Bea"
    assert edited.status_code == 200, edited.text
    assert edited.json()["operator"]["max_concurrent"] == 5
    assert edited.json()["operator"]["signature"] == "Bea (support)"
    assert "Bea" in [o["name"] for o in listed.json()["operators"]]
    assert removed.status_code == 200, removed.text
    assert removed.json() == {"removed": new_id}
    assert row.active is False or row.active == 0


async def test_only_admins_manage_others_and_bad_fields_are_refused(
    make_settings: Callable[..., Settings],
) -> None:
    app = build_app(make_settings)
    async with started(app) as client:
        admin = await add_operator(app, "Ana", role="admin")
        outsider = await add_operator(app, "Olga", "outsourced")
        forbidden = await client.post("/api/operators", headers=outsider.headers,
                                      json={"name": "Eve", "kind": "internal"})
        no_kind = await client.post("/api/operators", headers=admin.headers,
                                    json={"name": "Eve"})
        bad_zone = await client.patch(f"/api/operators/{outsider.id}", headers=admin.headers,
                                      json={"timezone": "Mars/Olympus"})
        own_limit = await client.patch(f"/api/operators/{outsider.id}",
                                       headers=outsider.headers, json={"max_concurrent": 50})
        own_signature = await client.patch(f"/api/operators/{outsider.id}",
                                           headers=outsider.headers,
                                           json={"signature": "Olga"})
        missing = await client.delete("/api/operators/9999", headers=admin.headers)
        anonymous = await client.post("/api/operators", json={"name": "Eve", "kind": "internal"})
    assert forbidden.status_code == 403
    assert no_kind.status_code == 422 and "required" in no_kind.json()["detail"]
    assert bad_zone.status_code == 422
    assert own_limit.status_code == 403 and "max_concurrent" in own_limit.json()["detail"]
    assert own_signature.status_code == 200, own_signature.text
    assert missing.status_code == 404
    assert anonymous.status_code == 401


async def test_the_openapi_spec_describes_the_operator_api(
    make_settings: Callable[..., Settings],
) -> None:
    app = build_app(make_settings)
    async with started(app) as client:
        response = await client.get("/openapi.json")
    assert response.status_code == 200, response.text
    paths = response.json()["paths"]
    assert {"post"} <= set(paths["/api/operators"])
    assert {"patch", "delete"} <= set(paths["/api/operators/{operator_id}"])
    create = paths["/api/operators"]["post"]
    # The operator comes from the Authorization header, never from a query parameter.
    assert "operator" not in [p["name"] for p in create.get("parameters", [])]


async def test_the_admin_routes_over_a_real_socket_for_every_role(
    make_settings: Callable[..., Settings],
) -> None:
    """Through uvicorn, as a browser or script calls them: create, edit and remove for an
    admin; the same refused (403) for every other role, and 401 without a token."""
    app = build_app(make_settings)
    async with started(app):
        staff = {role: await add_operator(app, role.title(), role=role)
                 for role in ("admin", "manager", "editor", "reviewer", "operator")}
        target = await add_operator(app, "Tess")
        async with serving(app, lifespan=False) as address, \
                httpx.AsyncClient(base_url=f"http://{address}") as http:
            refused = {}
            for role, op in [*staff.items(), ("nobody", None)]:
                if role == "admin":
                    continue
                headers = op.headers if op else {}
                refused[role] = (
                    (await http.post("/api/operators", headers=headers,
                                     json={"name": "Eve", "kind": "internal"})).status_code,
                    (await http.patch(f"/api/operators/{target.id}", headers=headers,
                                      json={"max_concurrent": 9})).status_code,
                    (await http.delete(f"/api/operators/{target.id}",
                                       headers=headers)).status_code,
                )
            admin = staff["admin"].headers
            created = await http.post("/api/operators", headers=admin, json={
                "name": "Eve", "kind": "expert", "languages": ["es"],
                "signatures": {"es": {"title": "experta"}}})
            new_id = created.json()["operator"]["id"]
            edited = await http.patch(f"/api/operators/{new_id}", headers=admin,
                                      json={"max_concurrent": 5, "skills": ["audio"]})
            removed = await http.delete(f"/api/operators/{new_id}", headers=admin)
            gone = await http.patch(f"/api/operators/{new_id}", headers=admin,
                                    json={"max_concurrent": 4})
    assert refused == {"manager": (403, 403, 403), "editor": (403, 403, 403),
                       "reviewer": (403, 403, 403), "operator": (403, 403, 403),
                       "nobody": (401, 401, 401)}
    assert created.status_code == 201, created.text
    assert created.json()["operator"]["signatures"] == {"es": {"title": "experta"}}
    assert created.json()["token"].startswith("rlv_")
    assert edited.status_code == 200, edited.text
    assert (edited.json()["operator"]["max_concurrent"], edited.json()["operator"]["skills"]) \
        == (5, ["audio"])
    assert removed.status_code == 200 and removed.json() == {"removed": new_id}
    assert gone.status_code == 404
