"""`/openapi.json` and `/docs` describe every HTTP route relevo serves (pages, static
assets and WebSockets excepted, listed here), with typed request bodies and the
`{"detail": …}` errors each answers."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from relevo.app.settings import Settings
from tests.conftest import started
from tests.handoff.helpers import add_operator, build_app
from tests.handoff.test_route_roles import every_channel_app, served_routes
from tests.serve import serving

# Served but not API operations: pages and assets, the docs themselves, WebSockets.
NOT_IN_SCHEMA = {
    ("GET", "/"), ("GET", "/widget.js"), ("GET", "/console"),
    ("GET", "/console/console.js"), ("GET", "/console/console.css"),
    ("GET", "/console/audit.js"), ("GET", "/console/profile.js"),
    ("GET", "/console/compose.js"), ("GET", "/console/render.js"), ("GET", "/console/alerts.js"),
    ("GET", "/console/formatting.js"),
    ("GET", "/editor"), ("GET", "/editor/editor.js"), ("GET", "/editor/editor.css"),
    ("GET", "/editor/formatting.js"),
    ("GET", "/openapi.json"), ("GET", "/docs"), ("GET", "/docs/oauth2-redirect"),
    ("GET", "/redoc"),
    ("WS", "/webchat/ws"), ("WS", "/api/ws"),
}
ERROR_REF = {"$ref": "#/components/schemas/Error"}


def operations(document: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {(method.upper(), path): operation
            for path, ops in document["paths"].items() for method, operation in ops.items()}


def test_every_route_is_in_the_schema(tmp_path: Path) -> None:
    app = every_channel_app(tmp_path)
    served, documented = served_routes(app), set(operations(app.openapi()))
    assert sorted(served - documented - NOT_IN_SCHEMA) == [], "routes missing from the schema"
    assert sorted(documented - served) == []
    assert sorted(NOT_IN_SCHEMA - served) == [], "NOT_IN_SCHEMA names routes not served"
    assert not NOT_IN_SCHEMA & documented


def test_bodies_are_typed_and_errors_are_described(tmp_path: Path) -> None:
    document = every_channel_app(tmp_path).openapi()
    untyped, undescribed = [], []
    for (method, path), operation in operations(document).items():
        for media in operation.get("requestBody", {}).get("content", {}).values():
            schema = media["schema"]
            options = [schema, *schema.get("anyOf", ())]  # an optional body: model | null
            if not any("$ref" in option or option.get("properties") for option in options):
                untyped.append(f"{method} {path}")
        errors = {code: answer for code, answer in operation["responses"].items()
                  if code.startswith("4")}
        if (operation.get("requestBody") or operation.get("parameters")) and not errors:
            undescribed.append(f"{method} {path}")
        for answer in errors.values():
            assert answer["content"]["application/json"]["schema"] == ERROR_REF, (method, path)
    assert untyped == [] and undescribed == []
    assert "HTTPValidationError" not in document["components"]["schemas"]
    by_route = operations(document)
    assert {"401", "403", "404", "409", "422"} <= set(by_route["POST", C_CLAIM]["responses"])
    assert set(by_route["POST", "/webhooks/telegram"]["responses"]) >= {"400", "403", "413"}
    login = by_route["POST", "/console/session"]
    assert login["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Login"}
    assert {"401", "429", "503"} <= set(login["responses"])


C_CLAIM = "/api/conversations/{conversation_id}/claim"


async def test_the_docs_are_served_and_errors_match_the_schema(
    make_settings: Callable[..., Settings],
) -> None:
    app = build_app(make_settings)
    async with started(app):
        op = await add_operator(app, "Ana")
        async with serving(app, lifespan=False) as address, \
                httpx.AsyncClient(base_url=f"http://{address}") as http:
            spec = await http.get("/openapi.json")
            docs = await http.get("/docs")
            invalid = await http.post("/api/operators/me/presence", headers=op.headers,
                                      json={"status": "dancing"})
            anonymous = await http.get("/api/operators/me/signatures")
    assert spec.status_code == 200, spec.text
    assert docs.status_code == 200 and "/openapi.json" in docs.text
    documented = spec.json()["paths"]["/api/operators/me/presence"]["post"]["responses"]
    assert invalid.status_code == 422 and "422" in documented
    assert invalid.json() == {"detail": invalid.json()["detail"], "field": "status"}
    assert isinstance(invalid.json()["detail"], str)
    assert anonymous.status_code == 401 and set(anonymous.json()) == {"detail"}
    assert "401" in spec.json()["paths"]["/api/operators/me/signatures"]["get"]["responses"]
