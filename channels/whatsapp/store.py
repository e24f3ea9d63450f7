"""What the WhatsApp channel reads and writes: its own table of opt-outs, and the
24-hour window (from the shopper's own messages).

`channel_opt_outs` is the channel's table, defined here on the core's `metadata` and
migrated by the channel's own Alembic branch (`migrations/`, label `whatsapp`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from relevo.bot.store.schema import UTCDateTime, identities, messages, metadata
from relevo.channels.whatsapp.parse import NAME

# Shoppers who told the channel to stop messaging them ("STOP"). Outbound messages to
# them fail with the reason instead of reaching Twilio. Keyed by channel as well, as
# core revision 0003 created it.
channel_opt_outs = sa.Table(
    "channel_opt_outs",
    metadata,
    sa.Column("channel", sa.String(32), primary_key=True),
    sa.Column("external_user_id", sa.String(200), primary_key=True),
    sa.Column("keyword", sa.String(32), nullable=False),
    sa.Column("opted_out_at", UTCDateTime, nullable=False),
)


async def set_opt_out(
    conn: AsyncConnection, address: str, *, keyword: str | None, now: datetime
) -> None:
    """Record (keyword given) or clear (None) a shopper's opt-out."""
    where = (channel_opt_outs.c.channel == NAME) & (channel_opt_outs.c.external_user_id == address)
    await conn.execute(sa.delete(channel_opt_outs).where(where))
    if keyword is not None:
        await conn.execute(
            sa.insert(channel_opt_outs).values(
                channel=NAME, external_user_id=address, keyword=keyword, opted_out_at=now
            )
        )


async def opted_out(conn: AsyncConnection, address: str) -> bool:
    found = await conn.execute(
        sa.select(channel_opt_outs.c.keyword).where(
            channel_opt_outs.c.channel == NAME, channel_opt_outs.c.external_user_id == address
        )
    )
    return found.first() is not None


async def last_inbound_at(conn: AsyncConnection, address: str) -> datetime | None:
    """When the shopper behind `address` last wrote on WhatsApp (opens the window)."""
    contact_ids = sa.select(identities.c.contact_id).where(
        identities.c.channel == NAME, identities.c.external_user_id == address
    )
    last: datetime | None = (
        await conn.execute(
            sa.select(sa.func.max(messages.c.created_at)).where(
                messages.c.contact_id.in_(contact_ids),
                messages.c.channel == NAME,
                messages.c.direction == "inbound",
            )
        )
    ).scalar_one_or_none()
    return last


async def meta_of(conn: AsyncConnection, message_id: int) -> dict[str, Any]:
    meta = (
        await conn.execute(sa.select(messages.c.meta).where(messages.c.id == message_id))
    ).scalar_one_or_none()
    return dict(meta or {})
