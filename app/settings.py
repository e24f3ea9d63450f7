"""Typed configuration: `config.yml`, overridden by `RELEVO_*` environment variables.

Read and validated once, at start-up. An invalid value raises `ConfigError` whose
message is one line naming the key (the CLI prints it and exits with code 2).
Secrets are read only from the environment: a secret found in the YAML file is an
error, so a token is never committed by accident.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import (
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import (
    SettingsConfigDict,
)

from relevo.app.config_sources import EnvOverFile
from relevo.bot.catalog import BUILTIN_DIR
from relevo.bot.clientip import parse_networks
from relevo.bot.config import BodyLimitSettings, ConfigError, OutboxSettings, Section
from relevo.bot.text import language_of
from relevo.channels.slack.config import SlackSettings
from relevo.channels.telegram.config import TelegramSettings
from relevo.channels.web.config import WebchatSettings
from relevo.channels.whatsapp.config import TwilioSettings
from relevo.handoff.config import HandoffSettings
from relevo.knowledge_base.config import KnowledgeBaseSettings
from relevo.nlu.config import NLUSettings

DEFAULT_CONFIG_FILE = "config.yml"

# Dotted keys that may only come from the environment (RELEVO_<KEY> with __ for dots).
SECRET_KEYS = frozenset(
    {
        "secret_key",
        "nlu.rasa.token",
        "telegram.bot_token",
        "telegram.webhook_secret",
        "twilio.account_sid",
        "twilio.auth_token",
        "slack.bot_token",
        "slack.signing_secret",
        "slack.app_token",
    }
)


class RetentionSettings(Section):
    """Days each channel keeps a conversation after its last activity; 0 keeps it for
    ever (the default). Older ones are erased (`relevo contacts retention`) every
    `interval_seconds` while relevo runs."""

    web: int = Field(0, ge=0, le=36_500)
    telegram: int = Field(0, ge=0, le=36_500)
    whatsapp: int = Field(0, ge=0, le=36_500)
    interval_seconds: float = Field(3600.0, ge=1.0, le=7 * 86_400.0)

    def days(self) -> dict[str, int]:
        """Channel → days, for the channels with a retention period."""
        kept = {"web": self.web, "telegram": self.telegram, "whatsapp": self.whatsapp}
        return {channel: days for channel, days in kept.items() if days > 0}


class Settings(EnvOverFile):
    model_config = SettingsConfigDict(
        env_prefix="RELEVO_",
        env_nested_delimiter="__",
        extra="forbid",
        frozen=True,
    )

    host: str = "127.0.0.1"
    port: int = Field(8000, ge=1, le=65535)
    database_url: str = "sqlite+aiosqlite:///./relevo.db"
    redis_url: str | None = None
    # Reverse proxies (addresses or networks) whose X-Forwarded-For is believed.
    trusted_proxies: tuple[str, ...] = ()
    auto_migrate: bool = True
    dev: bool = False
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    # Debugging only: let shopper text (and SQL parameters) into logs and tracebacks.
    log_shopper_text: bool = False
    default_locale: str = "en"
    # The languages the shop speaks: the only ones relevo detects and answers in.
    languages: tuple[str, ...] = ("es", "en")
    secret_key: SecretStr | None = None
    webchat: WebchatSettings = WebchatSettings()
    outbox: OutboxSettings = OutboxSettings()
    body_limits: BodyLimitSettings = BodyLimitSettings()
    nlu: NLUSettings = NLUSettings()
    knowledge_base: KnowledgeBaseSettings = KnowledgeBaseSettings()
    telegram: TelegramSettings = TelegramSettings()
    twilio: TwilioSettings = TwilioSettings()
    slack: SlackSettings = SlackSettings()
    handoff: HandoffSettings = HandoffSettings()
    retention: RetentionSettings = RetentionSettings()

    @field_validator("database_url")
    @classmethod
    def _known_database(cls, value: str) -> str:
        if not value.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            raise ValueError("must start with sqlite+aiosqlite:// or postgresql+asyncpg://")
        return value

    @field_validator("redis_url")
    @classmethod
    def _known_redis(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("must start with redis://, rediss:// or unix://")
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        parse_networks(value)
        return value

    @field_validator("languages")
    @classmethod
    def _known_languages(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return shop_languages(value)

    @model_validator(mode="after")
    def _default_spoken(self) -> Settings:
        if language_of(self.default_locale) not in self.languages:
            # Not a ValueError: pydantic would file it under no key ("config: ...").
            raise ConfigError(f"default_locale: must be one of languages "
                              f"({', '.join(self.languages)}), got {self.default_locale!r}")
        return self

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


def shop_languages(value: tuple[str, ...]) -> tuple[str, ...]:
    """`languages`: at least one, each a language code with a catalog of relevo's texts
    (`bot/locales/<language>.yml`); duplicates dropped, order kept."""
    if not value:
        raise ValueError("needs at least one language")
    spoken: list[str] = []
    for language in value:
        if not _LANGUAGE_CODE.fullmatch(language):
            raise ValueError(f"{language!r} is not a language code (es, en, pt…)")
        if not (BUILTIN_DIR / f"{language}.yml").is_file():
            raise ValueError(f"{language}: no catalog bot/locales/{language}.yml "
                             "(every text the shopper sees must exist in that language)")
        if language not in spoken:
            spoken.append(language)
    return tuple(spoken)


_LANGUAGE_CODE = re.compile(r"[a-z]{2,3}")


def load_settings(
    config_file: str | os.PathLike[str] | None = None, **overrides: Any
) -> Settings:
    """Read `config_file` (default `./config.yml` when it exists), apply the environment.

    `overrides` win over both (used by tests and CLI flags).
    """
    path = Path(config_file) if config_file is not None else Path(DEFAULT_CONFIG_FILE)
    file_values: dict[str, Any] = {}
    if config_file is not None or path.exists():
        file_values = _read_yaml(path)
    _refuse_secrets(file_values, path)
    try:
        settings = Settings(**file_values)
        if overrides:
            merged = _deep_merge(settings.model_dump(), overrides)
            settings = Settings.model_validate(merged)
    except ValidationError as exc:
        raise ConfigError(_one_line(exc)) from None
    return settings


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read config file {path}: {exc.strerror}") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark is not None else ""
        raise ConfigError(f"{path}{where}: not valid YAML") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: the top level must be a mapping of keys")
    return data


def _refuse_secrets(values: dict[str, Any], path: Path) -> None:
    for key in SECRET_KEYS:
        node: Any = values
        for part in key.split("."):
            node = node.get(part) if isinstance(node, dict) else None
        if node not in (None, ""):
            env = "RELEVO_" + key.upper().replace(".", "__")
            raise ConfigError(f"{key}: secrets are read only from the environment ({env}), "
                              f"remove it from {path}")


def _deep_merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _one_line(exc: ValidationError) -> str:
    first = exc.errors()[0]
    key = ".".join(str(part) for part in first["loc"]) or "config"
    message = first["msg"]
    if first["type"] == "extra_forbidden":
        message = "unknown option"
    more = len(exc.errors()) - 1
    suffix = f" (and {more} more)" if more else ""
    return f"{key}: {message}{suffix}"
