"""`install(app, relevo)`: the WhatsApp channel in today's plugin wiring. A thin
function: every part is built with its dependencies, so the composition root can
build them itself and this module can go."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from fastapi import FastAPI

from relevo.bot.config import ConfigError
from relevo.bot.inbox import VerifiedPhoneHook
from relevo.channels.media import MediaPolicy
from relevo.channels.ratelimit import RateLimiter
from relevo.channels.whatsapp.config import TwilioSettings
from relevo.channels.whatsapp.http import TwilioHttp
from relevo.channels.whatsapp.media import MediaFetcher
from relevo.channels.whatsapp.optout import OptOuts
from relevo.channels.whatsapp.parse import NAME
from relevo.channels.whatsapp.routes import STATUS_PATH, WhatsAppWebhooks
from relevo.channels.whatsapp.send import WhatsAppChannel
from relevo.channels.whatsapp.verify import TwilioSignature

log = logging.getLogger("relevo.channels.whatsapp")


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
    http = TwilioHttp()
    channel = WhatsAppChannel(
        settings, relevo.database, limiter, http, status_callback=status_url
    )
    relevo.channels[NAME] = channel
    auth_token = settings.auth_token.get_secret_value()
    media = MediaFetcher(
        http,
        MediaPolicy(settings.media_max_bytes, settings.media_types),
        Path(settings.media_dir),
        (settings.account_sid.get_secret_value(), auth_token),
    )
    opt_outs = OptOuts(relevo.database, settings.opt_out_keywords, settings.opt_in_keywords)
    webhooks = WhatsAppWebhooks(
        relevo.inbox.accept,
        TwilioSignature(auth_token, settings.public_base_url),
        settings.whatsapp_from,
        media,
        opt_outs,
        relevo.inbox.receipt,
        on_verified_phone=linking_hook(relevo),
    )
    app.include_router(webhooks.router())
    relevo.engine.intercept(opt_outs.interceptor())

    async def start() -> None:
        if status_url is None:
            log.warning("twilio.public_base_url is not set: no delivery status callbacks")
        await http.start()

    async def stop() -> None:
        await http.stop()

    relevo.on_startup.append(start)
    relevo.on_shutdown.append(stop)


def linking_hook(relevo: Any) -> VerifiedPhoneHook:
    """The linker's `verified_phone`, looked up when called: linking is installed
    after the channels in today's plugin order."""

    async def hook(contact_id: int, channel: str, phone: str) -> None:
        linked: VerifiedPhoneHook | None = relevo.extras.get("linking.verified_phone")
        if linked is not None:
            await linked(contact_id, channel, phone)

    return hook
