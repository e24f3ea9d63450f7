"""Telegram's `/start` (with or without a deep-link payload) gets a welcome, not the NLU."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from relevo.bot.catalog import Catalog
from relevo.bot.conversations import Conversations
from relevo.bot.store import messages as message_store
from relevo.bot.store.conversations import ConversationRow
from relevo.bot.store.messages import StoredMessage
from relevo.bot.types import Author, AuthorKind, ConversationState
from relevo.channels.telegram.parse import NAME


def start_interceptor(
    conversations: Conversations, catalog: Catalog
) -> Callable[[StoredMessage, ConversationRow], Awaitable[bool]]:
    """`/start` (with or without a deep-link payload) gets a welcome, not the NLU."""

    async def intercept(message: StoredMessage, conversation: ConversationRow) -> bool:
        if message.channel != NAME or not message.text.startswith("/start"):
            return False
        if conversation.state != ConversationState.BOT:
            return False
        async with conversations.change() as change:
            # The processed flag makes this idempotent: a replay after a crash is a no-op.
            if await message_store.mark_processed(change.conn, message.id):
                locale = message.locale or conversation.locale or "en"
                await change.tell_shopper(
                    conversation_id=conversation.id, contact_id=conversation.contact_id,
                    channel=NAME, text=catalog.text("telegram.welcome", locale), locale=locale,
                    author=Author(AuthorKind.BOT), meta={"welcome": True},
                )
        return True

    return intercept
