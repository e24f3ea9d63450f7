"""Who could take a conversation now, and when someone is expected back: the queue's
capacity, and the honest after-hours message when nobody eligible is online."""

from __future__ import annotations

from datetime import datetime

from relevo.bot import replies
from relevo.handoff.config import Pool
from relevo.handoff.queue import QueueEntry
from relevo.handoff.rules import RuleTable
from relevo.handoff.state import HandoffState


class Availability:
    def __init__(self, state: HandoffState, table: RuleTable) -> None:
        self._state = state
        self._table = table

    def capacity(self, entry: QueueEntry) -> int:
        seen: set[int] = set()
        total = 0
        for pool in entry.lane:
            for operator in self._state.operators.online(pool.kinds):
                if operator.id in seen or not operator.in_pool(pool):
                    continue
                if operator.speaks(entry.language):
                    seen.add(operator.id)
                    total += operator.max_concurrent
        return total

    def anyone_online(self, language: str | None) -> bool:
        return any(o.speaks(language) for o in self._state.operators.online())

    def after_hours_text(self, entry: QueueEntry, now: datetime) -> str:
        return self._after_hours(self.expected_back(entry.lane, entry.language, now),
                                 entry.locale, now)

    def after_hours_text_for(self, language: str | None, locale: str, now: datetime) -> str:
        """Nobody at all is online: when is anyone (speaking the language) expected?"""
        anyone = (Pool(),)
        return self._after_hours(self.expected_back(anyone, language, now), locale, now)

    def _after_hours(self, back: datetime | None, locale: str | None, now: datetime) -> str:
        when = ""
        if back is not None:
            when = replies.text("after_hours_when", locale).format(
                when=self._format_when(back, now, locale)
            )
        return replies.text("after_hours", locale).format(when=when)

    def expected_back(
        self, lane: tuple[Pool, ...], language: str | None, now: datetime
    ) -> datetime | None:
        """The earliest an eligible operator is scheduled; else business hours."""
        times: list[datetime] = []
        for pool in lane:
            for operator in self._state.operators.members(pool):
                if operator.schedule is not None and operator.speaks(language):
                    opening = operator.schedule.next_opening(now)
                    if opening is not None and opening > now:
                        times.append(opening)
        if not times:
            opening = self._table.business_hours.next_opening(now)
            if opening is not None and opening > now:
                times.append(opening)
        return min(times) if times else None

    def _format_when(self, at: datetime, now: datetime, locale: str | None) -> str:
        zone = self._table.business_hours.zone
        local, today = at.astimezone(zone), now.astimezone(zone).date()
        clock = f"{local:%H:%M}"
        days = (local.date() - today).days
        if days == 0:
            return replies.text("today_at", locale).format(time=clock)
        if days == 1:
            return replies.text("tomorrow_at", locale).format(time=clock)
        day = replies.text("weekdays", locale).split(",")[local.weekday()]
        return replies.text("day_at", locale).format(day=day, time=clock)
