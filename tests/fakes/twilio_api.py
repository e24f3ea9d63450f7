"""A fake Twilio REST API, served over real HTTP for the twilio SDK's async `Client`.

Point the SDK at it with `twilio.api_base_url = fake.base_url`. It checks HTTP
basic auth with the account SID and auth token, answers `POST …/Messages.json`
like Twilio (201 and a Message resource), serves media behind the account's
credentials (with Twilio's redirect to a CDN URL), records every message and fails
on cue: `fake.fail_next(429, retry_after=3)`, `fake.fail_next(400, code=63016)`.

`sign(url, params, auth_token)` signs a webhook exactly as Twilio does
(`X-Twilio-Signature`: base64 HMAC-SHA1 of the URL and the sorted form fields).
"""

from __future__ import annotations

import base64
import itertools
import threading
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route
from twilio.request_validator import RequestValidator

from tests.fakes.http_server import serving

ACCOUNT_SID = "AC" + "3f0c9b2e7d41a6c5b8e9f0a1b2c3d4e5"
AUTH_TOKEN = "9b5f2d7c1e8a4f3b6d0c2e9a7f1b3d5c"
SENDER = "whatsapp:+14155238886"

_MESSAGES = {
    63016: "Failed to send freeform message because you are outside the allowed window. "
    "If you are using WhatsApp, please use a Message Template.",
    21610: "Attempt to send to unsubscribed recipient",
    21211: "Invalid 'To' Phone Number",
    20429: "Too Many Requests",
    20500: "Internal Server Error",
}


def sign(url: str, params: dict[str, str], auth_token: str = AUTH_TOKEN) -> str:
    return str(RequestValidator(auth_token).compute_signature(url, params))


@dataclass
class FakeTwilio:
    account_sid: str = ACCOUNT_SID
    auth_token: str = AUTH_TOKEN
    base_url: str = ""
    messages: list[dict[str, str]] = field(default_factory=list)
    attempts: int = 0
    media: dict[str, tuple[bytes, str]] = field(default_factory=dict)
    _failures: deque[tuple[int, int | None, int | None]] = field(default_factory=deque)
    _ids: Iterator[int] = field(default_factory=lambda: itertools.count(1))
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    @contextmanager
    def running(cls, port: int | None = None) -> Iterator[FakeTwilio]:
        fake = cls()
        with serving(fake.asgi(), port) as url:
            fake.base_url = url
            yield fake

    def fail_next(self, status: int, *, code: int | None = None,
                  retry_after: int | None = None) -> None:
        self._failures.append((status, code, retry_after))

    def add_media(self, media_sid: str, body: bytes, content_type: str) -> str:
        """Store a file a shopper sent; returns its MediaUrl as Twilio gives it."""
        self.media[media_sid] = (body, content_type)
        return (f"{self.base_url}/2010-04-01/Accounts/{self.account_sid}/Messages/"
                f"MM{'0' * 32}/Media/{media_sid}")

    def asgi(self) -> Starlette:
        prefix = "/2010-04-01/Accounts/{account}"
        return Starlette(routes=[
            Route(prefix + "/Messages.json", self._create, methods=["POST"]),
            Route(prefix + "/Messages/{message}/Media/{media}", self._media, methods=["GET"]),
            Route("/cdn/{media}", self._cdn, methods=["GET"]),
        ])

    def _authorised(self, request: Request) -> bool:
        expected = base64.b64encode(f"{self.account_sid}:{self.auth_token}".encode()).decode()
        return (request.headers.get("authorization") == f"Basic {expected}"
                and request.path_params["account"] == self.account_sid)

    async def _create(self, request: Request) -> Response:
        if not self._authorised(request):
            return _error(401, 20003, "Authentication Error - invalid username")
        params = dict(parse_qsl((await request.body()).decode(), keep_blank_values=True))
        with self._lock:
            self.attempts += 1
            failure = self._failures.popleft() if self._failures else None
        if failure is not None:
            status, code, retry_after = failure
            code = code or {429: 20429, 500: 20500}.get(status, 21211)
            headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
            return _error(status, code, _MESSAGES.get(code, "Error"), headers)
        sid = f"SM{next(self._ids):032x}"
        with self._lock:
            self.messages.append(params | {"Sid": sid})
        return JSONResponse(_resource(self.account_sid, sid, params), status_code=201)

    async def _media(self, request: Request) -> Response:
        if not self._authorised(request):
            return _error(401, 20003, "Authentication Error - invalid username")
        media = request.path_params["media"]
        if media not in self.media:
            return _error(404, 20404, "The requested resource was not found")
        # Twilio answers with a redirect to a short-lived CDN URL.
        return RedirectResponse(f"{self.base_url}/cdn/{media}", status_code=307)

    async def _cdn(self, request: Request) -> Response:
        body, content_type = self.media[request.path_params["media"]]
        return Response(body, media_type=content_type)


def _resource(account: str, sid: str, params: dict[str, str]) -> dict[str, Any]:
    return {
        "account_sid": account, "api_version": "2010-04-01", "body": params.get("Body", ""),
        "date_created": "Tue, 25 Nov 2026 10:00:00 +0000", "date_sent": None,
        "date_updated": "Tue, 25 Nov 2026 10:00:00 +0000", "direction": "outbound-api",
        "error_code": None, "error_message": None, "from": params.get("From"),
        "messaging_service_sid": None, "num_media": "0", "num_segments": "1", "price": None,
        "price_unit": None, "sid": sid, "status": "queued",
        "subresource_uris": {"media": f"/2010-04-01/Accounts/{account}/Messages/{sid}/Media.json"},
        "to": params.get("To"), "uri": f"/2010-04-01/Accounts/{account}/Messages/{sid}.json",
    }


def _error(status: int, code: int, message: str,
           headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(
        {"code": code, "message": message, "more_info": f"https://www.twilio.com/docs/errors/{code}",
         "status": status},
        status_code=status, headers=headers,
    )
