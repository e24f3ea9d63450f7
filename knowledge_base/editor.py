"""The editor's page at `/editor`: one HTML page, its script and its styles, served with
the console's strict policy (nothing loaded from elsewhere, no inline script). The page
talks only to the REST API under `/api/kb/` and signs in with the console's session
cookie: an editor logs in at `/console` and the same cookie works here."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import APIRouter
from fastapi.responses import Response

from relevo.bot import formatting
from relevo.knowledge_base.editor_static import asset

# The console's policy, copied (the knowledge base does not import handoff): the page
# loads nothing from elsewhere, runs no inline script and cannot be framed.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; "
        "form-action 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}

_ASSETS = {  # served under /editor/
    "editor.js": "application/javascript; charset=utf-8",
    "editor.css": "text/css; charset=utf-8",
}


def _serve(body: bytes, media_type: str) -> Callable[[], Awaitable[Response]]:
    async def serve() -> Response:
        return Response(body, media_type=media_type, headers=SECURITY_HEADERS)

    return serve


def editor_router() -> APIRouter:
    """`GET /editor`, its script and styles, and the answers' formatting subset
    (`bot/formatting.js`, the grammar the widget and the console draw answers with, so
    an answer looks here as shoppers will see it); the files are read once, here."""
    router = APIRouter(include_in_schema=False)
    router.add_api_route("/editor", _serve(asset("index.html"), "text/html; charset=utf-8"),
                         methods=["GET"], name="editor_page")
    for name, media_type in _ASSETS.items():
        router.add_api_route(f"/editor/{name}", _serve(asset(name), media_type),
                             methods=["GET"], name=f"editor_{name}")
    router.add_api_route("/editor/formatting.js",
                         _serve(formatting.script(), "application/javascript; charset=utf-8"),
                         methods=["GET"], name="editor_formatting.js")
    return router
