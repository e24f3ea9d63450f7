"""The Telegram channel's options (`telegram:` in config.yml)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, SecretStr

from relevo.bot.config import Section


class TelegramSettings(Section):
    api_base_url: str = "https://api.telegram.org"
    bot_token: SecretStr | None = None
    webhook_secret: SecretStr | None = None
    mode: Literal["webhook", "polling"] = "webhook"
    polling_timeout_seconds: int = Field(25, ge=0, le=50)
    media_max_bytes: int = Field(10 * 1024 * 1024, gt=0)
    media_types: tuple[str, ...] = ("image/jpeg", "image/png", "image/webp", "application/pdf")
    chat_messages_per_second: float = Field(1.0, gt=0)
    messages_per_second: float = Field(30.0, gt=0)


class TelegramNotConfigured(Exception):
    """A Telegram option the channel cannot run without is missing or rejected."""
