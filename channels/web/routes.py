"""The web chat's HTTP and WebSocket routes: verify (the visitor token) → parse →
the core's one callable (`Inbox.accept`).

Contract (ARCHITECTURE.md): `POST /webchat/sessions` → `{"visitor_token"}`; with
`Authorization: Bearer <token>`: `POST /webchat/messages`, `GET /webchat/messages
?after=`, `POST /webchat/attachments` (the file as the raw body); `WS
/webchat/ws?token=`. A visitor only ever reads their own contact's messages. The
widget is served at `/widget.js` and a demo shop page at `/`.
"""

from __future__ import annotations

import asyncio
import json
import re
import uuid
from datetime import timedelta
from importlib import resources
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, HTTPException, Request, WebSocket
from fastapi.responses import HTMLResponse, JSONResponse, Response

from relevo.bot import formatting
from relevo.bot.catalog import Catalog
from relevo.bot.http import Cursor
from relevo.bot.inbox import OnVisitorMessage
from relevo.bot.sockets import forward
from relevo.bot.store import messages as message_store
from relevo.bot.store.contacts import IdentityRef
from relevo.bot.store.db import Database
from relevo.bot.types import Author, AuthorKind
from relevo.channels.web.attachments import UPLOAD_PATH, UploadRefused, Uploads
from relevo.channels.web.config import WebchatSettings
from relevo.channels.web.hub import WebChatHub
from relevo.channels.web.messages import message_json, stored_message_json
from relevo.channels.web.parse import BadMessage, NewMessage, NewSession, parse_message
from relevo.channels.web.verify import VisitorSessions, bearer_token


class WebChatRoutes:
    def __init__(
        self,
        on_message: OnVisitorMessage,
        sessions: VisitorSessions,
        hub: WebChatHub,
        database: Database,
        settings: WebchatSettings,
        catalog: Catalog,
        uploads: Uploads,
    ) -> None:
        self._catalog = catalog  # the widget's labels
        self._uploads = uploads
        self._on_message = on_message
        self._sessions = sessions
        self._hub = hub
        self._db = database  # polling reads the visitor's messages
        self._settings = settings

    def router(self) -> APIRouter:
        router = APIRouter()
        router.add_api_route("/webchat/sessions", self.create_session, methods=["POST"],
                             status_code=201)
        router.add_api_websocket_route("/webchat/ws", self.socket)
        widget_js = widget_script(self._catalog)
        demo_page = _static("index.html")

        # The visitor is a dependency, so a missing token is a 401 before the body is
        # even validated.
        @router.post("/webchat/messages", status_code=202)
        async def post_message(
            body: NewMessage, identity: IdentityRef = Depends(self.visitor)
        ) -> dict[str, int]:
            return await self.post_message(body, identity)

        @router.get("/webchat/messages")
        async def get_messages(
            identity: IdentityRef = Depends(self.visitor),
            after: Cursor = 0,
        ) -> dict[str, list[dict[str, Any]]]:
            return await self.get_messages(identity, after)

        @router.post(UPLOAD_PATH, status_code=201)
        async def post_attachment(
            request: Request, identity: IdentityRef = Depends(self.visitor),
            name: str | None = None,
        ) -> dict[str, Any]:
            return await self.post_attachment(request, identity, name)

        @router.get("/widget.js", include_in_schema=False)
        async def widget() -> Response:
            return Response(
                widget_js,
                media_type="application/javascript; charset=utf-8",
                headers={"Cache-Control": "public, max-age=300"},
            )

        @router.get("/", include_in_schema=False)
        async def demo_shop() -> HTMLResponse:
            return HTMLResponse(demo_page)

        return router

    async def visitor(
        self, authorization: Annotated[str | None, Header()] = None
    ) -> IdentityRef:
        token = bearer_token(authorization)
        if token is None:
            raise HTTPException(401, "missing visitor token: send Authorization: Bearer <token>")
        identity = await self._sessions.identity(token)
        if identity is None:
            raise HTTPException(401, "unknown or expired visitor token: start a new session")
        return identity

    async def create_session(self, body: NewSession | None = None) -> dict[str, str]:
        token = await self._sessions.create(body.locale if body else None)
        return {"visitor_token": token}

    async def post_attachment(
        self, request: Request, identity: IdentityRef, name: str | None
    ) -> dict[str, Any]:
        """The file is the raw body, its type the Content-Type: → 201 `{"id", "name",
        "content_type", "size"}`; a refused file → 413/415/422 with the reason."""
        content_type = request.headers.get("content-type")
        length = request.headers.get("content-length")
        try:
            refused = self._uploads.refusal(
                content_type, int(length) if length and length.isdigit() else None)
            if refused is not None:
                raise refused
            body = await _read_at_most(request, self._uploads.max_bytes)
            upload = await self._uploads.store(
                identity.external_user_id, content_type or "", body, name)
        except UploadRefused as exc:
            raise HTTPException(exc.status, exc.reason) from None
        a = upload.attachment
        return {"id": upload.id, "name": a.name, "content_type": a.content_type, "size": a.size}

    async def post_message(self, body: NewMessage, identity: IdentityRef) -> dict[str, int]:
        ids = body.attachments or []
        if len(ids) > self._settings.attachments_per_message:
            raise HTTPException(422, f"at most {self._settings.attachments_per_message} "
                                     "attachments per message")
        try:
            files = await self._uploads.owned(identity.external_user_id, ids) if ids else ()
            message = parse_message(
                body, identity.external_user_id,
                max_text_length=self._settings.max_text_length, fallback_id=uuid.uuid4().hex,
                attachments=files,
            )
        except UploadRefused as exc:
            raise HTTPException(exc.status, exc.reason) from None
        except BadMessage as exc:
            raise HTTPException(422, str(exc)) from None
        accepted = await self._on_message(message, identity=identity)
        if not accepted.duplicate and accepted.created_at is not None:
            self._hub.push(
                identity.external_user_id,
                message_json(accepted.message_id, Author(AuthorKind.SHOPPER), message.text,
                             accepted.created_at, attachments=message.attachments),
            )
        return {"conversation_id": accepted.conversation_id, "message_id": accepted.message_id}

    async def get_messages(
        self, identity: IdentityRef, after: int
    ) -> dict[str, list[dict[str, Any]]]:
        async with self._db.read() as conn:
            found = await message_store.for_contact(
                conn, identity.contact_id, after=after, limit=self._settings.poll_page_size
            )
        return {"messages": [stored_message_json(m) for m in found]}

    async def socket(self, websocket: WebSocket, token: str | None = None) -> None:
        identity = await self._sessions.identity(token)
        if identity is None:
            reason = "unknown or expired visitor token" if token else "missing ?token="
            await _refuse(websocket, reason)
            return
        await websocket.accept()
        queue = self._hub.open(identity.external_user_id)
        receiver = asyncio.create_task(_wait_for_close(websocket))
        try:
            await forward(websocket, queue, receiver)
        finally:
            receiver.cancel()
            self._hub.close(identity.external_user_id, queue)


