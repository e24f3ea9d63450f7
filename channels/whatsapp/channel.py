"""WhatsApp through Twilio: `POST /webhooks/twilio/whatsapp` and its `/status` callback.

Every request's `X-Twilio-Signature` is checked with the SDK's `RequestValidator`
against the public URL Twilio called (`twilio.public_base_url`, so it holds behind
a TLS-terminating proxy) before anything is parsed or stored. Inbound messages are
deduped on `MessageSid`; media are fetched with the account's credentials, within
the type and size limits. Twilio gets an empty TwiML answer: replies leave through
the outbox and `WhatsAppChannel` (`whatsapp_send`).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import httpx
from fastapi import APIRouter, FastAPI, HTTPException, Request, Response
from twilio.request_validator import (
    SIGNATURE_HEADER,
    SIGNATURE_SETTINGS_HEADER,
    RequestValidator,
    get_signature_algorithm,
)

from relevo.bot.config import ConfigError
from relevo.bot.inbox import Inbox
from relevo.bot.protocols import Bus
from relevo.bot.store import messages as message_store
from relevo.bot.store.conversations import ConversationRow
from relevo.bot.store.db import Database
from relevo.bot.store.messages import StoredMessage
from relevo.bot.types import Attachment, InboundMessage, MessageSent
from relevo.channels.media import MediaPolicy, MediaRefused, MediaUnavailable, fetch_and_store
from relevo.channels.media import refusal_note as note
from relevo.channels.ratelimit import RateLimiter
from relevo.channels.whatsapp import store as store
from relevo.channels.whatsapp.config import TwilioSettings
from relevo.channels.whatsapp.parse import (
    NAME,
    BadRequest,
    ParsedInbound,
    parse_inbound,
    parse_status,
)
from relevo.channels.whatsapp.send import WhatsAppChannel, close_client, make_client

log = logging.getLogger("relevo.channels.whatsapp")

INBOUND_PATH = "/webhooks/twilio/whatsapp"
STATUS_PATH = "/webhooks/twilio/whatsapp/status"
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'

# (contact_id, channel, verified phone) → link with a contact known by that number.
VerifiedPhoneHook = Callable[[int, str, str], Awaitable[None]]


def twiml() -> Response:
    return Response(EMPTY_TWIML, media_type="text/xml")


class WhatsAppWebhooks:
    def __init__(
        self,
        settings: TwilioSettings,
        database: Database,
        inbox: Inbox,
        bus: Bus,
        media_client: Callable[[], httpx.AsyncClient],
        verified_phone: Callable[[], VerifiedPhoneHook | None] = lambda: None,
    ) -> None:
        if settings.auth_token is None or settings.account_sid is None:
            raise ValueError("twilio.account_sid and twilio.auth_token are required")
        self._settings = settings
        self._db = database
        self._inbox = inbox
        self._bus = bus
        self._media_client = media_client
        self._verified_phone = verified_phone
        self._validator = RequestValidator(settings.auth_token.get_secret_value())
        self._auth = (settings.account_sid.get_secret_value(),
                      settings.auth_token.get_secret_value())
        self._policy = MediaPolicy(settings.media_max_bytes, settings.media_types)

    async def verified_form(self, request: Request) -> dict[str, str]:
        """The form fields of a request Twilio signed, or 403/400."""
        signature = request.headers.get(SIGNATURE_HEADER)
        if not signature:
            raise HTTPException(403, f"missing {SIGNATURE_HEADER}")
        content_type = request.headers.get("content-type", "")
        body = (await request.body()).decode("utf-8", errors="replace")
        form = dict(parse_qsl(body, keep_blank_values=True))
        algorithm = get_signature_algorithm(request.headers.get(SIGNATURE_SETTINGS_HEADER))
        if not self._validator.validate(self.public_url(request), form, signature, algorithm):
            raise HTTPException(403, f"{SIGNATURE_HEADER} does not match this request")
        if not content_type.startswith("application/x-www-form-urlencoded"):
            raise HTTPException(400, "expected a form (application/x-www-form-urlencoded)")
        return form

    def public_url(self, request: Request) -> str:
        """The URL Twilio called: behind a proxy, not the one this process saw."""
        path_and_query = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        if self._settings.public_base_url:
            return self._settings.public_base_url.rstrip("/") + path_and_query
        proto = request.headers.get("x-forwarded-proto", request.url.scheme).split(",")[0]
        host = request.headers.get("x-forwarded-host", request.headers.get("host", ""))
        return f"{proto.strip()}://{host.split(',')[0].strip()}{path_and_query}"

    async def inbound(self, request: Request) -> Response:
        form = await self.verified_form(request)
        try:
            parsed = parse_inbound(form)
        except BadRequest as exc:
            raise HTTPException(400, str(exc)) from None
        if parsed.to != self._settings.whatsapp_from:
            raise HTTPException(400, f"To {parsed.to} is not this relevo's WhatsApp sender")
        async with self._db.read() as conn:
            if await message_store.find_inbound(conn, NAME, parsed.message.external_id):
                return twiml()  # Twilio's retry of a message already stored
        message = await self._with_media(parsed)
        await self._opt_keyword(parsed)
        accepted = await self._inbox.accept(message)
        hook = self._verified_phone()
        if not accepted.duplicate and hook is not None:
            await hook(accepted.contact_id, NAME, parsed.phone)
        return twiml()

    async def status(self, request: Request) -> Response:
        form = await self.verified_form(request)
        try:
            parsed = parse_status(form)
        except BadRequest as exc:
            raise HTTPException(400, str(exc)) from None
        if parsed.status is None:
            return twiml()
        error = f"Twilio error {parsed.error_code}" if parsed.error_code else None
        async with self._db.write() as conn:
            changed = await store.record_status(conn, parsed.message_sid, parsed.status, error)
        if changed is None:
            log.info("status %s for %s: nothing to update", parsed.twilio_status,
                     parsed.message_sid)
            return twiml()
        message_id, conversation_id = changed
        await self._bus.publish(
            MessageSent(conversation_id=conversation_id, at=datetime.now(UTC),
                        message_id=message_id, channel=NAME, status=parsed.status)
        )
        return twiml()

    async def _with_media(self, parsed: ParsedInbound) -> InboundMessage:
        if not parsed.media:
            return parsed.message
        kept: list[Attachment] = list(parsed.message.attachments)
        notes: list[str] = []
        for ref in parsed.media:
            try:
                kept.append(
                    await fetch_and_store(
                        self._media_client(), ref.url, policy=self._policy,
                        directory=Path(self._settings.media_dir),
                        declared_type=ref.content_type, auth=self._auth,
                    )
                )
            except MediaRefused as exc:
                notes.append(note("attachment", exc.reason))
            except MediaUnavailable as exc:
                # Keep the link (it needs the account's credentials) rather than lose it.
                log.warning("WhatsApp media not fetched: %s", exc)
                kept.append(Attachment(url=ref.url, content_type=ref.content_type))
        text = "\n".join(p for p in (parsed.message.text, *notes) if p)
        if not kept and not text:
            text = "[attachment]"
        return replace(parsed.message, text=text or "[attachment]", attachments=tuple(kept))

    async def _opt_keyword(self, parsed: ParsedInbound) -> None:
        keyword = parsed.keyword
        if keyword is None:
            return
        address = parsed.message.external_user_id
        if keyword in self._settings.opt_out_keywords:
            async with self._db.write() as conn:
                await store.set_opt_out(conn, address, keyword=keyword, now=datetime.now(UTC))
        elif keyword in self._settings.opt_in_keywords:
            async with self._db.write() as conn:
                await store.set_opt_out(conn, address, keyword=None, now=datetime.now(UTC))


def keyword_interceptor(
    settings: TwilioSettings,
) -> Callable[[StoredMessage, ConversationRow], Awaitable[bool]]:
    """STOP/START are instructions to relevo, not questions for the bot: no answer."""
    words = {w.upper() for w in (*settings.opt_out_keywords, *settings.opt_in_keywords)}

    async def intercept(message: StoredMessage, conversation: ConversationRow) -> bool:
        return message.channel == NAME and message.text.strip().upper() in words

    return intercept


def router(webhooks: WhatsAppWebhooks) -> APIRouter:
    routes = APIRouter()
    routes.add_api_route(INBOUND_PATH, webhooks.inbound, methods=["POST"],
                         include_in_schema=False)
    routes.add_api_route(STATUS_PATH, webhooks.status, methods=["POST"], include_in_schema=False)
    return routes


def install(app: FastAPI, relevo: Any) -> None:
    """Add the WhatsApp channel when the Twilio account SID and auth token are set."""
    settings: TwilioSettings = relevo.settings.twilio
    if settings.account_sid is None or settings.auth_token is None:
        return
    if settings.whatsapp_from is None:
        raise ConfigError("twilio.whatsapp_from: required when the Twilio credentials are set "
                          "(e.g. whatsapp:+14155238886)")
    status_url = (
        settings.public_base_url.rstrip("/") + STATUS_PATH if settings.public_base_url else None
    )
    limiter = RateLimiter(per_destination=None, total=settings.messages_per_second)
    channel = WhatsAppChannel(settings, relevo.database, limiter, status_callback=status_url)
    relevo.channels[NAME] = channel
    media: dict[str, httpx.AsyncClient] = {}
    webhooks = WhatsAppWebhooks(
        settings, relevo.database, relevo.inbox, relevo.bus,
        media_client=lambda: media["client"],
        verified_phone=lambda: relevo.extras.get("linking.verified_phone"),
    )
    app.include_router(router(webhooks))
    relevo.engine.intercept(keyword_interceptor(settings))

    async def start() -> None:
        if status_url is None:
            log.warning("twilio.public_base_url is not set: no delivery status callbacks")
        channel.client = make_client(settings)
        media["client"] = httpx.AsyncClient(timeout=httpx.Timeout(20.0, connect=5.0))

    async def stop() -> None:
        if channel.client is not None:
            await close_client(channel.client)
            channel.client = None
        if "client" in media:
            await media.pop("client").aclose()

    relevo.on_startup.append(start)
    relevo.on_shutdown.append(stop)
