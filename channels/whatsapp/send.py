"""Sending WhatsApp messages through the twilio SDK's async API, over the channel's
one httpx client (`http`), never blocking the event loop, within WhatsApp's rules:

- inside the 24-hour customer-service window (since the shopper last wrote):
  free text;
- outside it: the approved template configured for the message's purpose
  (`ContentSid` + `ContentVariables`), or a permanent failure whose reason tells
  the operator plainly that it cannot be delivered until the shopper writes again;
- never to a shopper who opted out; at most `twilio.messages_per_second` from the
  sender; Twilio's 429 `Retry-After` honoured by the outbox.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import httpx
from twilio.base.exceptions import TwilioRestException
from twilio.rest import Client

from relevo.bot.clock import Clock, utc_now
from relevo.bot.formatting import to_whatsapp
from relevo.bot.store.db import Database
from relevo.bot.types import (
    AuthorKind,
    DeliveryStatus,
    OutboundMessage,
    PermanentDeliveryError,
    SendResult,
    TransientDeliveryError,
)
from relevo.channels.ratelimit import RateLimiter
from relevo.channels.whatsapp import store as store
from relevo.channels.whatsapp.config import TwilioSettings, WhatsAppTemplate
from relevo.channels.whatsapp.http import NotStarted, TwilioHttp, TwilioRateLimited
from relevo.channels.whatsapp.parse import NAME

WINDOW = timedelta(hours=24)
# Twilio error codes that will not change on a retry.
_WINDOW_CLOSED = 63016  # "outside the allowed window"
_UNSUBSCRIBED = 21610


def make_client(settings: TwilioSettings, http: TwilioHttp) -> Client:
    """The real SDK client over the channel's HTTP client, pointed at
    `twilio.api_base_url`. Opens nothing: `http` is opened at start-up."""
    if settings.account_sid is None or settings.auth_token is None:
        raise ValueError("twilio.account_sid and twilio.auth_token are required")
    client = Client(
        settings.account_sid.get_secret_value(),
        settings.auth_token.get_secret_value(),
        http_client=http,
    )
    # The Api domain is where Messages live; every URL it builds starts here.
    client.api.base_url = settings.api_base_url.rstrip("/")
    return client


def template_purpose(message: OutboundMessage, meta: dict[str, Any]) -> str:
    """Which configured template stands in for this message outside the window."""
    if isinstance(meta.get("template_purpose"), str):
        return str(meta["template_purpose"])
    if "csat" in meta or meta.get("handoff") == "csat_question":
        return "csat"
    if message.author.kind == AuthorKind.OPERATOR:
        return "operator_reply"
    return message.author.kind.value


class WhatsAppChannel:
    name = NAME

    def __init__(
        self,
        settings: TwilioSettings,
        database: Database,
        limiter: RateLimiter,
        http: TwilioHttp,
        *,
        status_callback: str | None,
        clock: Clock = utc_now,
        feedback_line: Callable[[str | None], str] | None = None,
    ) -> None:
        """`feedback_line(locale)`: "Did this help? Reply 👍 or 👎", the line under a
        bot answer that takes a vote (WhatsApp free text has no buttons)."""
        if settings.whatsapp_from is None:
            raise ValueError("twilio.whatsapp_from is required")
        self._settings = settings
        self._sender = settings.whatsapp_from
        self._db = database
        self._limiter = limiter
        self._status_callback = status_callback
        self._clock = clock
        self._feedback_line = feedback_line
        self._client = make_client(settings, http)

    async def send(self, message: OutboundMessage) -> SendResult:
        params = await self._params(message)
        await self._limiter.acquire(self._sender)
        try:
            created = await self._client.messages.create_async(**params)
        except TwilioRateLimited as exc:
            raise TransientDeliveryError(
                "Twilio 429 Too Many Requests", retry_after=exc.retry_after
            ) from exc
        except TwilioRestException as exc:
            raise _delivery_error(exc) from exc
        except NotStarted as exc:
            raise TransientDeliveryError("the Twilio client is not open yet") from exc
        except httpx.HTTPError as exc:
            raise TransientDeliveryError(f"Twilio unreachable: {type(exc).__name__}") from exc
        return SendResult(external_id=created.sid, status=DeliveryStatus.SENT)

    async def _params(self, message: OutboundMessage) -> dict[str, Any]:
        async with self._db.read() as conn:
            if await store.opted_out(conn, message.recipient):
                raise PermanentDeliveryError(
                    "the shopper opted out of WhatsApp messages (STOP); nothing is sent "
                    "until they write START"
                )
            last = await store.last_inbound_at(conn, message.recipient)
            meta = await store.meta_of(conn, message.message_id)
        params: dict[str, Any] = {"from_": self._sender, "to": message.recipient}
        if self._status_callback:
            params["status_callback"] = self._status_callback
        now = self._clock()
        if last is not None and now - last < WINDOW:
            params["body"] = _text(message, self._feedback_line)
            return params
        purpose = template_purpose(message, meta)
        template = self._settings.templates.get(purpose)
        if template is None:
            since = f"last wrote {_ago(now - last)} ago" if last else "has not written"
            raise PermanentDeliveryError(
                f"not delivered: outside WhatsApp's 24-hour window (the shopper {since}) "
                f"and no approved template is configured for '{purpose}'. It cannot be "
                "delivered until the shopper writes again."
            )
        params["content_sid"] = template.content_sid
        params["content_variables"] = json.dumps(_variables(template, message, meta))
        return params


def _variables(
    template: WhatsAppTemplate, message: OutboundMessage, meta: dict[str, Any]
) -> dict[str, str]:
    values = {"text": message.text, "name": message.author.name or ""}
    values.update({k: str(v) for k, v in (meta.get("template_variables") or {}).items()})
    return {key: pattern.format_map(_Blank(values)) for key, pattern in template.variables.items()}


class _Blank(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return ""


def _text(
    message: OutboundMessage, feedback_line: Callable[[str | None], str] | None = None
) -> str:
    # Bot answers in WhatsApp's own formatting (*bold*, "label (url)"); the rest as written.
    text = to_whatsapp(message.text) if message.author.kind == AuthorKind.BOT else message.text
    if message.feedback and feedback_line is not None:
        text += "\n\n" + feedback_line(message.locale)
    if message.rating_scale:  # a rating (CSAT): "1 ⭐ Bad" … "5 ⭐⭐⭐⭐⭐ Excellent"
        text += "\n" + "\n".join(f"{q.payload} {q.title}" for q in message.quick_replies)
    missing = [q.title for q in message.quick_replies if q.title not in text]
    if missing:  # WhatsApp free text has no buttons: the options as numbered lines
        text += "\n" + "\n".join(f"{i}. {title}" for i, title in enumerate(missing, 1))
    if message.author.kind == AuthorKind.OPERATOR and message.author.name:
        return f"*{message.author.name}*\n{text}"
    return text


def _delivery_error(exc: TwilioRestException) -> TransientDeliveryError | PermanentDeliveryError:
    reason = f"Twilio {exc.status} (error {exc.code}): {exc.msg}"
    if exc.code == _WINDOW_CLOSED:
        return PermanentDeliveryError(
            "not delivered: WhatsApp's 24-hour window is closed; it cannot be delivered "
            f"until the shopper writes again ({reason})"
        )
    if exc.code == _UNSUBSCRIBED:
        return PermanentDeliveryError(f"the shopper unsubscribed ({reason})")
    if exc.status == 429 or exc.status >= 500:
        return TransientDeliveryError(reason)
    return PermanentDeliveryError(reason)


def _ago(delta: timedelta) -> str:
    hours = delta.total_seconds() / 3600
    return f"{hours:.0f} hours" if hours < 48 else f"{hours / 24:.0f} days"
