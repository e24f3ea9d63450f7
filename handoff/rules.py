"""The routing rule table: small, pure, named conditions applied in order.

Like Mailman's chains, one loop applies every rule to the facts of a conversation and
records which rules hit and why; nothing here reads the database or mutates the facts.
The outcome is the cascade of pools of the rules that hit (first = preferred; a rule
with `stop` ends the cascade) and the highest priority among them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from relevo.handoff.config import Conditions, Pool, Rule
from relevo.handoff.schedule import DAYS, TimeRange, WeeklyHours, parse_range

UNKNOWN_TOPIC = "unknown"


@dataclass(frozen=True, slots=True)
class Facts:
    """What routing knows about a conversation when it decides."""

    at: datetime
    channel: str
    language: str | None = None
    topic: str | None = None
    intent: str | None = None
    vip: bool = False
    basket: float | None = None
    handoffs: int = 0  # how many times it was handed off before this decision

    def public(self) -> dict[str, Any]:
        return {
            "at": self.at.isoformat(),
            "channel": self.channel,
            "language": self.language,
            "topic": self.topic or UNKNOWN_TOPIC,
            "intent": self.intent,
            "vip": self.vip,
            "basket": self.basket,
            "handoffs": self.handoffs,
        }


@dataclass(frozen=True, slots=True)
class Hit:
    rule: str
    why: str
    pool: Pool | None
    priority: int

    def public(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "why": self.why,
            "pool": _pool_json(self.pool),
            "priority": self.priority,
        }


@dataclass(frozen=True, slots=True)
class Outcome:
    hits: tuple[Hit, ...]
    pools: tuple[Pool, ...]
    priority: int

    def explain(self) -> str:
        if not self.hits:
            return "no rule hit"
        return "; ".join(f"{h.rule}: {h.why}" for h in self.hits)


def _pool_json(pool: Pool | None) -> dict[str, list[str]] | None:
    if pool is None:
        return None
    return {"kinds": [k.value for k in pool.kinds], "skills": list(pool.skills)}


def pool_to_json(pool: Pool) -> dict[str, list[str]]:
    return {"kinds": [k.value for k in pool.kinds], "skills": list(pool.skills)}


def pool_from_json(data: dict[str, Any]) -> Pool:
    return Pool.model_validate(data)


Check = Callable[[Facts], str | None]  # the reason it holds, or None


class RuleTable:
    """The configured rules, compiled once (times parsed, lists made sets)."""

    def __init__(self, rules: Sequence[Rule], business_hours: WeeklyHours) -> None:
        self._hours = business_hours
        self._rules = [(rule, self._compile(rule.when)) for rule in rules]

    @property
    def business_hours(self) -> WeeklyHours:
        return self._hours

    def evaluate(self, facts: Facts) -> Outcome:
        hits: list[Hit] = []
        for rule, checks in self._rules:
            reasons: list[str] = []
            for check in checks:
                reason = check(facts)
                if reason is None:
                    break
                reasons.append(reason)
            else:
                why = ", ".join(reasons) or "always"
                hits.append(Hit(rule.name, why, rule.pool, rule.priority))
                if rule.stop:
                    break
        pools: list[Pool] = []
        for hit in hits:
            if hit.pool is not None and hit.pool not in pools:
                pools.append(hit.pool)
        priority = max((h.priority for h in hits), default=0)
        return Outcome(tuple(hits), tuple(pools), priority)

    def _compile(self, when: Conditions) -> list[Check]:
        checks: list[Check] = []
        if when.topics is not None:
            topics = frozenset(t.lower() for t in when.topics)
            checks.append(lambda f: _in("topic", f.topic or UNKNOWN_TOPIC, topics))
        if when.intents is not None:
            intents = frozenset(when.intents)
            checks.append(lambda f: _in("intent", f.intent, intents))
        if when.languages is not None:
            languages = frozenset(lang.lower() for lang in when.languages)
            checks.append(lambda f: _in("language", f.language, languages))
        if when.channels is not None:
            channels = frozenset(when.channels)
            checks.append(lambda f: _in("channel", f.channel, channels))
        if when.days is not None:
            days = frozenset(when.days)
            checks.append(lambda f: self._on_days(f, days))
        if when.hours is not None:
            checks.append(_between(parse_range(when.hours), self._hours))
        if when.business_hours is not None:
            wanted = when.business_hours
            checks.append(lambda f: self._business(f, wanted))
        if when.vip is not None:
            vip = when.vip
            checks.append(lambda f: ("VIP shopper" if vip else "not VIP") if f.vip == vip else None)
        if when.min_basket is not None:
            floor = when.min_basket
            checks.append(
                lambda f: f"basket {f.basket:g} ≥ {floor:g}"
                if f.basket is not None and f.basket >= floor else None
            )
        if when.min_handoffs is not None:
            least = when.min_handoffs
            checks.append(
                lambda f: f"handed off {f.handoffs}× (≥ {least})" if f.handoffs >= least else None
            )
        if when.max_handoffs is not None:
            most = when.max_handoffs
            checks.append(
                lambda f: f"handed off {f.handoffs}× (≤ {most})" if f.handoffs <= most else None
            )
        return checks

    def _local(self, facts: Facts) -> datetime:
        return facts.at.astimezone(self._hours.zone)

    def _on_days(self, facts: Facts, days: frozenset[str]) -> str | None:
        local = self._local(facts)
        day = DAYS[local.weekday()]
        return f"{day} in {self._hours.zone.key}" if day in days else None

    def _business(self, facts: Facts, wanted: bool) -> str | None:
        is_open = self._hours.is_open(facts.at)
        if is_open != wanted:
            return None
        local = self._local(facts)
        stamp = f"{DAYS[local.weekday()]} {local:%H:%M} {self._hours.zone.key}"
        return f"inside business hours ({stamp})" if is_open else \
            f"outside business hours ({stamp})"


def _in(name: str, value: str | None, allowed: frozenset[str]) -> str | None:
    if value is None or value not in allowed:
        return None
    return f"{name} {value}"


def _between(window: TimeRange, hours: WeeklyHours) -> Check:
    def check(facts: Facts) -> str | None:
        local = facts.at.astimezone(hours.zone)
        now = local.time().replace(tzinfo=None)
        inside = (now >= window.start or now < window.end) if window.wraps else (
            window.start <= now < window.end
        )
        return f"{local:%H:%M} within {window} {hours.zone.key}" if inside else None

    return check
