"""A fake Slack Web API, served over real HTTP for slack_sdk's `AsyncWebClient`.

Point relevo at it with `slack.api_base_url = fake.api_url`. It answers the methods
relevo uses the way slack.com does (`{"ok": true, …}`, errors as `{"ok": false,
"error": …}`), keeps the channel history it was sent (root messages, their threads,
updates), records every call and fails on cue: `fake.fail_next("chat.postMessage",
429, retry_after=7)` answers like Slack's rate limiter (HTTP 429, `Retry-After: 7`).
`fake.respond_url(...)` gives slash commands a `response_url` on this server.
For Socket Mode, `apps.connections.open` (called with the app-level token) answers
`fake.socket_url`: point it at a `tests.fakes.slack_socket.FakeSocketMode`.
"""

from __future__ import annotations

import itertools
import json
import threading
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.fakes.http_server import serving

BOT_USER = "U0RELEVOBOT"
BOT_ID = "B0RELEVOBOT"
TEAM = "T0SHOP0001"


@dataclass
class Call:
    method: str
    params: dict[str, Any]


@dataclass
class FakeSlack:
    token: str
    base_url: str = ""
    app_token: str = ""
    socket_url: str = ""
    calls: list[Call] = field(default_factory=list)
    # user id → users.info "user" object
    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    # (channel, ts) → the message as it is now (chat.update replaces it)
    messages: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    responses: list[dict[str, Any]] = field(default_factory=list)
    _failures: dict[str, deque[tuple[int, int | None, str]]] = field(default_factory=dict)
    _ts: Iterator[int] = field(default_factory=lambda: itertools.count(1))
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def api_url(self) -> str:
        return f"{self.base_url}/api/"

    def respond_url(self, name: str = "cmd") -> str:
        return f"{self.base_url}/respond/{name}"

    def add_user(self, user_id: str, name: str, email: str | None, *, is_bot: bool = False
                 ) -> None:
        profile: dict[str, Any] = {"real_name": name, "display_name": name}
        if email is not None:
            profile["email"] = email
        self.users[user_id] = {"id": user_id, "team_id": TEAM, "name": name.lower(),
                               "deleted": False, "is_bot": is_bot, "profile": profile}

    def fail_next(self, method: str, status: int, *, retry_after: int | None = None,
                  error: str = "ratelimited") -> None:
        self._failures.setdefault(method, deque()).append((status, retry_after, error))

    def sent(self, method: str) -> list[dict[str, Any]]:
        with self._lock:
            return [c.params for c in self.calls if c.method == method]

    def roots(self) -> list[dict[str, Any]]:
        """Top-level messages, as they are now, oldest first."""
        with self._lock:
            return [m for m in self.messages.values() if not m.get("thread_ts")]

    def thread(self, channel: str, ts: str) -> list[dict[str, Any]]:
        with self._lock:
            return [m for m in self.messages.values()
                    if m.get("thread_ts") == ts and m["channel"] == channel]

    @classmethod
    @contextmanager
    def running(cls, token: str) -> Iterator[FakeSlack]:
        fake = cls(token)
        with serving(fake.asgi()) as url:
            fake.base_url = url
            yield fake

    def asgi(self) -> Starlette:
        return Starlette(routes=[
            Route("/api/{method}", self._endpoint, methods=["GET", "POST"]),
            Route("/respond/{name}", self._respond, methods=["POST"]),
        ])

    async def _respond(self, request: Request) -> Response:
        with self._lock:
            self.responses.append(json.loads(await request.body()))
        return Response("ok")

    async def _endpoint(self, request: Request) -> Response:
        method = request.path_params["method"]
        params = await _params(request)
        # Socket Mode's URL is asked for with the app-level token, the rest with the bot's.
        token = self.app_token if method == "apps.connections.open" else self.token
        if not token or request.headers.get("authorization") != f"Bearer {token}":
            return JSONResponse({"ok": False, "error": "invalid_auth"})
        with self._lock:
            self.calls.append(Call(method, params))
            queue = self._failures.get(method)
            failure = queue.popleft() if queue else None
        if failure is not None:
            status, retry_after, error = failure
            headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
            return JSONResponse({"ok": False, "error": error}, status_code=status,
                                headers=headers)
        handler = getattr(self, "_m_" + method.replace(".", "_"), None)
        if handler is None:
            return JSONResponse({"ok": False, "error": "unknown_method"}, status_code=404)
        with self._lock:
            return JSONResponse(handler(params))

    # --- methods (called under the lock) ------------------------------------------

    def _m_auth_test(self, params: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "url": "https://shop.slack.com/", "team": "Shop", "user": "relevo",
                "team_id": TEAM, "user_id": BOT_USER, "bot_id": BOT_ID}

    def _m_apps_connections_open(self, params: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "url": self.socket_url}

    def _m_chat_postMessage(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = params.get("channel")
        if not channel:
            return {"ok": False, "error": "channel_not_found"}
        ts = f"1764000000.{next(self._ts):06d}"
        message = {"channel": channel, "ts": ts, "text": params.get("text", ""),
                   "blocks": _json(params.get("blocks")) or [], "user": BOT_USER,
                   "bot_id": BOT_ID, "thread_ts": params.get("thread_ts")}
        self.messages[(channel, ts)] = message
        return {"ok": True, "channel": channel, "ts": ts, "message": message}

    def _m_chat_update(self, params: dict[str, Any]) -> dict[str, Any]:
        key = (params.get("channel"), params.get("ts"))
        if key not in self.messages:
            return {"ok": False, "error": "message_not_found"}
        message = self.messages[key]
        message.update(text=params.get("text", ""), blocks=_json(params.get("blocks")) or [])
        return {"ok": True, "channel": key[0], "ts": key[1], "text": message["text"]}

    def _m_chat_postEphemeral(self, params: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "message_ts": f"1764000001.{next(self._ts):06d}"}

    def _m_users_info(self, params: dict[str, Any]) -> dict[str, Any]:
        user = self.users.get(str(params.get("user")))
        if user is None:
            return {"ok": False, "error": "user_not_found"}
        return {"ok": True, "user": user}

    def _m_views_open(self, params: dict[str, Any]) -> dict[str, Any]:
        if not params.get("trigger_id"):
            return {"ok": False, "error": "invalid_trigger_id"}
        view = _json(params.get("view"))
        return {"ok": True, "view": {"id": "V0TRANSFER1", **(view or {})}}


def _json(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


async def _params(request: Request) -> dict[str, Any]:
    params: dict[str, Any] = dict(request.query_params)
    body = await request.body()
    if request.headers.get("content-type", "").startswith("application/json"):
        params.update(json.loads(body) if body else {})
    elif body:
        params.update(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
    return params
