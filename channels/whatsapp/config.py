"""The WhatsApp (Twilio) channel's options (`twilio:` in config.yml)."""

from __future__ import annotations

from pydantic import Field, SecretStr

from relevo.bot.config import Section


class WhatsAppTemplate(Section):
    """An approved WhatsApp template (Twilio Content API) for one purpose."""

    content_sid: str = Field(pattern=r"^HX[0-9a-fA-F]{32}$")
    # Template variable number -> value; `{text}`, `{name}` and the message's own
    # variables (e.g. `{code}`) are filled in.
    variables: dict[str, str] = Field(default_factory=dict)


class TwilioSettings(Section):
    api_base_url: str = "https://api.twilio.com"
    account_sid: SecretStr | None = None
    auth_token: SecretStr | None = None
    whatsapp_from: str | None = Field(None, pattern=r"^whatsapp:\+[1-9][0-9]{6,14}$")
    public_base_url: str | None = Field(None, pattern=r"^https?://[^/?#]+(/[^?#]*)?$")
    messages_per_second: float = Field(10.0, gt=0)
    media_max_bytes: int = Field(10 * 1024 * 1024, gt=0)
    media_types: tuple[str, ...] = (
        "image/jpeg", "image/png", "image/webp", "application/pdf", "audio/ogg", "video/mp4",
    )
    media_dir: str = "./media"
    opt_out_keywords: tuple[str, ...] = (
        "STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "BAJA",
    )
    opt_in_keywords: tuple[str, ...] = ("START", "UNSTOP", "ALTA")
    templates: dict[str, WhatsAppTemplate] = Field(default_factory=dict)
