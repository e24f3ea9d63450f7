"""Telling waiting shoppers their place in line when it changes materially."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from relevo.bot import replies
from relevo.bot.conversations import Conversations
from relevo.handoff import store
from relevo.handoff.availability import Availability
from relevo.handoff.config import Pool, QueueSettings
from relevo.handoff.queue import QueueEntry, estimate_wait, minutes
from relevo.handoff.state import HandoffState


async def refresh(
    conversations: Conversations, state: HandoffState, availability: Availability,
    settings: QueueSettings, now: datetime, entries: Iterable[QueueEntry], limit: int = 500,
) -> int:
    """Tell shoppers whose place in line or estimated wait changed materially."""
    updates: list[tuple[QueueEntry, int, int]] = []
    capacities: dict[tuple[Pool, ...], int] = {}
    for entry in entries:
        if len(updates) >= limit:
            break
        if entry.offered_to is not None or entry.after_hours:
            continue
        if entry.lane not in capacities:
            capacities[entry.lane] = availability.capacity(entry)
        capacity = capacities[entry.lane]
        if capacity == 0:
            continue
        position = state.queue.position(entry)
        wait = estimate_wait(position, capacity, state.handle_times.average)
        told_position = entry.told_position or position
        told_wait = entry.told_wait_seconds or wait
        moved = told_position - position >= settings.position_step or (
            position == 1 and told_position > 1
        )
        changed = abs(wait - told_wait) / max(told_wait, 1) >= settings.wait_change_ratio
        if entry.told_position is None or moved or changed:
            updates.append((entry, position, wait))
    if not updates:
        return 0
    async with conversations.change(now) as change:
        for entry, position, wait in updates:
            key = "queue_position" if entry.told_position is None else "queue_update"
            text = replies.text(key, entry.locale).format(
                position=position, minutes=minutes(wait)
            )
            await change.tell_shopper(
                conversation_id=entry.conversation_id, contact_id=entry.contact_id,
                channel=entry.channel, text=text, locale=entry.locale,
                meta={"handoff": "position"},
            )
            await store.save_handoff(change.conn, entry.conversation_id, now=now,
                                     told_position=position, told_wait_seconds=wait)
        change.on_commit(lambda: _told(updates))
    return len(updates)


def _told(updates: list[tuple[QueueEntry, int, int]]) -> None:
    for entry, position, wait in updates:
        entry.told_position, entry.told_wait_seconds = position, wait
