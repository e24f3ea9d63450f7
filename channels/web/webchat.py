"""The shop's own web chat: visitor sessions, send, poll, WebSocket push, the widget.

Contract (ARCHITECTURE.md): `POST /webchat/sessions` → `{"visitor_token"}`; with
`Authorization: Bearer <token>`: `POST /webchat/messages`, `GET /webchat/messages
?after=`; `WS /webchat/ws?token=`. A visitor only ever reads their own contact's
messages. `send` pushes a stored outbound message to the visitor's open sockets;
the message is already readable by polling, so a visitor with no socket open
loses nothing.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections import OrderedDict, defaultdict
from datetime import UTC, datetime, timedelta
from importlib import resources
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, HTTPException, Query, WebSocket
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import BaseModel, Field
from starlette.websockets import WebSocketDisconnect

from relevo.bot.inbox import Inbox
from relevo.bot.store import contacts as contact_store
from relevo.bot.store import messages as message_store
from relevo.bot.store.contacts import IdentityRef
from relevo.bot.store.db import Database
from relevo.bot.types import DeliveryStatus, InboundMessage, OutboundMessage, SendResult
from relevo.channels.web.config import WebchatSettings

log = logging.getLogger("relevo.channels.web")

NAME = "web"


class WebChatHub:
    """The open sockets of each visitor (in this process), by visitor id."""

    def __init__(self) -> None:
        self._sockets: dict[str, set[asyncio.Queue[dict[str, Any]]]] = defaultdict(set)

    def open(self, visitor_id: str) -> asyncio.Queue[dict[str, Any]]:
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(maxsize=1000)
        self._sockets[visitor_id].add(queue)
        return queue

    def close(self, visitor_id: str, queue: asyncio.Queue[dict[str, Any]]) -> None:
        sockets = self._sockets.get(visitor_id)
        if sockets is not None:
            sockets.discard(queue)
            if not sockets:
                del self._sockets[visitor_id]

    def push(self, visitor_id: str, payload: dict[str, Any]) -> int:
        delivered = 0
        for queue in self._sockets.get(visitor_id, ()):
            try:
                queue.put_nowait(payload)
                delivered += 1
            except asyncio.QueueFull:  # a stuck client catches up by polling
                log.warning("web chat socket queue full; message left for polling")
        return delivered


class WebChannel:
    name = NAME

    def __init__(self, hub: WebChatHub) -> None:
        self._hub = hub

    async def send(self, message: OutboundMessage) -> SendResult:
        payload = {
            "id": message.message_id,
            "author": {"kind": message.author.kind.value, "name": message.author.name},
            "text": message.text,
            "created_at": (message.created_at or datetime.now(UTC)).isoformat(),
        }
        if message.quick_replies:
            payload["quick_replies"] = [
                {"title": q.title, "payload": q.payload} for q in message.quick_replies
            ]
        pushed = self._hub.push(message.recipient, payload)
        return SendResult(
            external_id=None,
            status=DeliveryStatus.DELIVERED if pushed else DeliveryStatus.SENT,
        )


LOCALE_PATTERN = r"^[A-Za-z]{2,3}([-_][A-Za-z0-9]{2,8})?$"


class NewSession(BaseModel):
    locale: str | None = Field(None, max_length=16, pattern=LOCALE_PATTERN)


class NewMessage(BaseModel):
    text: str
    locale: str | None = Field(None, max_length=16, pattern=LOCALE_PATTERN)
    client_message_id: str | None = Field(None, min_length=1, max_length=100)


class _SessionCache:
    """token → (identity, expiry): saves a database read on every request."""

    def __init__(self, size: int = 50_000) -> None:
        self._entries: OrderedDict[str, tuple[IdentityRef, datetime]] = OrderedDict()
        self._size = size

    def get(self, token: str, now: datetime) -> IdentityRef | None:
        entry = self._entries.get(token)
        if entry is None:
            return None
        if entry[1] <= now:
            del self._entries[token]
            return None
        self._entries.move_to_end(token)
        return entry[0]

    def put(self, token: str, identity: IdentityRef, expires_at: datetime) -> None:
        self._entries[token] = (identity, expires_at)
        if len(self._entries) > self._size:
            self._entries.popitem(last=False)


def webchat_router(
    database: Database, inbox: Inbox, hub: WebChatHub, settings: WebchatSettings
) -> APIRouter:
    router = APIRouter()
    sessions = _SessionCache()
    widget_js, demo_page = _static("widget.js"), _static("index.html")

    async def visitor_from_token(token: str | None) -> IdentityRef | None:
        if not token:
            return None
        now = datetime.now(UTC)
        cached = sessions.get(token, now)
        if cached is not None:
            return cached
        async with database.read() as conn:
            found = await contact_store.find_web_session(conn, token, now=now)
        if found is None:
            return None
        sessions.put(token, *found)
        return found[0]

    async def visitor(
        authorization: Annotated[str | None, Header()] = None,
    ) -> IdentityRef:
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise HTTPException(401, "missing visitor token: send Authorization: Bearer <token>")
        identity = await visitor_from_token(token.strip())
        if identity is None:
            raise HTTPException(401, "unknown or expired visitor token: start a new session")
        return identity

    @router.post("/webchat/sessions", status_code=201)
    async def create_session(body: NewSession | None = None) -> dict[str, str]:
        now = datetime.now(UTC)
        async with database.write() as conn:
            token, identity = await contact_store.create_web_session(
                conn,
                now=now,
                ttl=timedelta(seconds=settings.session_ttl_seconds),
                locale=body.locale if body else None,
            )
        sessions.put(token, identity, now + timedelta(seconds=settings.session_ttl_seconds))
        return {"visitor_token": token}

    @router.post("/webchat/messages", status_code=202)
    async def post_message(
        body: NewMessage, identity: IdentityRef = Depends(visitor)
    ) -> dict[str, int]:
        text = body.text.strip()
        if not text:
            raise HTTPException(422, "text must not be empty")
        if len(text) > settings.max_text_length:
            raise HTTPException(
                422, f"text is longer than {settings.max_text_length} characters"
            )
        client_id = body.client_message_id or uuid.uuid4().hex
        message = InboundMessage(
            channel=NAME,
            # Scoped to the visitor: two visitors may pick the same client ids.
            external_id=f"{identity.external_user_id}:{client_id}",
            external_user_id=identity.external_user_id,
            text=text,
            locale=body.locale,
        )
        accepted = await inbox.accept(message, identity=identity)
        if not accepted.duplicate:
            hub.push(
                identity.external_user_id,
                {
                    "id": accepted.message_id,
                    "author": {"kind": "shopper", "name": None},
                    "text": text,
                    "created_at": (accepted.created_at or datetime.now(UTC)).isoformat(),
                },
            )
        return {"conversation_id": accepted.conversation_id, "message_id": accepted.message_id}

    @router.get("/webchat/messages")
    async def get_messages(
        identity: IdentityRef = Depends(visitor), after: Annotated[int, Query(ge=0)] = 0
    ) -> dict[str, list[dict[str, Any]]]:
        async with database.read() as conn:
            found = await message_store.for_contact(
                conn, identity.contact_id, after=after, limit=settings.poll_page_size
            )
        return {"messages": [m.public() for m in found]}

    @router.websocket("/webchat/ws")
    async def socket(websocket: WebSocket, token: str | None = None) -> None:
        identity = await visitor_from_token(token)
        if identity is None:
            reason = "unknown or expired visitor token" if token else "missing ?token="
            await _refuse(websocket, reason)
            return
        await websocket.accept()
        queue = hub.open(identity.external_user_id)
        receiver = asyncio.create_task(_wait_for_close(websocket))
        try:
            while True:
                getter = asyncio.create_task(queue.get())
                done, _ = await asyncio.wait(
                    {getter, receiver}, return_when=asyncio.FIRST_COMPLETED
                )
                if receiver in done:
                    getter.cancel()
                    break
                await websocket.send_json(getter.result())
        except (WebSocketDisconnect, RuntimeError):
            pass
        finally:
            receiver.cancel()
            hub.close(identity.external_user_id, queue)

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
