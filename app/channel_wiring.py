"""Builds the channel packages for the composition root.

Each channel comes in two halves: its sender (what the outbox delivers through,
built first, before the outbox exists) and its inbound side (routes, webhooks,
pollers that hand messages to the core's one callable, `Inbox.accept`, built once the
inbox exists). A channel without its credentials is simply not built.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from telegram import Bot

from relevo.app.parts import Assembly, Lifecycle
from relevo.app.settings import Settings
from relevo.bot.bus import InProcessBus
from relevo.bot.catalog import Catalog
from relevo.bot.config import ConfigError
from relevo.bot.conversations import Conversations
from relevo.bot.inbox import Inbox
from relevo.bot.linking import Linker
from relevo.bot.outbox import OutboxWorker
from relevo.bot.protocols import OperatorDesk
from relevo.bot.store.db import Database
from relevo.channels.media import MediaPolicy
from relevo.channels.ratelimit import RateLimiter
from relevo.channels.slack.channel import SlackRuntime, enabled, make_client
from relevo.channels.telegram.handler import UpdateHandler
from relevo.channels.telegram.parse import NAME as TELEGRAM
from relevo.channels.telegram.polling import Poller
from relevo.channels.telegram.routes import TelegramWebhook
from relevo.channels.telegram.send import TelegramChannel, make_bot
from relevo.channels.telegram.typing import TelegramTyping
from relevo.channels.telegram.verify import SecretToken, webhook_secret
from relevo.channels.telegram.welcome import start_interceptor
from relevo.channels.web import WebChannel, WebChatHub, webchat_router
from relevo.channels.web.typing import WebTyping
from relevo.channels.whatsapp.http import TwilioHttp
from relevo.channels.whatsapp.media import MediaFetcher
from relevo.channels.whatsapp.optout import OptOuts
from relevo.channels.whatsapp.parse import NAME as WHATSAPP
from relevo.channels.whatsapp.routes import STATUS_PATH, WhatsAppWebhooks
from relevo.channels.whatsapp.send import WhatsAppChannel
from relevo.channels.whatsapp.verify import TwilioSignature

log = logging.getLogger("relevo.app")


@dataclass(frozen=True, slots=True)
class TelegramSender:
    bot: Bot
    channel: TelegramChannel


@dataclass(frozen=True, slots=True)
class WhatsAppSender:
    http: TwilioHttp
    opt_outs: OptOuts
    number: str  # this relevo's `whatsapp:+…`
    account: tuple[str, str]  # Twilio account SID and auth token


def add_web(assembly: Assembly) -> WebChatHub:
    """The web chat's sender: pushes to the visitor's open sockets."""
    hub = WebChatHub()
    assembly.channels["web"] = WebChannel(hub)
    return hub


def add_telegram(assembly: Assembly, settings: Settings) -> TelegramSender | None:
    """The Telegram sender, when `RELEVO_TELEGRAM__BOT_TOKEN` is set."""
    config = settings.telegram
    if config.bot_token is None or not config.bot_token.get_secret_value():
        return None
    bot = make_bot(config)
    limiter = RateLimiter(
        per_destination=config.chat_messages_per_second, total=config.messages_per_second
    )
    channel = TelegramChannel(bot, limiter, require_api=config.mode == "polling")
    assembly.channels[TELEGRAM] = channel
    return TelegramSender(bot, channel)


def add_telegram_welcome(
    assembly: Assembly, conversations: Conversations, catalog: Catalog
) -> None:
    """`/start` gets a welcome, not the NLU (an interceptor of the engine's)."""
    assembly.interceptors.append(start_interceptor(conversations, catalog))


def add_whatsapp(
    assembly: Assembly, settings: Settings, database: Database, catalog: Catalog | None = None
) -> WhatsAppSender | None:
    """The WhatsApp sender and opt-outs, when the Twilio SID and auth token are set.
    `catalog`: the "did this help?" line under answers that take a vote."""
    config = settings.twilio
    if config.account_sid is None or config.auth_token is None:
        return None
    if config.whatsapp_from is None:
        raise ConfigError("twilio.whatsapp_from: required when the Twilio credentials are set "
                          "(e.g. whatsapp:+14155238886)")
    status_url = config.public_base_url.rstrip("/") + STATUS_PATH if config.public_base_url \
        else None
    http = TwilioHttp()
    limiter = RateLimiter(per_destination=None, total=config.messages_per_second)
    assembly.channels[WHATSAPP] = WhatsAppChannel(
        config, database, limiter, http, status_callback=status_url,
        feedback_line=(lambda locale: catalog.text("feedback.ask", locale)) if catalog else None,
    )
    opt_outs = OptOuts(database, config.opt_out_keywords, config.opt_in_keywords)
    assembly.interceptors.append(opt_outs.interceptor())
    account = (config.account_sid.get_secret_value(), config.auth_token.get_secret_value())
    return WhatsAppSender(http, opt_outs, config.whatsapp_from, account)


def add_inbound(
    assembly: Assembly,
    settings: Settings,
    database: Database,
    inbox: Inbox,
    linker: Linker,
    web_hub: WebChatHub,
    telegram: TelegramSender | None,
    whatsapp: WhatsAppSender | None,
    catalog: Catalog,
    bus: InProcessBus,
) -> None:
    """Every channel's inbound side, handing messages to `inbox.accept`, and what the
    channels show from the bus (an operator typing)."""
    assembly.routers.append(
        webchat_router(database, inbox.accept, web_hub, settings.webchat, catalog)
    )
    if telegram is not None:
        _telegram_inbound(assembly, settings, inbox, linker, telegram, catalog)
    if whatsapp is not None:
        _whatsapp_inbound(assembly, settings, inbox, linker, whatsapp)
    add_typing(assembly, bus, database, web_hub, telegram)


def add_typing(
    assembly: Assembly, bus: InProcessBus, database: Database, web_hub: WebChatHub,
    telegram: TelegramSender | None,
) -> None:
    """An operator typing (`OperatorTyping` on the bus) is shown where the shopper is:
    a frame on the web chat's sockets, `sendChatAction` on Telegram. Added after the
    channels' own lifecycles, so Telegram's bot is open before the first event."""
    web = WebTyping(bus, database, web_hub)
    assembly.lifecycles.append(Lifecycle("web-typing", web.start, web.stop))
    if telegram is not None:
        shown = TelegramTyping(bus, database, telegram.bot)
        assembly.lifecycles.append(Lifecycle("telegram-typing", shown.start, shown.stop))


def _telegram_inbound(
    assembly: Assembly, settings: Settings, inbox: Inbox, linker: Linker, sender: TelegramSender,
    catalog: Catalog,
) -> None:
    config = settings.telegram
    handler = UpdateHandler(
        inbox.accept, sender.bot, MediaPolicy(config.media_max_bytes, config.media_types),
        on_verified_phone=linker.verified_phone, catalog=catalog,
    )
    assembly.routers.append(TelegramWebhook(handler, SecretToken(webhook_secret(config))).router())
    poller = Poller(sender.bot, handler, config.polling_timeout_seconds)
    polling = config.mode == "polling"

    async def start() -> None:
        await sender.channel.start()
        if polling:
            await poller.start()

    async def stop() -> None:
        if polling:
            await poller.stop()
        await sender.channel.stop()

    assembly.lifecycles.append(Lifecycle("telegram", start, stop))


def _whatsapp_inbound(
    assembly: Assembly, settings: Settings, inbox: Inbox, linker: Linker, sender: WhatsAppSender
) -> None:
    config = settings.twilio
    media = MediaFetcher(
        sender.http, MediaPolicy(config.media_max_bytes, config.media_types),
        Path(config.media_dir), sender.account,
    )
    webhooks = WhatsAppWebhooks(
        inbox.accept, TwilioSignature(sender.account[1], config.public_base_url), sender.number,
        media, sender.opt_outs, inbox.receipt, on_verified_phone=linker.verified_phone,
    )
    assembly.routers.append(webhooks.router())

    async def start() -> None:
        if config.public_base_url is None:
            log.warning("twilio.public_base_url is not set: no delivery status callbacks")
        await sender.http.start()

    assembly.lifecycles.append(Lifecycle("whatsapp", start, sender.http.stop))


def slack_parts(
    settings: Settings, database: Database, desk: OperatorDesk, bus: InProcessBus,
    outbox: OutboxWorker, catalog: Catalog,
) -> SlackRuntime | None:
    """Slack, when `RELEVO_SLACK__BOT_TOKEN` and `RELEVO_SLACK__SIGNING_SECRET` are set."""
    if not enabled(settings.slack):
        return None
    return SlackRuntime(settings.slack, database, desk, bus, make_client(settings.slack),
                        outbox.wake, catalog)
