"""Slack, the operators' side: a thread per handed-off conversation, worked from Slack.

One URL, `POST /slack/events`, takes the Events API, interactivity (buttons, the
transfer dialog) and the slash command; slack-bolt's `AsyncApp` dispatches them. In
front of it this module verifies each request once, here (401 when the signature is
forged or older than five minutes; Bolt's own verification is switched off), refuses
bodies that are not Slack payloads (400), and records each `event_id` so Slack's
retries (`X-Slack-Retry-Num`) are answered 200 and dropped. Listeners acknowledge at
once and do the work afterwards (`events.Jobs`), through the `OperatorDesk`. Posts
to Slack are outbox rows, delivered by the core's outbox worker through
`poster.SlackPoster`. With `slack.mode: socket` (development, no public URL) the same
app runs over Socket Mode.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

import aiohttp
from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from slack_bolt.adapter.starlette.async_handler import AsyncSlackRequestHandler
from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient

from relevo.bot.catalog import Catalog
from relevo.bot.clock import utc_now
from relevo.bot.protocols import Bus, OperatorDesk, Subscription
from relevo.bot.store.db import Database
from relevo.bot.text import sanitize_json
from relevo.bot.worker import RoundWorker
from relevo.channels.slack import store as slack_store
from relevo.channels.slack.config import SlackSettings
from relevo.channels.slack.events import Jobs, SlackHandlers, SlackOperators
from relevo.channels.slack.poster import SlackPoster
from relevo.channels.slack.shape import shape_problem
from relevo.channels.slack.sync import SlackSync
from relevo.channels.slack.texts import SlackTexts

if TYPE_CHECKING:
    from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

log = logging.getLogger("relevo.channels.slack")

EVENTS_PATH = "/slack/events"
KEEP_EVENT_IDS = timedelta(days=2)  # Slack retries an event for minutes; days are plenty


def make_client(settings: SlackSettings) -> AsyncWebClient:
    token = settings.bot_token.get_secret_value() if settings.bot_token else None
    return AsyncWebClient(token=token, base_url=settings.api_base_url.rstrip("/") + "/",
                          timeout=10)


class EventIdPruner(RoundWorker):
    """Forgets handled event ids older than Slack's retries, once an hour."""

    name = "relevo-slack-pruner"

    def __init__(self, database: Database) -> None:
        super().__init__()
        self._db = database

    @property
    def poll_seconds(self) -> float:
        return 3600.0

    async def work_round(self) -> int:
        async with self._db.write() as conn:
            await slack_store.prune(conn, before=utc_now() - KEEP_EVENT_IDS)
        return 0


@dataclass
class SlackRuntime:
    """The Slack side of a running relevo, built from its dependencies."""

    settings: SlackSettings
    database: Database
    desk: OperatorDesk
    bus: Bus
    client: AsyncWebClient
    wake_outbox: Callable[[], None]  # posts were written: deliver them now
    catalog: Catalog
    texts: SlackTexts = field(init=False)
    bolt: AsyncApp = field(init=False)
    poster: SlackPoster = field(init=False)
    sync: SlackSync = field(init=False)
    jobs: Jobs = field(init=False)
    operators: SlackOperators = field(init=False)
    pruner: EventIdPruner = field(init=False)
    _subscription: Subscription | None = field(init=False, default=None)
    _socket: AsyncSocketModeHandler | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        secret = self.settings.signing_secret
        self.texts = SlackTexts(self.catalog, self.settings.locale)
        self.poster = SlackPoster(self.database, self.desk, self.client, self.settings,
                                  texts=self.texts)
        self.sync = SlackSync(self.database, self.desk, self.wake_outbox, self.texts)
        self.operators = SlackOperators(self.database, self.desk, self.client)
        self.jobs = Jobs()
        self.pruner = EventIdPruner(self.database)
        # Requests are verified once, in `events_router`; Bolt must not do it again.
        self.bolt = AsyncApp(client=self.client,
                             signing_secret=secret.get_secret_value() if secret else None,
                             request_verification_enabled=False,
                             process_before_response=True,
                             logger=logging.getLogger("relevo.channels.slack.bolt"))
        self.bolt.middleware(_sanitised)
        SlackHandlers(self.database, self.desk, self.client, self.settings, self.operators,
                      self.jobs, self.texts).register(self.bolt)

    def router(self) -> APIRouter:
        secret = self.settings.signing_secret
        return events_router(self.bolt, secret.get_secret_value() if secret else "",
                             self.database)

    async def start(self) -> None:
        # One connection pool for every Web API call, closed at shutdown.
        self.client.session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10))
        self._subscription = self.bus.subscribe(self.sync.on_event, name="slack")
        await self.sync.recover()
        await self.pruner.start()
        if self.settings.mode == "socket":
            from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

            token = self.settings.app_token
            handler = AsyncSocketModeHandler(self.bolt, token.get_secret_value() if token else "")
            await handler.connect_async()  # type: ignore[no-untyped-call]
            self._socket = handler
            log.info("slack: Socket Mode connected")

    async def stop(self) -> None:
        if self._socket is not None:
            await self._socket.close_async()  # type: ignore[no-untyped-call]
        await self.jobs.join()
        await self.pruner.stop()
        if self._subscription is not None:
            await self._subscription.close()
        if self.client.session is not None:
            await self.client.session.close()


