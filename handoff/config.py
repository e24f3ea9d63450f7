"""The `handoff:` section of config.yml: routing rules, hours, SLA timers, queue, points.

Validated once at start-up. A bad rule stops start-up with one line naming the rule
and the field, e.g. `handoff.rules: rule 'night_products' (#4), field when.hours:
'25:00-08:00' has an hour or minute out of range`.
"""

from __future__ import annotations

import os
import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from relevo.bot import replies
from relevo.bot.ratelimit import Limit
from relevo.bot.types import OperatorKind
from relevo.handoff.schedule import DAYS, WeeklyHours, parse_range, parse_zone

Day = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
# `community_answer`: a reviewer published an answer the operator proposed (#13).
PointsEvent = Literal["resolved", "csat_high", "thanks", "community_answer"]
_NAME = re.compile(r"^[a-z0-9][a-z0-9_\-]{0,62}$")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Pool(_Model):
    """Who may take a conversation: any of `kinds` (none = every kind) having any of
    `skills` (none = no skill needed)."""

    kinds: tuple[OperatorKind, ...] = ()
    skills: tuple[str, ...] = ()

    def describe(self) -> str:
        kinds = "+".join(k.value for k in self.kinds) or "any kind"
        return f"{kinds} with {'/'.join(self.skills)}" if self.skills else kinds


class Conditions(_Model):
    """All the given conditions must hold; a list matches when any of its values does."""

    # The conversation's topic (the knowledge base's article topic: product, orders,
    # payments, returns, shipping, account, store…; "unknown" when the bot never saw one).
    topics: tuple[str, ...] | None = None
    intents: tuple[str, ...] | None = None
    languages: tuple[str, ...] | None = None
    channels: tuple[str, ...] | None = None
    # Local time of day and weekday, in `handoff.timezone`.
    days: tuple[Day, ...] | None = None
    hours: str | None = None
    # Inside (true) or outside (false) `handoff.business_hours`.
    business_hours: bool | None = None
    # Shopper value: a VIP tag on the contact, or the basket amount (contact tag
    # `basket:<amount>` set by the shop's integration).
    vip: bool | None = None
    min_basket: float | None = Field(None, ge=0)
    # How many times this conversation was already handed off (transfers, re-routes).
    min_handoffs: int | None = Field(None, ge=0)
    max_handoffs: int | None = Field(None, ge=0)

    @field_validator("hours")
    @classmethod
    def _hours(cls, value: str | None) -> str | None:
        if value is not None:
            parse_range(value)
        return value


class Rule(_Model):
    name: str
    description: str = ""
    when: Conditions = Conditions()
    # Where to look for an operator when this rule hits (none: the rule only sets priority).
    pool: Pool | None = None
    priority: int = Field(0, ge=-1000, le=1000)
    # Stop here: later rules are not considered (no fallback pools after this one).
    stop: bool = False

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not _NAME.match(value):
            raise ValueError("use lower case letters, digits, _ and - (at most 63)")
        return value


class SlaSettings(_Model):
    # A conversation offered to an operator and not claimed within this time is offered
    # to the next eligible operator; after `max_offers` offers, to a wider pool.
    offer_seconds: float = Field(60.0, gt=0)
    max_offers: int = Field(2, ge=1, le=100)
    # A queued conversation nobody eligible could take is tried on a wider pool after this.
    widen_after_seconds: float = Field(180.0, gt=0)
    # An assigned conversation whose shopper waits for an operator reply this long gets
    # a reminder to the operator, and after as long again is re-routed.
    reply_reminder_seconds: float = Field(120.0, gt=0)
    reroute_after_reminder_seconds: float = Field(120.0, gt=0)
    # How often the timers are checked.
    tick_seconds: float = Field(1.0, gt=0, le=60)


class QueueSettings(_Model):
    # Estimated waits use the average handling time of the last resolved conversations;
    # before there are any, this value.
    default_handle_seconds: float = Field(300.0, gt=0)
    handle_time_samples: int = Field(50, ge=1, le=10_000)
    # Tell the shopper again when their position improved by this many places…
    position_step: int = Field(3, ge=1)
    # …or the estimated wait changed by this fraction.
    wait_change_ratio: float = Field(0.5, gt=0)


class PresenceSettings(_Model):
    # An online operator with no activity (console open, API calls) for this long is away.
    auto_away_seconds: float = Field(600.0, gt=0)


class ConsoleSettings(_Model):
    # Knowledge-base answers are suggested to the operator only when the NLU is at least
    # this confident of the shopper's latest message (0-1): below it they are noise.
    suggestion_min_confidence: float = Field(0.3, ge=0, le=1)


class Level(_Model):
    name: str = Field(min_length=1, max_length=60)
    min_points: int = Field(ge=0)


