"""The web chat channel's options (`webchat:` in config.yml)."""

from __future__ import annotations

from pydantic import Field

from relevo.bot.config import Section


class WebchatSettings(Section):
    max_text_length: int = Field(4096, gt=0, le=1_000_000)
    session_ttl_seconds: int = Field(30 * 24 * 3600, gt=0)
    allowed_origins: tuple[str, ...] = ("*",)
    poll_page_size: int = Field(200, gt=0, le=1000)
