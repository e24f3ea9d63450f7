"""Weekly opening hours: `{"mon": ["09:00-14:00", "16:00-20:00"], "sat": [], ...}`.

Used twice: the shop's business hours (routing conditions, after-hours messages) and
each operator's own schedule (when they are expected back). A range may wrap past
midnight ("22:00-02:00" on Friday covers Saturday 00:00-02:00 too). Pure functions;
parsing raises `ValueError` naming the day and the bad value.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_RANGE = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")


@dataclass(frozen=True, slots=True)
class TimeRange:
    start: time
    end: time  # end <= start means the range runs past midnight

    @property
    def wraps(self) -> bool:
        return self.end <= self.start

    def __str__(self) -> str:
        return f"{self.start:%H:%M}-{self.end:%H:%M}"


def parse_range(text: str) -> TimeRange:
    match = _RANGE.match(text) if isinstance(text, str) else None
    if match is None:
        raise ValueError(f"{text!r} is not a time range like 09:00-18:00")
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    if h2 == 24 and m2 == 0:
        h2 = 0  # "18:00-24:00" ends at midnight
    if not (0 <= h1 < 24 and 0 <= m1 < 60 and 0 <= h2 < 24 and 0 <= m2 < 60):
        raise ValueError(f"{text!r} has an hour or minute out of range")
    if (h1, m1) == (h2, m2):
        raise ValueError(f"{text!r} is empty (start equals end)")
    return TimeRange(time(h1, m1), time(h2, m2))


def parse_zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"{name!r} is not a known time zone (e.g. Europe/Madrid)") from None


@dataclass(frozen=True, slots=True)
class WeeklyHours:
    """Opening ranges per weekday (0 = Monday) in one time zone."""

    zone: ZoneInfo
    days: tuple[tuple[TimeRange, ...], ...]  # 7 entries

    @classmethod
    def parse(cls, spec: Mapping[str, Sequence[str] | str | None], zone: str) -> WeeklyHours:
        if not isinstance(spec, Mapping):
            raise ValueError("must be a mapping of weekday (mon..sun) to time ranges")
        unknown = sorted(set(spec) - set(DAYS))
        if unknown:
            raise ValueError(f"unknown weekday {unknown[0]!r} (use mon, tue, … sun)")
        days: list[tuple[TimeRange, ...]] = []
        for day in DAYS:
            raw = spec.get(day) or []
            ranges = [raw] if isinstance(raw, str) else list(raw)
            try:
                days.append(tuple(parse_range(r) for r in ranges))
            except ValueError as exc:
                raise ValueError(f"{day}: {exc}") from None
        return cls(parse_zone(zone), tuple(days))

    def is_open(self, at: datetime) -> bool:
        local = at.astimezone(self.zone)
        now = local.time().replace(tzinfo=None)
        weekday = local.weekday()
        for r in self.days[weekday]:
            if (r.wraps and now >= r.start) or (not r.wraps and r.start <= now < r.end):
                return True
        for r in self.days[(weekday - 1) % 7]:  # yesterday's range running past midnight
            if r.wraps and now < r.end:
                return True
        return False

    def next_opening(self, at: datetime) -> datetime | None:
        """When it next opens (now if open); None when it never opens."""
        if self.is_open(at):
            return at
        local = at.astimezone(self.zone)
        for offset in range(8):
            day = (local + timedelta(days=offset)).date()
            for r in sorted(self.days[day.weekday()], key=lambda r: r.start):
                candidate = datetime.combine(day, r.start, tzinfo=self.zone)
                if candidate > local:
                    return candidate
        return None

    def public(self) -> dict[str, list[str]]:
        return {day: [str(r) for r in ranges] for day, ranges in zip(DAYS, self.days, strict=True)}


def parse_schedule(spec: object, zone: str) -> WeeklyHours | None:
    """An operator's schedule as stored (None = no schedule declared)."""
    if spec is None:
        return None
    if not isinstance(spec, Mapping):
        raise ValueError("schedule must be a mapping of weekday (mon..sun) to time ranges")
    return WeeklyHours.parse(spec, zone)