class Badge(_Model):
    # Shown as `name`; a badge with an `id` and no name is named per language by the
    # catalogs: `bot.badge_<id>` and `bot.badge_<id>_description`.
    id: str | None = Field(None, pattern=r"^[a-z][a-z0-9_]{0,40}$")
    name: str | None = Field(None, min_length=1, max_length=60)
    description: str = ""
    # Earned once the operator has `count` events of this kind.
    event: PointsEvent
    count: int = Field(ge=1)

    @model_validator(mode="after")
    def _named(self) -> Badge:
        if self.name is None and self.id is None:
            raise ValueError("a badge needs a name, or an id named by the catalogs")
        if self.name is None and not replies.has(f"badge_{self.id}"):
            raise ValueError(f"badge {self.id!r} has no name and no text bot.badge_{self.id} "
                             "in the catalogs")
        return self

    def shown(self, locale: str | None) -> dict[str, str]:
        """Its name and description in the reader's language (`locale`)."""
        if self.name is not None or self.id is None:
            return {"name": self.name or "", "description": self.description}
        description = (replies.text(f"badge_{self.id}_description", locale)
                       if replies.has(f"badge_{self.id}_description") else self.description)
        return {"name": replies.text(f"badge_{self.id}", locale), "description": description}


class PointsSettings(_Model):
    # Community operators who earn points.
    kinds: tuple[OperatorKind, ...] = (OperatorKind.EXPERT, OperatorKind.AMBASSADOR)
    resolved: int = Field(10, ge=0)
    csat_high: int = Field(5, ge=0)
    thanks: int = Field(3, ge=0)
    # Paid once per published revision whose answer the operator proposed (#13).
    community_answer: int = Field(25, ge=0)
    csat_high_min: int = Field(4, ge=1, le=5)
    levels: tuple[Level, ...] = (
        Level(name="Newcomer", min_points=0),
        Level(name="Helper", min_points=50),
        Level(name="Guide", min_points=200),
        Level(name="Champion", min_points=500),
    )
    badges: tuple[Badge, ...] = (
        Badge(name="First solve", description="Resolved a first conversation",
              event="resolved", count=1),
        Badge(name="Crowd favourite", description="Ten ratings of 4 or 5",
              event="csat_high", count=10),
        Badge(name="Thanked", description="Five shoppers said thank you",
              event="thanks", count=5),
        Badge(id="community_author", event="community_answer", count=1),
    )
    leaderboard_size: int = Field(20, ge=1, le=1000)

    @field_validator("levels")
    @classmethod
    def _levels(cls, value: tuple[Level, ...]) -> tuple[Level, ...]:
        if not value or min(level.min_points for level in value) != 0:
            raise ValueError("needs a level with min_points 0")
        return tuple(sorted(value, key=lambda level: level.min_points))


def _default_rules() -> tuple[Rule, ...]:
    return tuple(Rule.model_validate(r) for r in DEFAULT_RULES)


# The shop's reality: staff is off at nights and weekends, when most purchases happen.
DEFAULT_RULES: tuple[dict[str, Any], ...] = (
    {"name": "vip", "description": "VIP shoppers first", "when": {"vip": True},
     "priority": 20},
    {"name": "big_basket", "description": "Large baskets first",
     "when": {"min_basket": 150}, "priority": 10},
    {"name": "handed_off_twice", "description": "Bounced twice: staff takes it",
     "when": {"min_handoffs": 2}, "pool": {"kinds": ["internal"]}, "priority": 5},
    {"name": "products_off_hours",
     "description": "Product questions at night and weekends: experts and ambassadors only",
     "when": {"topics": ["product"], "business_hours": False},
     "pool": {"kinds": ["expert", "ambassador"], "skills": ["product"]}, "stop": True},
    {"name": "products", "description": "Product questions: experts and ambassadors first",
     "when": {"topics": ["product"]},
     "pool": {"kinds": ["expert", "ambassador"], "skills": ["product"]}},
    {"name": "complaints", "description": "Complaints: staff, with priority",
     "when": {"intents": ["damaged_item", "missing_items", "warranty_claim", "order_late"]},
     "pool": {"kinds": ["internal"]}, "priority": 5},
    {"name": "orders_payments", "description": "Orders, payments, returns: agents",
     "when": {"topics": ["orders", "payments", "returns", "shipping", "account"]},
     "pool": {"kinds": ["internal"]}},
    {"name": "agents", "description": "Anything else: in-house, then outsourced agents",
     "pool": {"kinds": ["internal"]}},
    {"name": "outsourced", "pool": {"kinds": ["outsourced"]}},
)

DEFAULT_BUSINESS_HOURS: dict[Day, tuple[str, ...]] = {
    "mon": ("09:00-18:00",), "tue": ("09:00-18:00",), "wed": ("09:00-18:00",),
    "thu": ("09:00-18:00",), "fri": ("09:00-18:00",), "sat": (), "sun": (),
}


