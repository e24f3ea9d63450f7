"""The core's configuration vocabulary: the error every invalid option raises, the base
of every config section, and the options of the core's own parts.

The whole `Settings` (config.yml plus `RELEVO_*` environment variables) is assembled
by the composition root (`relevo.app.settings`), from the sections each package owns.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


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
