"""STOP and START: a shopper's instructions to relevo, kept in the channel's own
table (`channel_opt_outs`), never questions for the bot. Sending checks them."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from relevo.bot.clock import Clock, utc_now
from relevo.bot.store.conversations import ConversationRow
from relevo.bot.store.db import Database
from relevo.bot.store.messages import StoredMessage
from relevo.channels.whatsapp import store
from relevo.channels.whatsapp.parse import NAME


class OptOuts:
    def __init__(
        self,
        database: Database,
        opt_out_keywords: tuple[str, ...],
        opt_in_keywords: tuple[str, ...],
        *,
        clock: Clock = utc_now,
    ) -> None:
        self._db = database
        self._opt_out = opt_out_keywords
        self._opt_in = opt_in_keywords
        self._clock = clock

    async def apply(self, address: str, keyword: str | None) -> None:
        """Record an opt-out (STOP…) or clear it (START…); other words change nothing."""
        if keyword is None:
            return
        if keyword in self._opt_out:
            async with self._db.write() as conn:
                await store.set_opt_out(conn, address, keyword=keyword, now=self._clock())
        elif keyword in self._opt_in:
            async with self._db.write() as conn:
                await store.set_opt_out(conn, address, keyword=None, now=self._clock())

    def interceptor(self) -> Callable[[StoredMessage, ConversationRow], Awaitable[bool]]:
        """For the engine: a keyword message gets no answer."""
        words = {w.upper() for w in (*self._opt_out, *self._opt_in)}

        async def intercept(message: StoredMessage, conversation: ConversationRow) -> bool:
            return message.channel == NAME and message.text.strip().upper() in words

        return intercept
