"""The core's configuration vocabulary: the error every invalid option raises, the base
of every config section, and the options of the core's own parts.

The whole `Settings` (config.yml plus `RELEVO_*` environment variables) is assembled
by the composition root (`relevo.app.settings`), from the sections each package owns.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator


class ConfigError(Exception):
    """Invalid configuration; the message is one line naming the key."""


class Section(BaseModel):
    """A config section: unknown keys are errors, values never change after start-up."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class OutboxSettings(Section):
    max_attempts: int = Field(8, ge=1, le=100)
    base_delay_seconds: float = Field(0.5, gt=0)
    max_delay_seconds: float = Field(300.0, gt=0)
    poll_interval_seconds: float = Field(1.0, gt=0)
    batch_size: int = Field(100, gt=0, le=10_000)
    lease_seconds: float = Field(60.0, gt=0)


KIB = 1024


class BodyLimitSettings(Section):
    """Largest request body accepted, in bytes (`body_limits:`); a larger one is refused
    with 413 while it streams in, before any signature is checked or JSON parsed."""

    # Our own JSON APIs. The largest legitimate body is an operator's reply (10,000
    # characters): as JSON escapes of emoji (12 bytes each) about 120 KB.
    api_bytes: int = Field(128 * KIB, ge=KIB, le=1024 * 1024 * KIB)
    # Provider webhooks (/webhooks/…, /slack/…). Telegram and Twilio send media as
    # URLs, not in the body; Slack's largest payloads (modal state) are tens of KB.
    webhook_bytes: int = Field(1024 * KIB, ge=KIB, le=1024 * 1024 * KIB)
    # A route's own limit: path → bytes; a path ending in "/" covers what is under it.
    # The longest matching path wins over the two above.
    routes: dict[str, int] = Field(default_factory=dict)

    @field_validator("routes")
    @classmethod
    def _paths_and_sizes(cls, value: dict[str, int]) -> dict[str, int]:
        for path, size in value.items():
            if not path.startswith("/"):
                raise ValueError(f"{path!r}: a route is a path starting with /")
            if not KIB <= size <= 1024 * 1024 * KIB:
                raise ValueError(f"{path}: {size} bytes is not between 1 KiB and 1 GiB")
        return value
