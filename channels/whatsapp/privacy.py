"""WhatsApp's share of a shopper's data (`bot.protocols.ContactData`): the opt-outs kept
under their number. (The media files they sent are every channel's concern:
`relevo.channels.media_files.MediaContactData`.)

A retention erasure keeps the opt-out: it belongs to the shopper, not to a
conversation, and honouring it is the point of keeping it.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from relevo.bot.personal import Erased, Subject, rows_of
from relevo.channels.whatsapp.parse import NAME
from relevo.channels.whatsapp.store import channel_opt_outs


class WhatsAppContactData:
    def _opt_outs(self, subject: Subject) -> sa.ColumnElement[bool]:
        return (channel_opt_outs.c.channel == NAME) & channel_opt_outs.c.external_user_id.in_(
            subject.external_ids(NAME))

    async def export(self, conn: AsyncConnection, subject: Subject) -> Mapping[str, list[Any]]:
        opt_outs = await conn.execute(sa.select(channel_opt_outs).where(self._opt_outs(subject)))
        return {"whatsapp_opt_outs": rows_of(opt_outs)}

    async def erase(self, conn: AsyncConnection, subject: Subject, now: datetime) -> Erased:
        counts: dict[str, int] = {}
        if subject.whole_contact:
            removed = await conn.execute(sa.delete(channel_opt_outs).where(self._opt_outs(subject)))
            counts["whatsapp_opt_outs"] = int(removed.rowcount or 0)
        return Erased(counts)