def webchat_router(
    database: Database, on_message: OnVisitorMessage, hub: WebChatHub, settings: WebchatSettings,
    catalog: Catalog,
) -> APIRouter:
    """The web chat's routes, built with their dependencies."""
    sessions = VisitorSessions(database, timedelta(seconds=settings.session_ttl_seconds))
    uploads = Uploads(Path(settings.media_dir), settings.attachment_max_bytes,
                      settings.attachment_types)
    return WebChatRoutes(on_message, sessions, hub, database, settings, catalog,
                         uploads).router()


_LABELS = re.compile(rb"/\*relevo:widget-strings\*/.*?/\*end\*/", re.DOTALL)
_STYLES = re.compile(rb"/\*relevo:widget-css\*/.*?/\*end\*/", re.DOTALL)
_MESSAGES = re.compile(rb"/\*relevo:widget-messages\*/")
_FORMATTING = re.compile(rb"/\*relevo:formatting\*/")


def widget_script(catalog: Catalog) -> bytes:
    """The widget with its stylesheet (`widget.css`) and the catalog's `widget.*` texts
    of every language written in, so a shop adds a language (or rewords a label) by
    adding a file, not by editing the JS."""
    labels = {language: catalog.section("widget", language) for language in catalog.languages}
    styles = _static("widget.css").decode("utf-8")
    script = _static("widget.js")
    # How one message is drawn lives in its own file, written in (same scope).
    script, count = _MESSAGES.subn(lambda _: _static("widget_messages.js"), script)
    if count != 1:
        raise RuntimeError("widget.js lost its relevo:widget-messages marker")
    # The answers' formatting subset, the same file the console and the editor load.
    script, count = _FORMATTING.subn(lambda _: formatting.script(), script)
    if count != 1:
        raise RuntimeError("widget_messages.js lost its relevo:formatting marker")
    for marker, value in ((_LABELS, labels), (_STYLES, styles)):
        # ASCII-only JSON is a valid JS literal whatever the texts hold (\u2028 included).
        literal = json.dumps(value, ensure_ascii=True, sort_keys=True).encode("ascii")
        script, count = marker.subn(literal.replace(b"\\", b"\\\\"), script)
        if count != 1:
            raise RuntimeError(f"widget.js lost its {marker.pattern!r} marker")
    return script


async def _read_at_most(request: Request, limit: int) -> bytes:
    """The body, refused (413) as soon as it passes `limit`, whatever it declared."""
    chunks: list[bytes] = []
    received = 0
    async for chunk in request.stream():
        received += len(chunk)
        if received > limit:
            raise UploadRefused(413, f"the file is over the {limit} bytes limit")
        chunks.append(chunk)
    return b"".join(chunks)


async def _wait_for_close(websocket: WebSocket) -> None:
    # The client sends nothing we need; reading is how we learn it went away.
    while True:
        message = await websocket.receive()
        if message["type"] == "websocket.disconnect":
            return


async def _refuse(websocket: WebSocket, reason: str) -> None:
    """Refuse the handshake with HTTP 401 and a reason where the server supports it."""
    if "websocket.http.response" in websocket.scope.get("extensions", {}):
        await websocket.send_denial_response(JSONResponse({"detail": reason}, status_code=401))
    else:
        await websocket.close(code=4401, reason=reason)


def _static(name: str) -> bytes:
    return resources.files("relevo.channels.web.static").joinpath(name).read_bytes()
