"""`/openapi.json` (and `/docs`, `/redoc` built from it): every HTTP route relevo serves,
with its request body and the errors it answers, except pages and static assets
(`is_page`) and WebSockets (OpenAPI has no words for them; README describes them).

Routes that read their body raw, because a provider signs the exact bytes (Telegram,
Twilio, Slack), or that other packages keep out of their own schema (the console's
log-in) are described here from `RAW_BODIES`. Every 4xx body is `{"detail": "<reason>"}`
(`asgi._install_error_handlers`), so each operation lists the 4xx answers it can give
with that one `Error` schema instead of FastAPI's list-of-errors 422.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute, RouteContext, iter_route_contexts

ERROR = {"$ref": "#/components/schemas/Error"}
ERROR_SCHEMA = {
    "title": "Error",
    "type": "object",
    "required": ["detail"],
    "properties": {
        "detail": {"type": "string", "description": "One readable reason."},
        "field": {"type": "string",
                  "description": "422: the invalid field, as a dotted path (`questions.es`)."},
    },
}

_FORM = "application/x-www-form-urlencoded"


def _object(description: str, **properties: dict[str, Any]) -> dict[str, Any]:
    return {"type": "object", "description": description, "properties": properties,
            "additionalProperties": True}


_TEXT = {"type": "string"}
# (method, path) → (request body content, extra errors): routes whose body is not a
# FastAPI-declared model.
RAW_BODIES: dict[tuple[str, str], tuple[dict[str, Any], dict[int, str]]] = {
    ("POST", "/webhooks/telegram"): (
        {"application/json": {"schema": _object(
            "A Telegram Update (Bot API), with the X-Telegram-Bot-Api-Secret-Token header.",
            update_id={"type": "integer"}, message={"type": "object"})}},
        {403: "missing or wrong secret token header"},
    ),
    ("POST", "/webhooks/twilio/whatsapp"): (
        {_FORM: {"schema": _object(
            "Twilio's incoming WhatsApp message, signed with X-Twilio-Signature.",
            From=_TEXT, To=_TEXT, Body=_TEXT, MessageSid=_TEXT, NumMedia=_TEXT)}},
        {403: "missing or wrong X-Twilio-Signature"},
    ),
    ("POST", "/webhooks/twilio/whatsapp/status"): (
        {_FORM: {"schema": _object(
            "Twilio's delivery status callback, signed with X-Twilio-Signature.",
            MessageSid=_TEXT, MessageStatus=_TEXT, ErrorCode=_TEXT)}},
        {403: "missing or wrong X-Twilio-Signature"},
    ),
    ("POST", "/slack/events"): (
        {"application/json": {"schema": _object(
            "A Slack Events API request (X-Slack-Signature, X-Slack-Request-Timestamp).",
            type=_TEXT, event={"type": "object"}, challenge=_TEXT)},
         _FORM: {"schema": _object("A Slack interactivity request: `payload` is JSON.",
                                   payload=_TEXT)}},
        {401: "missing, wrong or stale Slack signature"},
    ),
}
# Per operation, beyond the rules in `_errors`.
EXTRA_ERRORS: dict[tuple[str, str], dict[int, str]] = {
    ("POST", "/console/session"): {401: "wrong e-mail, password or token",
                                   429: "too many failed log-ins: see Retry-After",
                                   503: "busy checking passwords: see Retry-After"},
    ("POST", "/webchat/sessions"): {429: "too many new sessions from this address"},
    ("POST", "/webchat/messages"): {429: "too many messages: see Retry-After"},
    ("POST", "/api/operators"): {409: "an operator with this e-mail exists",
                                 503: "busy hashing passwords: see Retry-After"},
    ("PATCH", "/api/operators/{operator_id}"): {409: "an operator with this e-mail exists",
                                                503: "busy hashing passwords"},
    ("DELETE", "/api/operators/{operator_id}"): {409: "the operator has open conversations"},
}


def is_page(method: str, path: str) -> bool:
    """A page or a static asset (HTML, JavaScript, CSS), not an API operation."""
    return method == "GET" and (path in ("/", "/console", "/editor")
                                or path.endswith((".js", ".css")))


def install(app: FastAPI) -> None:
    """Serve the schema described above at /openapi.json (built once, on first use)."""

    def schema() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = build(app)
        return app.openapi_schema

    app.openapi = schema  # type: ignore[method-assign]


class _Shown(RouteContext):
    """A route another package keeps out of its schema, shown in this one."""

    @property
    def include_in_schema(self) -> bool:
        return True


def _documented(app: FastAPI) -> Iterator[RouteContext]:
    """Every route as the schema should see it: kept out only if it is a page/asset."""
    for context in iter_route_contexts(app.routes):
        hidden = isinstance(context.original_route, APIRoute) and not context.include_in_schema
        if hidden and not all(is_page(m, str(context.path)) for m in context.methods or ()):
            yield _Shown(**{f.name: getattr(context, f.name)
                            for f in dataclasses.fields(context)})
        else:
            yield context


def build(app: FastAPI) -> dict[str, Any]:
    routes = list(_documented(app))
    document = get_openapi(
        title=app.title, version=app.version, description=app.description, routes=routes,
    )
    document.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    for path, operations in document.get("paths", {}).items():
        for method, operation in operations.items():
            key = (method.upper(), path)
            if key in RAW_BODIES:
                content, _ = RAW_BODIES[key]
                operation["requestBody"] = {"required": True, "content": content}
            operation["responses"] = _errors(key, operation)
    schemas = document["components"]["schemas"]
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas.pop(unused, None)
    return document


def _errors(key: tuple[str, str], operation: dict[str, Any]) -> dict[str, Any]:
    method, path = key
    responses = {code: answer for code, answer in operation.get("responses", {}).items()
                 if code != "422"}
    errors: dict[int, str] = {}
    headers = {p["name"].lower() for p in operation.get("parameters", ())
               if p.get("in") == "header"}
    if "authorization" in headers:
        errors[401] = "missing or unknown token"
        if path.startswith("/api/"):
            errors[403] = "your role may not do this (or a console request without its header)"
    if "{" in path:
        errors[404] = "no such resource, or not within your reach"
    if "requestBody" in operation:
        errors[400] = "request body is not valid JSON (or not the expected form)"
        errors[413] = "request body too large"
    if "requestBody" in operation or operation.get("parameters"):
        errors[422] = "invalid request: the reason names the field"
    if path.startswith("/api/conversations/{conversation_id}/") and method == "POST":
        errors[409] = "the conversation is not in a state that allows this"
    errors |= RAW_BODIES.get(key, ({}, {}))[1] | EXTRA_ERRORS.get(key, {})
    for code, reason in sorted(errors.items()):
        responses.setdefault(str(code), {
            "description": reason, "content": {"application/json": {"schema": ERROR}},
        })
    return responses
