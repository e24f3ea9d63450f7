"""The web console's routes: the page, its script and styles, and log-in / log-out.

Log-in takes an e-mail and password or an operator API token (`login.Logins` checks
them, limits first) and sets an HttpOnly, SameSite=Strict session cookie. Refused:
401 wrong, 429 too many failures, 503 hashing busy or the limiter's Redis down (the
last three with Retry-After).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field

from relevo.bot import formatting
from relevo.bot.clientip import Network, client_ip
from relevo.handoff.console_static import asset
from relevo.handoff.http import SESSION_COOKIE
from relevo.handoff.login import Credentials, LoginRefused, Logins, Refusal

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
REFUSAL_STATUS = {Refusal.WRONG: 401, Refusal.THROTTLED: 429, Refusal.BUSY: 503,
                  Refusal.UNAVAILABLE: 503}


class Login(BaseModel):
    email: str | None = Field(None, max_length=320)
    password: str | None = Field(None, max_length=1000)
    token: str | None = Field(None, max_length=200)


_ASSETS = {  # served under /console/, the page's script and styles
    "render.js": "application/javascript; charset=utf-8",
    "alerts.js": "application/javascript; charset=utf-8",
    "console.js": "application/javascript; charset=utf-8",
    "audit.js": "application/javascript; charset=utf-8",
    "compose.js": "application/javascript; charset=utf-8",
    "profile.js": "application/javascript; charset=utf-8",
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
    # The answers' formatting subset (bot/formatting.js): bot messages are drawn with it.
    router.add_api_route("/console/formatting.js",
                         _static(formatting.script(), "application/javascript; charset=utf-8"),
                         methods=["GET"], name="console_formatting.js")


def _static(body: bytes, media_type: str) -> Callable[[], Awaitable[Response]]:
    async def serve() -> Response:
        return Response(body, media_type=media_type, headers=SECURITY_HEADERS)

    return serve


def console_router(logins: Logins, trusted_proxies: Sequence[Network] = ()) -> APIRouter:
    """The console's page and its log-in; `trusted_proxies` may tell the client's
    address in X-Forwarded-For (it keys the log-in limits and the audit)."""
    router = APIRouter(include_in_schema=False)
    _pages(router)

    @router.post("/console/session")
    async def log_in(body: Login, request: Request) -> JSONResponse:
        if not body.token and not (body.email and body.password):
            raise HTTPException(422, "give email and password, or an API token")
        credentials = Credentials(email=body.email, password=body.password, token=body.token)
        result = await logins.log_in(credentials, source(request))
        if isinstance(result, LoginRefused):
            headers = {"Retry-After": result.retry_after} if result.retry_after else None
            raise HTTPException(REFUSAL_STATUS[result.kind], result.reason, headers=headers)
        response = JSONResponse({"operator": result.operator.public()})
        response.set_cookie(
            SESSION_COOKIE, result.token, max_age=int(result.ttl.total_seconds()),
            httponly=True, samesite="strict", secure=request.url.scheme == "https", path="/",
        )
        return response

    @router.delete("/console/session")
    async def log_out(request: Request) -> JSONResponse:
        token = request.cookies.get(SESSION_COOKIE)
        if token:
            await logins.log_out(token, source(request))
        response = JSONResponse({"logged_out": True})
        response.delete_cookie(SESSION_COOKIE, path="/")
        return response

    def source(request: Request) -> str:
        peer = request.client.host if request.client else None
        return client_ip(peer, request.headers.get("x-forwarded-for"), trusted_proxies)

    return router
