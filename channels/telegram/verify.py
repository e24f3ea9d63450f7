"""Is this request from Telegram? The webhook's secret token, checked once, in
constant time, before the body is read."""

from __future__ import annotations

import hashlib
import hmac

from relevo.channels.telegram.config import TelegramNotConfigured, TelegramSettings

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


def webhook_secret(settings: TelegramSettings) -> str:
    """The configured secret, or one derived from the bot token (so the server and
    `relevo telegram set-webhook` agree without another variable to set)."""
    if settings.webhook_secret is not None and settings.webhook_secret.get_secret_value():
        return settings.webhook_secret.get_secret_value()
    if settings.bot_token is None:
        raise TelegramNotConfigured("telegram.bot_token: RELEVO_TELEGRAM__BOT_TOKEN is not set")
    token = settings.bot_token.get_secret_value().encode("utf-8")
    return hmac.new(token, b"relevo telegram webhook secret", hashlib.sha256).hexdigest()


class SecretToken:
    """The secret Telegram sends in `SECRET_HEADER` with every webhook call."""

    def __init__(self, secret: str) -> None:
        if not secret:
            raise TelegramNotConfigured("telegram.webhook_secret: an empty secret verifies nothing")
        self._expected = secret.encode("utf-8")

    def matches(self, given: str | None) -> bool:
        return hmac.compare_digest((given or "").encode("utf-8"), self._expected)
