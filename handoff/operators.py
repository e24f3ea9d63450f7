"""Operators as routing sees them: an in-memory index of presence and load.

The database stays the source of truth for who is assigned what; this index is
rebuilt from it at start-up and kept in step by the router and the actions, so that
choosing among 1,000 operators costs a scan of the online ones and no query. (A
later issue moves presence and load to Redis for several processes.)
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from typing import Any

from relevo.bot.roles import highest, ordered
from relevo.bot.store.operators import OperatorRow
from relevo.bot.text import language_of
from relevo.bot.types import OperatorKind, Role
from relevo.bot.types import Presence as Presence  # re-exported while callers move to bot.types
from relevo.handoff.config import Pool
from relevo.handoff.schedule import WeeklyHours, parse_schedule, parse_zone
from relevo.handoff.signatures import Signature, author_name, from_json, kind_title, signed, to_json

NEVER = datetime(1970, 1, 1, tzinfo=UTC)


_PRESENCES = frozenset(p.value for p in Presence)


def signed_name(name: str, kind: OperatorKind, locale: str | None) -> str:
    """A name with its kind's title: "Lucía · especialista" (`relevo.handoff.signatures`
    for an operator's own signatures)."""
    return signed(name, kind_title(kind, locale))


def validate_schedule(schedule: Any, timezone: str) -> WeeklyHours | None:
    """Raises ValueError naming the problem (bad zone, weekday or range)."""
    parse_zone(timezone)
    return parse_schedule(schedule, timezone)


@dataclass(slots=True, eq=False)
class OperatorState:
    id: int
    name: str
    signature: str
    kind: OperatorKind
    languages: frozenset[str]
    skills: frozenset[str]
    max_concurrent: int
    presence: Presence
    schedule: WeeklyHours | None = None
    last_seen_at: datetime = NEVER
    last_assigned_at: datetime = NEVER
    points: int = 0
    # Every role held: their scopes add up (`relevo.bot.roles.has_scope(roles, …)`).
    roles: frozenset[Role] = frozenset({Role.OPERATOR})
    signatures: dict[str, Signature] = field(default_factory=dict)
    assigned: set[int] = field(default_factory=set)
    offered: set[int] = field(default_factory=set)

    @property
    def role(self) -> Role:
        """The highest of `roles`, for readers that show one."""
        return highest(self.roles)

    @property
    def load(self) -> int:
        return len(self.assigned) + len(self.offered)

    @property
    def has_room(self) -> bool:
        return self.load < self.max_concurrent

    def speaks(self, language: str | None) -> bool:
        return language is None or not self.languages or language in self.languages

    def in_pool(self, pool: Pool) -> bool:
        if pool.kinds and self.kind not in pool.kinds:
            return False
        return not pool.skills or not self.skills.isdisjoint(pool.skills)

    def author_name(self, locale: str | None) -> str:
        """What the shopper sees as the author of this operator's replies in a
        conversation in `locale`: their own signature for its language, or a default."""
        return author_name(self.signature, self.kind, self.signatures, locale)

    def public(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "signature": self.signature,
            "signatures": to_json(self.signatures),
            "kind": self.kind.value,
            "role": self.role.value,
            "roles": [role.value for role in ordered(self.roles)],
            "languages": sorted(self.languages),
            "skills": sorted(self.skills),
            "max_concurrent": self.max_concurrent,
            "presence": self.presence.value,
            "load": self.load,
            "points": self.points,
        }

    @classmethod
    def from_row(cls, row: OperatorRow) -> OperatorState:
        try:
            schedule = parse_schedule(row.schedule, row.timezone)
        except ValueError:
            schedule = None  # validated on every write; an old bad row must not stop routing
        return cls(
            id=row.id,
            name=row.name,
            signature=row.signature or row.name,
            kind=row.kind,
            languages=frozenset(language_of(lang) or lang for lang in row.languages),
            skills=frozenset(s.lower() for s in row.skills),
            max_concurrent=row.max_concurrent,
            presence=Presence(row.presence) if row.presence in _PRESENCES else Presence.OFFLINE,
            schedule=schedule,
            last_seen_at=row.last_seen_at or NEVER,
            last_assigned_at=row.last_assigned_at or NEVER,
            points=row.points,
            roles=row.roles,
            signatures=from_json(row.signatures),
        )


