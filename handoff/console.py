"""The web console's routes: the page, its script and styles, and log-in / log-out.

Log-in takes an e-mail and password (Argon2-hashed, checked off the event loop) or
an operator API token, and sets an HttpOnly, SameSite=Strict session cookie.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field

from relevo.bot.store import operators as operator_store
from relevo.bot.types import OperatorRef, Surface
from relevo.handoff.auth import create_session, dummy_verify, end_session, verify_password
from relevo.handoff.console_static import asset
from relevo.handoff.desk import HandoffDesk
from relevo.handoff.http import SESSION_COOKIE
from relevo.handoff.service import Handoff

# The console loads nothing from elsewhere and runs no inline script.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self' ws: wss:; frame-ancestors 'none'; base-uri 'none'; "
        "form-action 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


class Login(BaseModel):
    email: str | None = Field(None, max_length=320)
    password: str | None = Field(None, max_length=1000)
    token: str | None = Field(None, max_length=200)


_ASSETS = {  # served under /console/, the page's script and styles
    "console.js": "application/javascript; charset=utf-8",
    "audit.js": "application/javascript; charset=utf-8",
    "console.css": "text/css; charset=utf-8",
}


def _pages(router: APIRouter) -> None:
    page = asset("index.html")

    @router.get("/console")
    async def console_page() -> Response:
        return Response(page, media_type="text/html; charset=utf-8", headers=SECURITY_HEADERS)

    for name, media_type in _ASSETS.items():
        router.add_api_route(f"/console/{name}", _static(asset(name), media_type),
                             methods=["GET"], name=f"console_{name}")


def _static(body: bytes, media_type: str) -> Callable[[], Awaitable[Response]]:
    async def serve() -> Response:
        return Response(body, media_type=media_type, headers=SECURITY_HEADERS)

    return serve


def console_router(handoff: Handoff, desk: HandoffDesk) -> APIRouter:
    router = APIRouter(include_in_schema=False)
    _pages(router)

    async def password_login(email: str, password: str) -> int | None:
        async with handoff.database.read() as conn:
            found = await operator_store.login_by_email(conn, email)
        if found is None:
            await dummy_verify()
            return None
        return found[0].id if await verify_password(found[1], password) else None

    @router.post("/console/session")
    async def log_in(body: Login, request: Request) -> JSONResponse:
        operator_id: int | None = None
        if body.token:
            found = await desk.find_operator(Surface.API_TOKEN, body.token.strip())
            operator_id = found.id if isinstance(found, OperatorRef) else None
        elif body.email and body.password:
            operator_id = await password_login(body.email, body.password)
        else:
            raise HTTPException(422, "give email and password, or an API token")
        operator = await handoff.load_operator(operator_id) if operator_id else None
        if operator is None:
            raise HTTPException(401, "wrong e-mail or password")
        now = handoff.now()
        ttl = timedelta(hours=handoff.settings.console_session_hours)
        async with handoff.database.write() as conn:
            token = await create_session(conn, operator.id, now=now, ttl=ttl)
        response = JSONResponse({"operator": operator.public()})
        response.set_cookie(
            SESSION_COOKIE, token, max_age=int(ttl.total_seconds()), httponly=True,
            samesite="strict", secure=request.url.scheme == "https", path="/",
        )
        return response

    @router.delete("/console/session")
    async def log_out(request: Request) -> JSONResponse:
        token = request.cookies.get(SESSION_COOKIE)
        if token:
            async with handoff.database.write() as conn:
                await end_session(conn, token)
        response = JSONResponse({"logged_out": True})
        response.delete_cookie(SESSION_COOKIE, path="/")
        return response

    return router
