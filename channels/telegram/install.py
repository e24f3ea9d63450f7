"""`install(app, relevo)`: the Telegram channel in today's plugin wiring. A thin
function: every part is built with its dependencies, so the composition root can
build them itself and this module can go."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from relevo.bot.catalog import Catalog
from relevo.bot.conversations import Conversations
from relevo.bot.inbox import VerifiedPhoneHook
from relevo.channels.media import MediaPolicy
from relevo.channels.ratelimit import RateLimiter
from relevo.channels.telegram.handler import UpdateHandler
from relevo.channels.telegram.parse import NAME
from relevo.channels.telegram.polling import Poller
from relevo.channels.telegram.routes import TelegramWebhook
from relevo.channels.telegram.send import TelegramChannel, make_bot
from relevo.channels.telegram.verify import SecretToken, webhook_secret
from relevo.channels.telegram.welcome import start_interceptor


def install(app: FastAPI, relevo: Any) -> None:
    """Add the Telegram channel when `RELEVO_TELEGRAM__BOT_TOKEN` is set."""
    settings = relevo.settings.telegram
    if settings.bot_token is None or not settings.bot_token.get_secret_value():
        return
    polling = settings.mode == "polling"
    bot = make_bot(settings)
    limiter = RateLimiter(
        per_destination=settings.chat_messages_per_second, total=settings.messages_per_second
    )
    channel = TelegramChannel(bot, limiter, require_api=polling)
    relevo.channels[NAME] = channel
    handler = UpdateHandler(
        relevo.inbox.accept,
        bot,
        MediaPolicy(settings.media_max_bytes, settings.media_types),
        on_verified_phone=linking_hook(relevo),
    )
    webhook = TelegramWebhook(handler, SecretToken(webhook_secret(settings)))
    app.include_router(webhook.router())
    relevo.engine.intercept(start_interceptor(
        Conversations(relevo.database, relevo.bus, wake=relevo.outbox.wake), Catalog.load()
    ))
    poller = Poller(bot, handler, settings.polling_timeout_seconds) if polling else None

    async def start() -> None:
        await channel.start()
        if poller is not None:
            await poller.start()

    async def stop() -> None:
        if poller is not None:
            await poller.stop()
        await channel.stop()

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
