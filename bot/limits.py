"""Request bodies limited per route, counted as they stream in.

A pure ASGI middleware, outside everything that reads a body: a declared
`Content-Length` over the route's limit is refused with 413 before the app is called;
a chunked body is counted chunk by chunk and refused as soon as it passes the limit.
So no signature is computed and nothing is parsed or buffered beyond the limit, and
a 100 MB body costs no more memory than the limit.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send


class BodyTooLarge(HTTPException):
    """Raised from `receive` once a body passes its limit: FastAPI lets an
    HTTPException through its body parsing, and the app answers it with 413."""

    def __init__(self, limit: int) -> None:
        # The rest of the body is never read: the connection closes after the answer.
        super().__init__(413, f"request body too large: this route accepts at most "
                              f"{limit} bytes", headers={"Connection": "close"})
        self.limit = limit


@dataclass(frozen=True, slots=True)
class BodyLimits:
    """The limit for every path: the longest matching route, else `default`. A route
    ending in "/" covers the paths under it."""

    default: int
    routes: tuple[tuple[str, int], ...] = ()

    @classmethod
    def of(cls, default: int, routes: Iterable[tuple[str, int]]) -> BodyLimits:
        # Later entries win over earlier ones for the same path (configured over built-in).
        chosen = dict(routes)
        return cls(default, tuple(sorted(chosen.items(), key=lambda r: -len(r[0]))))

    def for_path(self, path: str) -> int:
        for route, limit in self.routes:
            if path == route or (route.endswith("/") and path.startswith(route)):
                return limit
        return self.default


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, limits: BodyLimits) -> None:
        self.app = app
        self.limits = limits

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limits.for_path(scope["path"])
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            await _refuse(scope, receive, send, limit)
            return
        received = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        async def watching_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, watching_send)
        except BodyTooLarge:
            # Raised where no exception handler answers it (another middleware reading
            # the body): answer here, unless a response had begun.
            if started:
                raise
            await _refuse(scope, receive, send, limit)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None  # the server refuses a malformed length itself
    return None


async def _refuse(scope: Scope, receive: Receive, send: Send, limit: int) -> None:
    refusal = BodyTooLarge(limit)
    response = JSONResponse({"detail": refusal.detail}, status_code=413,
                            headers=refusal.headers)
    await response(scope, receive, send)
