"""The Telegram channel: one package, the same shape as every channel.

verify (the webhook's secret token) → parse (pure: an update → `InboundMessage`) →
the core's one callable (`Inbox.accept`), through `UpdateHandler`, whether the update
came by webhook (`routes`) or long polling (`polling`). Replies leave through the
outbox and `TelegramChannel.send` (`send`). `relevo telegram …` is in `cli`.
"""

from __future__ import annotations

from relevo.channels.telegram.config import TelegramNotConfigured, TelegramSettings
from relevo.channels.telegram.handler import UpdateHandler
from relevo.channels.telegram.parse import NAME, BadUpdate, ParsedUpdate, parse_update
from relevo.channels.telegram.polling import Poller, TelegramPollingRefused
from relevo.channels.telegram.routes import WEBHOOK_PATH, TelegramWebhook
from relevo.channels.telegram.send import TelegramChannel, make_bot
from relevo.channels.telegram.verify import SECRET_HEADER, SecretToken, webhook_secret

__all__ = [
    "NAME",
    "SECRET_HEADER",
    "WEBHOOK_PATH",
    "BadUpdate",
    "ParsedUpdate",
    "Poller",
    "SecretToken",
    "TelegramChannel",
    "TelegramNotConfigured",
    "TelegramPollingRefused",
    "TelegramSettings",
    "TelegramWebhook",
    "UpdateHandler",
    "make_bot",
    "parse_update",
    "webhook_secret",
]
