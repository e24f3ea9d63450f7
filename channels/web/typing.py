"""Tells a web chat visitor that an operator is typing: the bus's `OperatorTyping`
becomes a `typing` frame on the visitor's open sockets. Ephemeral: nothing is stored,
and a visitor with no socket open simply misses it."""

from __future__ import annotations

from relevo.bot.protocols import Bus, Subscription
from relevo.bot.store.contacts import recipient_for
from relevo.bot.store.db import Database
from relevo.bot.types import Event, OperatorTyping
from relevo.channels.web.hub import WebChatHub
from relevo.channels.web.messages import typing_json
from relevo.channels.web.parse import NAME


class WebTyping:
    def __init__(self, bus: Bus, database: Database, hub: WebChatHub) -> None:
        self._bus = bus
        self._db = database
        self._hub = hub
        self._subscription: Subscription | None = None

    async def start(self) -> None:
        self._subscription = self._bus.subscribe(self.on_event, name="web-typing")

    async def stop(self) -> None:
        if self._subscription is not None:
            await self._subscription.close()
            self._subscription = None

    async def on_event(self, event: Event) -> None:
        if not isinstance(event, OperatorTyping):
            return
        async with self._db.read() as conn:
            visitor = await recipient_for(conn, event.contact_id, NAME)
        if visitor is not None:
            self._hub.push(visitor, typing_json(event.name, event.active))
