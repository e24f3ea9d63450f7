"""One Telegram update, however it arrived (webhook or polling): parse it (pure),
hand the message to the core's one callable, then answer a button tap."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from telegram import Bot
from telegram.error import TelegramError

from relevo.bot.catalog import Catalog
from relevo.bot.feedback import parse_vote
from relevo.bot.inbox import Accepted, OnMessage, VerifiedPhoneHook
from relevo.bot.types import InboundMessage
from relevo.channels.media import MediaPolicy
from relevo.channels.telegram.parse import NAME, parse_update

log = logging.getLogger("relevo.channels.telegram")

class UpdateHandler:
    """`on_message` is the core's inbox: it stores the message once, deduped on
    `(channel, external_id)` (here the update_id), so redeliveries store nothing twice."""

    def __init__(
        self,
        on_message: OnMessage,
        bot: Bot,
        policy: MediaPolicy,
        *,
        on_verified_phone: VerifiedPhoneHook | None = None,
        catalog: Catalog | None = None,
    ) -> None:
        """`catalog`: the toast a 👍 button answers with (none without it)."""
        self._on_message = on_message
        self._bot = bot
        self._policy = policy
        self._on_verified_phone = on_verified_phone
        self._catalog = catalog

    async def handle(self, data: Mapping[str, Any]) -> Accepted | None:
        """Store one update. Raises `BadUpdate` for one that is not a Telegram update."""
        parsed = parse_update(data, self._policy)
        accepted: Accepted | None = None
        if parsed.message is not None:
            accepted = await self._on_message(parsed.message)
            if (
                parsed.shared_phone
                and not accepted.duplicate
                and self._on_verified_phone is not None
            ):
                await self._on_verified_phone(accepted.contact_id, NAME, parsed.shared_phone)
        if parsed.callback_query_id is not None:
            await self._answer(parsed.callback_query_id, self._toast(parsed.message))
        return accepted

    def _toast(self, message: InboundMessage | None) -> str | None:
        """A 👍 is thanked with a toast on the button, not a message in the chat."""
        vote = parse_vote(message.text) if message is not None else None
        if vote is None or not vote.helpful or self._catalog is None:
            return None
        return self._catalog.text("feedback.toast", message.locale if message else None)

    async def _answer(self, query_id: str, text: str | None = None) -> None:
        # Stops the button's spinner. A replay may find the query already answered
        # or too old: nothing to do then.
        try:
            await self._bot.answer_callback_query(query_id, text=text)
        except TelegramError as exc:
            log.info("callback query not answered: %s", exc.message)
