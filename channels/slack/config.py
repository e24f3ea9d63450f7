"""The Slack surface's options (`slack:` in config.yml)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, SecretStr, ValidationInfo, field_validator

from relevo.bot.config import Section
from relevo.bot.types import OperatorKind


class SlackRoute(Section):
    """Where a handed-off conversation's root message goes: the first route whose
    conditions all hold (an empty list matches anything) wins."""

    channel: str = Field(pattern=r"^[CG][A-Z0-9]{2,}$")
    kinds: tuple[OperatorKind, ...] = ()
    skills: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()


class SlackSettings(Section):
    api_base_url: str = "https://slack.com/api/"
    bot_token: SecretStr | None = None
    signing_secret: SecretStr | None = None
    app_token: SecretStr | None = None
    mode: Literal["events", "socket"] = "events"
    routes: tuple[SlackRoute, ...] = ()
    channel: str | None = Field(None, pattern=r"^[CG][A-Z0-9]{2,}$", validate_default=True)
    note_prefix: str = Field(";", min_length=1, max_length=8)
    transcript_messages: int = Field(8, ge=0, le=50)
    messages_per_second: float = Field(1.0, gt=0)
    command: str = Field("/relevo", pattern=r"^/[a-z0-9_-]{1,31}$")
    locale: str = Field("en", min_length=2)

    @field_validator("mode")
    @classmethod
    def _socket_needs_app_token(cls, value: str, info: ValidationInfo) -> str:
        if value == "socket" and info.data.get("app_token") is None:
            raise ValueError("Socket Mode needs RELEVO_SLACK__APP_TOKEN (xapp-…)")
        return value

    @field_validator("channel")
    @classmethod
    def _somewhere_to_post(cls, value: str | None, info: ValidationInfo) -> str | None:
        on = info.data.get("bot_token") is not None and info.data.get("signing_secret") is not None
        if on and value is None and not info.data.get("routes"):
            raise ValueError("Slack is on (bot token and signing secret set): give the id of "
                             "the channel root messages go to (or slack.routes)")
        return value
