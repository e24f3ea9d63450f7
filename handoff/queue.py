"""The queue of conversations waiting for an operator, held in memory.

Ordered by priority (highest first), then by longest waiting. Conversations wait in
*lanes*: those that can be taken by the same pools queue behind each other, so a
shopper's position counts only the people ahead for the same operators. Positions
are a binary search; the database row in `handoffs` is the durable copy.
"""

from __future__ import annotations

import bisect
import math
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime

from relevo.handoff.config import Pool
from relevo.handoff.operators import OperatorState

SortKey = tuple[int, float, int]
Lane = tuple[Pool, ...]


@dataclass(slots=True, eq=False)
class QueueEntry:
    conversation_id: int
    priority: int
    queued_at: datetime
    # The cascade (rule pools, then the widest pool); the first `stage + 1` are eligible.
    pools: tuple[Pool, ...]
    stage: int
    language: str | None
    locale: str | None
    channel: str
    contact_id: int
    offered_to: int | None = None
    offered_at: datetime | None = None
    offers: set[int] = field(default_factory=set)
    after_hours: bool = False
    widened_at: datetime | None = None
    told_position: int | None = None
    told_wait_seconds: int | None = None

    @property
    def key(self) -> SortKey:
        return (-self.priority, self.queued_at.timestamp(), self.conversation_id)

    @property
    def lane(self) -> Lane:
        return self.pools[: self.stage + 1]

    def accepts(self, operator: OperatorState) -> bool:
        return operator.speaks(self.language) and any(operator.in_pool(p) for p in self.lane)


class QueueIndex:
    def __init__(self) -> None:
        self.entries: dict[int, QueueEntry] = {}
        self._lanes: dict[Lane, list[SortKey]] = {}
        # The offered entries of each lane: they hold an operator's slot already, so they
        # are not "ahead" of anyone still waiting.
        self._offered: dict[Lane, list[SortKey]] = {}

    def __len__(self) -> int:
        return len(self.entries)

    def __contains__(self, conversation_id: object) -> bool:
        return conversation_id in self.entries

    def get(self, conversation_id: int) -> QueueEntry | None:
        return self.entries.get(conversation_id)

    def add(self, entry: QueueEntry) -> None:
        self.remove(entry.conversation_id)
        self.entries[entry.conversation_id] = entry
        bisect.insort(self._lanes.setdefault(entry.lane, []), entry.key)
        if entry.offered_to is not None:
            bisect.insort(self._offered.setdefault(entry.lane, []), entry.key)

    def remove(self, conversation_id: int) -> QueueEntry | None:
        entry = self.entries.pop(conversation_id, None)
        if entry is None:
            return None
        _discard(self._lanes, entry.lane, entry.key)
        _discard(self._offered, entry.lane, entry.key)
        return entry

    def set_offer(self, entry: QueueEntry, operator_id: int | None, at: datetime | None) -> None:
        """Record (or withdraw, with None) the offer of a queued conversation."""
        if entry.conversation_id in self.entries and entry.offered_to is not None:
            _discard(self._offered, entry.lane, entry.key)
        entry.offered_to, entry.offered_at = operator_id, at
        if entry.conversation_id in self.entries and operator_id is not None:
            bisect.insort(self._offered.setdefault(entry.lane, []), entry.key)

    def widen(self, entry: QueueEntry, now: datetime) -> bool:
        """Open the next pool of the cascade to this conversation; False at the widest."""
        if entry.stage + 1 >= len(entry.pools):
            return False
        self.remove(entry.conversation_id)
        entry.stage += 1
        entry.widened_at = now
        self.add(entry)
        return True

    def position(self, entry: QueueEntry) -> int:
        """1 = next in line for its pools (offered conversations are not waiting). The
        entry need not be in the index yet (a decision not committed): the indexed
        entry of the same conversation, if any, is not counted ahead of it."""
        ahead = bisect.bisect_left(self._lanes.get(entry.lane, []), entry.key)
        offered_ahead = bisect.bisect_left(self._offered.get(entry.lane, []), entry.key)
        current = self.entries.get(entry.conversation_id)
        if current is not None and current is not entry and current.lane == entry.lane \
                and current.key < entry.key and current.offered_to is None:
            ahead -= 1
        return ahead - offered_ahead + 1

    def lane_of(self, entry: QueueEntry) -> Iterator[QueueEntry]:
        for key in list(self._lanes.get(entry.lane, ())):
            found = self.entries.get(key[2])
            if found is not None:
                yield found

    def next_for(self, operator: OperatorState) -> QueueEntry | None:
        """The most urgent conversation this operator may take that is not offered to
        anyone and that they were not offered before in this queue entry."""
        best: QueueEntry | None = None
        for lane, keys in self._lanes.items():
            if not any(operator.in_pool(p) for p in lane):
                continue
            for key in keys:
                if best is not None and key >= best.key:
                    break
                entry = self.entries[key[2]]
                if entry.offered_to is not None or operator.id in entry.offers:
                    continue
                if not operator.speaks(entry.language):
                    continue
                best = entry
                break
        return best


def _discard(lanes: dict[Lane, list[SortKey]], lane: Lane, key: SortKey) -> None:
    keys = lanes.get(lane)
    if keys is None:
        return
    at = bisect.bisect_left(keys, key)
    if at < len(keys) and keys[at] == key:
        del keys[at]
    if not keys:
        del lanes[lane]


class HandleTimes:
    """Recent handling times (claim → resolve), for estimated waits."""

    def __init__(self, samples: int, default_seconds: float) -> None:
        self._samples: deque[float] = deque(maxlen=samples)
        self._default = default_seconds

    def add(self, seconds: float) -> None:
        if seconds >= 0:
            self._samples.append(seconds)

    @property
    def average(self) -> float:
        return sum(self._samples) / len(self._samples) if self._samples else self._default


def estimate_wait(position: int, capacity: int, average_handle: float) -> int:
    """Seconds until a slot frees for this position: `capacity` conversations are
    handled in parallel, each taking `average_handle` on average."""
    if capacity <= 0:
        return 0
    rounds = math.ceil(position / capacity)
    return max(60, int(rounds * average_handle))


def minutes(seconds: int) -> int:
    return max(1, math.ceil(seconds / 60))
