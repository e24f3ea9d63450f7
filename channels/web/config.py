"""The web chat channel's options (`webchat:` in config.yml)."""

from __future__ import annotations

from pydantic import Field

from relevo.bot.config import Section


class WebchatSettings(Section):
    max_text_length: int = Field(4096, gt=0, le=1_000_000)
    session_ttl_seconds: int = Field(30 * 24 * 3600, gt=0)
    allowed_origins: tuple[str, ...] = ("*",)
    poll_page_size: int = Field(200, gt=0, le=1000)
    # Files a shopper attaches (POST /webchat/attachments): largest size, accepted
    # types (checked against the file's first bytes too), where they are written.
    attachment_max_bytes: int = Field(5 * 1024 * 1024, ge=1024, le=1024 * 1024 * 1024)
    attachment_types: tuple[str, ...] = ("image/jpeg", "image/png", "image/webp", "image/gif",
                                         "application/pdf")
    attachments_per_message: int = Field(5, ge=1, le=20)
    media_dir: str = "./media"
