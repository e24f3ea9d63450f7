"""The operator HTTP layer: the one mapping of refusals to status codes, the admin
routes that depend on `Me` (they answered 422 when `Me` was imported inside a
function), and the OpenAPI document. On SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi import HTTPException

from relevo.app.settings import Settings
from relevo.bot.types import RefusalKind, Refused
from relevo.handoff.http import accepted
from tests.conftest import started
from tests.handoff.helpers import add_operator, build_app


@pytest.mark.parametrize("kind, status", [
    (RefusalKind.NOT_FOUND, 404), (RefusalKind.CONFLICT, 409),
    (RefusalKind.FORBIDDEN, 403), (RefusalKind.INVALID, 422),
])
def test_a_refusal_is_its_status_with_its_reason(kind: RefusalKind, status: int) -> None:
    with pytest.raises(HTTPException) as raised:
        accepted(Refused(kind, "because"))
    assert (raised.value.status_code, raised.value.detail) == (status, "because")
    assert accepted(7) == 7


async def test_admin_routes_and_the_openapi_document_work(
    make_settings: Callable[..., Settings],
) -> None:
    app = build_app(make_settings)
    async with started(app) as client:
        admin = await add_operator(app, "Admin", role="admin")
        spec = await client.get("/openapi.json")
        created = await client.post("/api/operators", json={"name": "Eva", "kind": "expert"},
                                    headers=admin.headers)
        new_id = created.json()["operator"]["id"]
        edited = await client.patch(f"/api/operators/{new_id}", json={"signature": "Eva R."},
                                    headers=admin.headers)
        removed = await client.delete(f"/api/operators/{new_id}", headers=admin.headers)
    assert spec.status_code == 200
    assert "/api/conversations/{conversation_id}/claim" in spec.json()["paths"]
    assert created.status_code == 201
    assert edited.status_code == 200 and edited.json()["operator"]["signature"] == "Eva R."
    assert removed.json() == {"removed": new_id}
