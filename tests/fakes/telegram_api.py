"""A fake Telegram Bot API, served over real HTTP for python-telegram-bot's `Bot`.

Point the SDK at it with `telegram.api_base_url = fake.base_url`. It answers the
methods relevo uses the way api.telegram.org does (`{"ok": true, "result": …}`),
records every call, and fails on cue: `fake.fail_next("sendMessage", 429,
retry_after=7)` answers like Telegram's flood control.
"""

from __future__ import annotations

import asyncio
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
from starlette.responses import JSONResponse
from starlette.routing import Route

from tests.fakes.http_server import serving

BOT_ID = 7000000001
MESSAGE_LIMIT = 4096  # characters of text, after entity parsing; checked before it here
TOO_LONG = "Bad Request: message is too long"
ERRORS = {
    401: "Unauthorized",
    400: "Bad Request: chat not found",
    403: "Forbidden: bot was blocked by the user",
    500: "Internal Server Error",
}


@dataclass
class Call:
    method: str
    params: dict[str, Any]


@dataclass
class FakeTelegram:
    token: str
    base_url: str = ""
    calls: list[Call] = field(default_factory=list)
    webhook: dict[str, Any] = field(default_factory=dict)
    updates: list[dict[str, Any]] = field(default_factory=list)
    # The update ids each successful getUpdates answer carried, in order.
    handed: list[list[int]] = field(default_factory=list)
    _failures: dict[str, deque[tuple[int, int | None]]] = field(default_factory=dict)
    _ids: Iterator[int] = field(default_factory=lambda: itertools.count(100))
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def fail_next(self, method: str, status: int, *, retry_after: int | None = None) -> None:
        self._failures.setdefault(method, deque()).append((status, retry_after))

    def sent(self, method: str = "sendMessage") -> list[dict[str, Any]]:
        return [c.params for c in self.calls if c.method == method]

    def push_update(self, update: dict[str, Any]) -> None:
        self.updates.append(update)

    def times_handed(self, update_id: int) -> int:
        """How many getUpdates answers carried this update (more than one: it was not
        confirmed, and asked for again)."""
        return sum(update_id in ids for ids in self.handed)

    @classmethod
    @contextmanager
    def running(cls, token: str) -> Iterator[FakeTelegram]:
        fake = cls(token)
        with serving(fake.asgi()) as url:
            fake.base_url = url
            yield fake

    def asgi(self) -> Starlette:
        return Starlette(
            routes=[Route("/bot{token}/{method}", self._endpoint, methods=["GET", "POST"])]
        )

    async def _endpoint(self, request: Request) -> JSONResponse:
        if request.path_params["token"] != self.token:
            return _error(401)
        method = request.path_params["method"]
        params = await _params(request)
        with self._lock:
            self.calls.append(Call(method, params))
            queue = self._failures.get(method)
            failure = queue.popleft() if queue else None
        if failure is not None:
            return _error(*failure)
        handler = getattr(self, f"_m_{method}", None)
        if handler is None:
            return _error(404)
        result = handler(params)
        if isinstance(result, JSONResponse):
            return result
        if method == "getUpdates" and not result:
            await asyncio.sleep(min(float(params.get("timeout") or 0), 0.1))
        return JSONResponse({"ok": True, "result": result})

    # --- methods ------------------------------------------------------------------

    def _m_getMe(self, params: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": BOT_ID, "is_bot": True, "first_name": "Relevo Shop",
            "username": "relevo_shop_bot", "can_join_groups": False,
            "can_read_all_group_messages": False, "supports_inline_queries": False,
        }

    def _m_sendMessage(self, params: dict[str, Any]) -> dict[str, Any] | JSONResponse:
        if len(params.get("text", "")) > MESSAGE_LIMIT:
            return _error(400, description=TOO_LONG)  # Telegram's own answer
        return {
            "message_id": next(self._ids),
            "date": 1764000000,
            "chat": {"id": int(params["chat_id"]), "type": "private"},
            "from": {"id": BOT_ID, "is_bot": True, "first_name": "Relevo Shop"},
            "text": params.get("text", ""),
        }

    def _m_sendChatAction(self, params: dict[str, Any]) -> bool:
        return True

    def _m_answerCallbackQuery(self, params: dict[str, Any]) -> bool:
        return True

    def _m_setWebhook(self, params: dict[str, Any]) -> bool:
        self.webhook = {
            "url": params["url"],
            "secret_token": params.get("secret_token"),
            "allowed_updates": params.get("allowed_updates"),
        }
        return True

    def _m_deleteWebhook(self, params: dict[str, Any]) -> bool:
        self.webhook = {}
        return True

    def _m_getWebhookInfo(self, params: dict[str, Any]) -> dict[str, Any]:
        info: dict[str, Any] = {
            "url": self.webhook.get("url", ""),
            "has_custom_certificate": False,
            "pending_update_count": 0,
        }
        if self.webhook.get("allowed_updates"):
            info["allowed_updates"] = self.webhook["allowed_updates"]
            info["max_connections"] = 40
        return info

    def _m_getUpdates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        if self.webhook.get("url"):
            return []  # Telegram answers 409 Conflict; relevo never gets this far
        offset = int(params.get("offset") or 0)
        with self._lock:
            # Like Telegram: asking from `offset` confirms every earlier update.
            self.updates = [u for u in self.updates if u["update_id"] >= offset]
            self.handed.append([u["update_id"] for u in self.updates])
            return list(self.updates)


async def _params(request: Request) -> dict[str, Any]:
    """PTB posts form fields whose non-string values are JSON-encoded."""
    content_type = request.headers.get("content-type", "")
    if content_type.startswith("application/json"):
        body = await request.body()
        return dict(json.loads(body)) if body else {}
    # url-encoded (python-multipart is not needed: relevo sends no files)
    form = parse_qsl((await request.body()).decode("utf-8"), keep_blank_values=True)
    return {k: json.loads(v) if k in _JSON_FIELDS else v for k, v in form}


_JSON_FIELDS = frozenset(
    {"chat_id", "reply_markup", "allowed_updates", "offset", "timeout", "limit",
     "drop_pending_updates", "show_alert", "cache_time", "max_connections"}
)


def _error(status: int, retry_after: int | None = None, *,
           description: str | None = None) -> JSONResponse:
    body: dict[str, Any] = {"ok": False, "error_code": status}
    if status == 429:
        body["description"] = f"Too Many Requests: retry after {retry_after or 1}"
        body["parameters"] = {"retry_after": retry_after or 1}
    else:
        body["description"] = description or ERRORS.get(status, "Not Found")
    return JSONResponse(body, status_code=status)
