"""Twilio's delivery status callbacks move an outbound message's status forward and
tell the bus (the console shows ticks)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime

from relevo.bot.protocols import Bus
from relevo.bot.store.db import Database
from relevo.bot.types import MessageSent
from relevo.channels.whatsapp import store
from relevo.channels.whatsapp.parse import NAME, ParsedStatus

log = logging.getLogger("relevo.channels.whatsapp")


class DeliveryStatuses:
    def __init__(
        self,
        database: Database,
        bus: Bus,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._db = database
        self._bus = bus
        self._clock = clock

    async def record(self, parsed: ParsedStatus) -> None:
        if parsed.status is None:
            return
        error = f"Twilio error {parsed.error_code}" if parsed.error_code else None
        async with self._db.write() as conn:
            changed = await store.record_status(conn, parsed.message_sid, parsed.status, error)
        if changed is None:
            log.info("status %s for %s: nothing to update", parsed.twilio_status,
                     parsed.message_sid)
            return
        message_id, conversation_id = changed
        await self._bus.publish(
            MessageSent(conversation_id=conversation_id, at=self._clock(),
                        message_id=message_id, channel=NAME, status=parsed.status)
        )