class LoginSettings(_Model):
    """Console log-in limits (Chatwoot's table is the floor) and password hashing."""

    # Failed log-ins (a success does not count) per client address per window…
    ip_attempts: int = Field(5, ge=1)
    ip_window_seconds: float = Field(300.0, gt=0)
    # …and per account (the e-mail tried, whether or not an operator has it).
    account_attempts: int = Field(10, ge=1)
    account_window_seconds: float = Field(900.0, gt=0)
    # The attempt after the limit locks the address or account out for one window; each
    # further lockout doubles it, up to this…
    max_lockout_seconds: float = Field(3600.0, gt=0)
    # …until the key stays out of trouble this long after its last lockout.
    forget_after_seconds: float = Field(86_400.0, gt=0)
    # Argon2 hashes computed at once (each ~0.2 s of CPU and 64 MiB) on threads of their
    # own (None: half the CPU cores, at least one); a log-in that waits longer than
    # hashing_wait_seconds for one gets 503.
    hashing_workers: int | None = Field(None, ge=1, le=64)
    hashing_wait_seconds: float = Field(5.0, gt=0, le=300)

    def hashing_threads(self) -> int:
        # Half the cores: hashing at full speed on every core left the event loop (which
        # serves shoppers) a share of one; on 2 cores one thread hashed as many log-ins
        # per second under a storm as two, with half the shopper p99 (bench/login_storm.py).
        return self.hashing_workers or max(1, (os.cpu_count() or 2) // 2)

    def ip_limit(self) -> Limit:
        return Limit("login.ip", self.ip_attempts, self.ip_window_seconds,
                     max(self.max_lockout_seconds, self.ip_window_seconds),
                     self.forget_after_seconds)

    def account_limit(self) -> Limit:
        return Limit("login.account", self.account_attempts, self.account_window_seconds,
                     max(self.max_lockout_seconds, self.account_window_seconds),
                     self.forget_after_seconds)


class HandoffSettings(_Model):
    # The shop's time zone: business hours and rule times are read in it.
    timezone: str = "Europe/Madrid"
    business_hours: dict[Day, tuple[str, ...]] = Field(
        default_factory=lambda: dict(DEFAULT_BUSINESS_HOURS)
    )
    vip_tags: tuple[str, ...] = ("vip",)
    # The ordered rule table (see config.yml).
    rules: tuple[Rule, ...] = Field(default_factory=_default_rules)
    # When no rule pool has anyone, the last resort after SLA widening: any online
    # operator of these kinds.
    widest_pool: Pool = Pool(kinds=(OperatorKind.INTERNAL, OperatorKind.OUTSOURCED,
                                    OperatorKind.EXPERT))
    sla: SlaSettings = SlaSettings()
    queue: QueueSettings = QueueSettings()
    presence: PresenceSettings = PresenceSettings()
    points: PointsSettings = PointsSettings()
    # How long the shopper's CSAT answer (1–5) is awaited after resolving (a day); other
    # messages meanwhile do not end the wait.
    csat_answer_seconds: float = Field(86_400.0, gt=0)
    # Console login sessions (cookie) last this long.
    console_session_hours: float = Field(12.0, gt=0, le=24 * 30)
    console: ConsoleSettings = ConsoleSettings()
    # Operators of these kinds work for someone else (a contractor, the community): the
    # phone numbers, e-mails, names and channel ids of shoppers are masked for them.
    external_kinds: tuple[OperatorKind, ...] = (
        OperatorKind.OUTSOURCED, OperatorKind.EXPERT, OperatorKind.AMBASSADOR,
    )
    login: LoginSettings = LoginSettings()

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        parse_zone(value)
        return value

    @field_validator("business_hours", mode="before")
    @classmethod
    def _hours(cls, value: Any) -> Any:
        if isinstance(value, dict):
            unknown = sorted(set(value) - set(DAYS))
            if unknown:
                raise ValueError(f"unknown weekday {unknown[0]!r} (use mon, tue, … sun)")
            for day, ranges in value.items():
                for text in [ranges] if isinstance(ranges, str) else ranges or ():
                    try:
                        parse_range(text)
                    except ValueError as exc:
                        raise ValueError(f"{day}: {exc}") from None
            return {d: [r] if isinstance(r, str) else (r or []) for d, r in value.items()}
        return value

    @field_validator("rules", mode="before")
    @classmethod
    def _rules(cls, value: Any) -> Any:
        """Validate each rule alone, so the error names the rule and its field."""
        if not isinstance(value, list | tuple):
            raise ValueError("must be a list of rules")
        rules: list[Rule] = []
        for number, raw in enumerate(value, 1):
            name = raw.get("name") if isinstance(raw, dict) else None
            label = f"rule {name!r} (#{number})" if name else f"rule #{number}"
            if isinstance(raw, Rule):
                rules.append(raw)
                continue
            try:
                rules.append(Rule.model_validate(raw))
            except ValidationError as exc:
                first = exc.errors()[0]
                field = ".".join(str(p) for p in first["loc"]) or "rule"
                message = "unknown field" if first["type"] == "extra_forbidden" else first["msg"]
                message = message.removeprefix("Value error, ")
                raise ValueError(f"{label}, field {field}: {message}") from None
        names = [r.name for r in rules]
        duplicate = next((n for n in names if names.count(n) > 1), None)
        if duplicate is not None:
            raise ValueError(f"rule {duplicate!r} is defined twice")
        if not any(r.pool is not None for r in rules):
            raise ValueError("no rule names a pool: nobody could ever be chosen")
        return rules

    def weekly_hours(self) -> WeeklyHours:
        return WeeklyHours.parse(
            {str(day): hours for day, hours in self.business_hours.items()}, self.timezone
        )
