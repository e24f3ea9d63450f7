"""Shows "typing…" in the shopper's Telegram chat while an operator types: the bus's
`OperatorTyping` (active) becomes `sendChatAction(typing)`. Telegram shows it for about
five seconds or until the next message, and has no "stopped typing", so a stop is
simply not sent. Ephemeral and best effort: a failure is logged, never retried."""

from __future__ import annotations

import logging

from telegram import Bot
from telegram.constants import ChatAction
from telegram.error import TelegramError

from relevo.bot.protocols import Bus, Subscription
from relevo.bot.store.contacts import recipient_for
from relevo.bot.store.db import Database
from relevo.bot.types import Event, OperatorTyping
from relevo.channels.telegram.parse import NAME

log = logging.getLogger("relevo.channels.telegram")


class TelegramTyping:
    def __init__(self, bus: Bus, database: Database, bot: Bot) -> None:
        self._bus = bus
        self._db = database
        self._bot = bot
        self._subscription: Subscription | None = None

    async def start(self) -> None:
        self._subscription = self._bus.subscribe(self.on_event, name="telegram-typing")

    async def stop(self) -> None:
        if self._subscription is not None:
            await self._subscription.close()
            self._subscription = None

    async def on_event(self, event: Event) -> None:
        if not isinstance(event, OperatorTyping) or not event.active:
            return
        async with self._db.read() as conn:
            chat = await recipient_for(conn, event.contact_id, NAME)
        if chat is None:
            return
        try:
            await self._bot.send_chat_action(chat_id=int(chat), action=ChatAction.TYPING)
        except TelegramError as exc:
            log.warning("telegram: typing not shown (%s)", type(exc).__name__)