_STATE_FIELDS = tuple(f.name for f in fields(OperatorState) if f.name != "id")


class OperatorIndex:
    """Every active operator, and the online ones by kind for fast eligibility scans."""

    def __init__(self) -> None:
        self.by_id: dict[int, OperatorState] = {}
        self._online: dict[OperatorKind, dict[int, OperatorState]] = {k: {} for k in OperatorKind}

    def __len__(self) -> int:
        return len(self.by_id)

    def get(self, operator_id: int) -> OperatorState | None:
        return self.by_id.get(operator_id)

    def upsert(self, row: OperatorRow) -> OperatorState:
        """Add or refresh an operator from its row, keeping its current load."""
        fresh = OperatorState.from_row(row)
        old = self.by_id.get(row.id)
        if old is not None:
            fresh.assigned, fresh.offered = old.assigned, old.offered
            fresh.last_assigned_at = max(old.last_assigned_at, fresh.last_assigned_at)
            self._online[old.kind].pop(old.id, None)
        self.by_id[row.id] = fresh
        self._reindex(fresh)
        return fresh

    def replace_all(self, rows: Iterable[OperatorRow]) -> None:
        """Become exactly these operators, with no load (a rebuild from storage). An
        operator already known keeps its identity: callers may hold it."""
        seen: set[int] = set()
        for row in rows:
            seen.add(row.id)
            fresh = OperatorState.from_row(row)
            old = self.by_id.get(row.id)
            if old is None:
                self.by_id[row.id] = fresh
            else:
                self._online[old.kind].pop(old.id, None)
                for name in _STATE_FIELDS:
                    setattr(old, name, getattr(fresh, name))
                fresh = old
            self._reindex(fresh)
        for operator_id in set(self.by_id) - seen:
            self.remove(operator_id)

    def clear_load(self) -> None:
        for state in self.by_id.values():
            state.assigned, state.offered = set(), set()

    def remove(self, operator_id: int) -> OperatorState | None:
        state = self.by_id.pop(operator_id, None)
        if state is not None:
            self._online[state.kind].pop(operator_id, None)
        return state

    def set_presence(self, state: OperatorState, presence: Presence) -> None:
        state.presence = presence
        self._reindex(state)

    def _reindex(self, state: OperatorState) -> None:
        if state.presence == Presence.ONLINE:
            self._online[state.kind][state.id] = state
        else:
            self._online[state.kind].pop(state.id, None)

    def online(self, kinds: Iterable[OperatorKind] = ()) -> Iterable[OperatorState]:
        for kind in tuple(kinds) or tuple(OperatorKind):
            yield from self._online[kind].values()

    def best(
        self, pool: Pool, language: str | None, exclude: Iterable[int] = ()
    ) -> OperatorState | None:
        """The eligible operator (online, speaks the language, has a pool skill, under
        capacity) who is least busy; ties go to whoever was assigned least recently."""
        excluded = set(exclude)
        best: OperatorState | None = None
        best_key: tuple[int, datetime, int] | None = None
        skills = pool.skills
        for state in self.online(pool.kinds):
            if state.load >= state.max_concurrent or state.id in excluded:
                continue
            if skills and state.skills.isdisjoint(skills):
                continue
            if language is not None and state.languages and language not in state.languages:
                continue
            key = (state.load, state.last_assigned_at, state.id)
            if best_key is None or key < best_key:
                best, best_key = state, key
        return best

    def capacity(self, pool: Pool, language: str | None) -> int:
        """Conversation slots of the online operators who could take this pool."""
        return sum(
            s.max_concurrent
            for s in self.online(pool.kinds)
            if s.in_pool(pool) and s.speaks(language)
        )

    def members(self, pool: Pool) -> list[OperatorState]:
        """Every active operator in the pool, whatever their presence."""
        return [s for s in self.by_id.values() if s.in_pool(pool)]
