"""Structured logs: one JSON line per request, never a secret or a message's text;
and `without_message`, for logging a failure without the shopper text it may quote.

The query string is not logged (it carries the WebSocket `token=`), nor any header.
"""

from __future__ import annotations

import json
import logging
import re
import time
from datetime import UTC, datetime
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from relevo.bot.metrics import Metrics

access_log = logging.getLogger("relevo.http")


# Credentials that third-party loggers (uvicorn's WebSocket line, httpx) may print.
_SECRETS = re.compile(
    r"((?:token|secret|signature|password|api_key|key)=)[^&\s\"']+"
    r"|(Bearer\s+)[^\s\"']+"
    r"|(/bot)\d+:[\w-]+"  # Telegram puts the bot token in every API URL
    r"|()xox[abpre]-[\w-]+"  # Slack tokens
    r"|()rlv_[\w-]{20,}",  # relevo operator API tokens
    re.IGNORECASE,
)


def redact(text: str) -> str:
    return _SECRETS.sub(
        lambda m: next(g for g in m.groups() if g is not None) + "[redacted]", text
    )


class MessageHidden(Exception):
    """Stands in a log record for an exception whose message may quote a shopper."""


def without_message(exc: BaseException) -> MessageHidden:
    """`exc` as a log record's `exc_info` shows it without its message: the type and the
    traceback (where it failed), not what an NLU or a driver quoted of the text it was
    given. Shopper text is logged only with `log_shopper_text` on."""
    hidden = MessageHidden(f"{type(exc).__module__}.{type(exc).__qualname__} "
                           "(message hidden: log_shopper_text is off)")
    hidden.__suppress_context__ = True
    return hidden.with_traceback(exc.__traceback__)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return redact(self._format(record))

    def _format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            entry.update(fields)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def configure_logging(level: str) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # uvicorn's own access log would print query strings (tokens): ours replaces it.
    logging.getLogger("uvicorn.access").disabled = True
    for noisy in ("httpx", "httpcore", "aiosqlite", "sqlalchemy.engine"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, logging.getLevelName(level)))


class RequestLogMiddleware:
    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 0

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "websocket.accept":
                status = 101
            elif message["type"] == "websocket.http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            route = scope.get("route")
            path = getattr(route, "path", None) or "unmatched"
            method = scope.get("method", "WS")
            self.metrics.inc(
                "relevo_http_requests_total", method=method, route=path, status=str(status or 500)
            )
            if access_log.isEnabledFor(logging.INFO):
                access_log.info(
                    "request",
                    extra={
                        "fields": {
                            "method": method,
                            "path": scope.get("path"),
                            "route": path,
                            "status": status or 500,
                            "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                        }
                    },
                )
