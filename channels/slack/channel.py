"""Slack, the operators' side: a thread per handed-off conversation, worked from Slack.

One URL, `POST /slack/events`, takes the Events API, interactivity (buttons, the
transfer dialog) and the slash command; slack-bolt's `AsyncApp` dispatches them. In
front of it this module checks the request signature (401 when forged or older than
five minutes), refuses bodies that are not Slack payloads (400), and records each
`event_id` so Slack's retries (`X-Slack-Retry-Num`) are answered 200 and dropped.
Listeners acknowledge at once and do the work afterwards (`slack_events.Jobs`).
Posts to Slack are queued rows delivered by `slack_sync.SlackPoster`. With
`slack.mode: socket` (development, no public URL) the same app runs over Socket Mode.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import aiohttp
from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.responses import JSONResponse
from slack_bolt.adapter.starlette.async_handler import AsyncSlackRequestHandler
from slack_bolt.async_app import AsyncApp
from slack_bolt.request.internals import parse_body
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient

from relevo.bot.store.db import Database
from relevo.channels.slack import store as slack_store
from relevo.channels.slack.config import SlackSettings
from relevo.channels.slack.events import Jobs, SlackHandlers, SlackOperators
from relevo.channels.slack.poster import SlackPoster
from relevo.channels.slack.sync import SlackSync

if TYPE_CHECKING:
    from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

log = logging.getLogger("relevo.channels.slack")

EVENTS_PATH = "/slack/events"


@dataclass
class SlackRuntime:
    """The Slack side of a running relevo (in `relevo.extras["slack"]`)."""

    client: AsyncWebClient
    bolt: AsyncApp
    poster: SlackPoster
    sync: SlackSync
    jobs: Jobs
    operators: SlackOperators


def make_client(settings: SlackSettings) -> AsyncWebClient:
    token = settings.bot_token.get_secret_value() if settings.bot_token else None
    return AsyncWebClient(token=token, base_url=settings.api_base_url.rstrip("/") + "/",
                          timeout=10)


def events_router(bolt: AsyncApp, signing_secret: str, database: Database) -> APIRouter:
    router = APIRouter()
    verifier = SignatureVerifier(signing_secret)
    handler = AsyncSlackRequestHandler(bolt)

    @router.post(EVENTS_PATH, include_in_schema=False)
    async def slack_events(request: Request) -> Response:
        body = await request.body()
        timestamp = request.headers.get("X-Slack-Request-Timestamp", "")
        signature = request.headers.get("X-Slack-Signature", "")
        if not timestamp.isdigit() or not verifier.is_valid(body, timestamp, signature):
            return JSONResponse({"detail": "invalid Slack signature or request older than "
                                           "5 minutes"}, status_code=401)
        try:
            payload = parse_body(body.decode("utf-8"), request.headers.get("content-type"))
        except (ValueError, UnicodeDecodeError):
            return JSONResponse({"detail": "not a Slack payload: body is not valid JSON or "
                                           "form data"}, status_code=400)
        problem = _malformed(payload)
        if problem is not None:
            return JSONResponse({"detail": f"not a Slack payload: {problem}"}, status_code=400)
        key = None
        if payload.get("type") == "event_callback":
            key = f"event:{payload['event_id']}"
            async with database.write() as conn:
                fresh = await slack_store.first_time(conn, key, now=datetime.now(UTC))
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


def _malformed(payload: Any) -> str | None:
    if not isinstance(payload, dict) or not payload:
        return "empty or not an object"
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


def install(app: FastAPI, relevo: Any) -> None:
    """Add the Slack side when `RELEVO_SLACK__BOT_TOKEN` and
    `RELEVO_SLACK__SIGNING_SECRET` are both set."""
    settings = relevo.settings.slack
    token = settings.bot_token.get_secret_value() if settings.bot_token else ""
    secret = settings.signing_secret.get_secret_value() if settings.signing_secret else ""
    if not token or not secret:
        return
    app_token = settings.app_token.get_secret_value() if settings.app_token else ""
    handoff = relevo.extras.get("handoff")
    if handoff is None:
        log.warning("slack: the handoff tier is not installed; Slack stays off")
        return
    client = make_client(settings)
    poster = SlackPoster(relevo.database, handoff, client, settings, relevo.settings.outbox)
    sync = SlackSync(relevo.database, handoff, poster.wake)
    operators = SlackOperators(relevo.database, handoff, client)
    jobs = Jobs()
    bolt = AsyncApp(client=client, signing_secret=secret, process_before_response=True,
                    logger=logging.getLogger("relevo.channels.slack.bolt"))
    SlackHandlers(relevo.database, handoff, client, settings, operators, jobs).register(bolt)
    runtime = SlackRuntime(client, bolt, poster, sync, jobs, operators)
    relevo.extras["slack"] = runtime
    app.include_router(events_router(bolt, secret, relevo.database))
    subscription: list[Any] = []
    socket: list[AsyncSocketModeHandler] = []

    async def start() -> None:
        # One connection pool for every Web API call, closed at shutdown.
        client.session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10))
        subscription.append(relevo.bus.subscribe(sync.on_event, name="slack"))
        await sync.recover()
        await poster.start()
        if settings.mode == "socket":
            from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

            handler = AsyncSocketModeHandler(bolt, app_token)
            await handler.connect_async()  # type: ignore[no-untyped-call]
            socket.append(handler)
            log.info("slack: Socket Mode connected")

    async def stop() -> None:
        for handler in socket:
            await handler.close_async()  # type: ignore[no-untyped-call]
        await jobs.join()
        await poster.stop()
        for sub in subscription:
            await sub.close()
        if client.session is not None:
            await client.session.close()

    relevo.on_startup.append(start)
    relevo.on_shutdown.append(stop)