def events_router(bolt: AsyncApp, signing_secret: str, database: Database) -> APIRouter:
    router = APIRouter()
    verifier = SignatureVerifier(signing_secret)
    handler = AsyncSlackRequestHandler(bolt)

    @router.post(EVENTS_PATH, include_in_schema=False)
    async def slack_events(request: Request) -> Response:
        body = await request.body()
        timestamp = request.headers.get("X-Slack-Request-Timestamp", "")
        signature = request.headers.get("X-Slack-Signature", "")
        try:
            # Slack sends UTF-8; the verifier decodes the body, and would raise on bytes
            # that are not.
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            text = None
        # ASCII only: "²".isdigit() holds, and the verifier's int() refuses it; its
        # compare_digest refuses a str signature that is not ASCII.
        if text is None or not (timestamp.isascii() and timestamp.isdigit()) \
                or not signature.isascii() or not verifier.is_valid(text, timestamp, signature):
            return JSONResponse({"detail": "invalid Slack signature or request older than "
                                           "5 minutes"}, status_code=401)
        try:
            payload = parse_body(text, request.headers.get("content-type"))
            payload = sanitize_json(payload)  # the event id is stored below
        except (ValueError, RecursionError):
            return JSONResponse({"detail": "not a Slack payload: body is not valid JSON or "
                                           "form data"}, status_code=400)
        problem = _malformed(payload)
        if problem is not None:
            return JSONResponse({"detail": f"not a Slack payload: {problem}"}, status_code=400)
        key = None
        if payload.get("type") == "event_callback":
            key = f"event:{payload['event_id']}"
            async with database.write() as conn:
                fresh = await slack_store.first_time(conn, key, now=utc_now())
            if not fresh:
                log.info("slack event %s seen before (retry %s): ignored", payload["event_id"],
                         request.headers.get("X-Slack-Retry-Num", "-"))
                return Response(status_code=200)
        response = await handler.handle(request)
        if key is not None and response.status_code >= 300:
            async with database.write() as conn:  # not handled: let Slack's retry in
                await slack_store.forget(conn, key)
        return response

    return router


async def _sanitised(req: AsyncBoltRequest, next: Callable[[], Awaitable[BoltResponse]]
                     ) -> BoltResponse:
    """Every listener (over HTTP and Socket Mode) reads the payload with its text
    sanitised (`bot.text`): what Slack signed is handled, never refused, and a NUL or
    a lone surrogate never reaches storage."""
    req.body = sanitize_json(req.body)
    return await next()


def parse_body(body: str, content_type: str | None) -> Any:
    """A Slack request body: JSON (Events API) or a form, whose `payload` field is the
    JSON of an interaction (a slash command is the form itself). Raises ValueError."""
    try:
        if (content_type or "").startswith("application/json") or \
                body.lstrip().startswith("{"):
            return json.loads(body)
        fields = dict(parse_qsl(body, keep_blank_values=True))
        if "payload" in fields:
            return json.loads(fields["payload"])
    except RecursionError:
        raise ValueError("JSON nested too deep") from None
    return fields


def _malformed(payload: Any) -> str | None:
    if not isinstance(payload, dict) or not payload:
        return "empty or not an object"
    return _unknown_kind(payload) or shape_problem(payload)


def _unknown_kind(payload: dict[str, Any]) -> str | None:
    kind = payload.get("type")
    if kind == "event_callback":
        if not isinstance(payload.get("event_id"), str) or not payload["event_id"]:
            return "event_callback without event_id"
        if not isinstance(payload.get("event"), dict) or "type" not in payload["event"]:
            return "event_callback without an event"
        return None
    if kind == "url_verification":
        return None if isinstance(payload.get("challenge"), str) else "no challenge"
    if kind in ("block_actions", "view_submission", "view_closed"):
        user = payload.get("user")
        return None if isinstance(user, dict) and user.get("id") else f"{kind} without a user"
    if "command" in payload:
        return None if payload.get("user_id") else "command without user_id"
    if kind == "ssl_check" or payload.get("ssl_check"):
        return None
    return f"unknown payload type {kind!r}"


def enabled(settings: SlackSettings) -> bool:
    token = settings.bot_token.get_secret_value() if settings.bot_token else ""
    secret = settings.signing_secret.get_secret_value() if settings.signing_secret else ""
    return bool(token and secret)
