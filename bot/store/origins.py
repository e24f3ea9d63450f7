"""Where operators' replies and notes were written (`Origin`): their idempotency keys.

Stored on the message or note row (`origin_surface`, `origin_key`, unique together),
as an inbound message's `external_id` is: the same origin twice is one row.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from relevo.bot.store.schema import messages, operator_notes
from relevo.bot.types import Origin


async def message_with_origin(conn: AsyncConnection, origin: Origin) -> int | None:
    found = await conn.execute(
        sa.select(messages.c.id).where(messages.c.origin_surface == origin.surface,
                                       messages.c.origin_key == origin.key[:200])
    )
    value = found.scalar_one_or_none()
    return int(value) if value is not None else None


async def set_message_origin(conn: AsyncConnection, message_id: int, origin: Origin) -> None:
    """Raises IntegrityError when another message has this origin already."""
    await conn.execute(
        sa.update(messages).where(messages.c.id == message_id)
        .values(origin_surface=origin.surface, origin_key=origin.key[:200])
    )


async def note_with_origin(conn: AsyncConnection, origin: Origin) -> int | None:
    found = await conn.execute(
        sa.select(operator_notes.c.id).where(operator_notes.c.origin_surface == origin.surface,
                                             operator_notes.c.origin_key == origin.key[:200])
    )
    value = found.scalar_one_or_none()
    return int(value) if value is not None else None


async def set_note_origin(conn: AsyncConnection, note_id: int, origin: Origin) -> None:
    await conn.execute(
        sa.update(operator_notes).where(operator_notes.c.id == note_id)
        .values(origin_surface=origin.surface, origin_key=origin.key[:200])
    )
