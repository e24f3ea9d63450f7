"""Our own JSON APIs refuse text that cannot be stored (`bot.text.unstorable`) with
422 and the field it is in, before any route sees it.

JSON can carry a NUL or a lone surrogate only as an escape (`\\u0000`, `\\ud800`):
raw, the body is not valid JSON or not UTF-8, which the routes refuse themselves. So a
body without the two bytes `\\u` passes at once, and only one with escapes is decoded
here. Provider webhooks are not guarded: what a provider sent is stored sanitised
(`InboundMessage`), since a refusal would be retried forever.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from relevo.bot.text import first_unstorable

_BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class JsonTextGuard:
    """`exempt`: paths (a path ending in "/" covers those under it) whose routes have
    a rule of their own (webhooks sanitise; `/model/parse` answers like Rasa)."""

    def __init__(self, app: ASGIApp, exempt: Iterable[str] = ()) -> None:
        self.app = app
        self.exempt = tuple(exempt)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not self._guards(scope):
            await self.app(scope, receive, send)
            return
        body = await _read_body(receive)
        if b"\\u" in body:
            found = _unstorable_field(body)
            if found is not None:
                where, why = found
                detail = f"{where}: {why}" if where else why
                await JSONResponse({"detail": detail}, status_code=422)(scope, receive, send)
                return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()  # a disconnect, when the client goes
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)

    def _guards(self, scope: Scope) -> bool:
        if scope["type"] != "http" or scope.get("method") not in _BODY_METHODS:
            return False
        path: str = scope["path"]
        if any(path == p or (p.endswith("/") and path.startswith(p)) for p in self.exempt):
            return False
        content_type = _header(scope, b"content-type").split(";")[0].strip().lower()
        # FastAPI reads a body without a content type as JSON too.
        return content_type in ("", "application/json") or content_type.endswith("+json")


async def _read_body(receive: Receive) -> bytes:
    # Bounded: the body limit (`bot.limits`) sits outside this middleware.
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _unstorable_field(body: bytes) -> tuple[str, str] | None:
    try:
        decoded = json.loads(body)
    except (ValueError, RecursionError):  # not JSON we can read: the route says why
        return None
    return first_unstorable(decoded)


def _header(scope: Scope, name: bytes) -> str:
    for key, value in scope.get("headers", ()):
        if key == name:
            return bytes(value).decode("latin-1")
    return ""
