"""The one clock: every part takes a `Clock` in its constructor, `utc_now` by default,
so tests (and SLA timers) can move time without patching anything."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)
