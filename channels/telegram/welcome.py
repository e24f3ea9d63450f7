"""Telegram's `/start` (with or without a deep-link payload) gets a welcome, not the NLU."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncConnection

from relevo.bot.store import contacts as contact_store
from relevo.bot.store import messages as message_store
from relevo.bot.store.conversations import ConversationRow
from relevo.bot.store.db import Database
from relevo.bot.store.messages import StoredMessage
from relevo.bot.types import Author, AuthorKind, ConversationState
from relevo.channels.telegram.parse import NAME

WELCOME = {
    "en": "Hi! I'm the shop's assistant. Ask me about orders, shipping, returns or our "
    "products. Write \"person\" whenever you want someone from our team.",
    "es": "¡Hola! Soy el asistente de la tienda. Pregúntame por pedidos, envíos, "
    "devoluciones o productos. Escribe \"persona\" cuando quieras hablar con el equipo.",
}


def start_interceptor(
    database: Database, wake: Callable[[], None]
) -> Callable[[StoredMessage, ConversationRow], Awaitable[bool]]:
    """`/start` (with or without a deep-link payload) gets a welcome, not the NLU."""

    async def intercept(message: StoredMessage, conversation: ConversationRow) -> bool:
        if message.channel != NAME or not message.text.startswith("/start"):
            return False
        if conversation.state != ConversationState.BOT:
            return False
        async with database.write() as conn:
            # The processed flag makes this idempotent: a replay after a crash is a no-op.
            if await message_store.mark_processed(conn, message.id):
                await _welcome(conn, message, conversation)
        wake()
        return True

    return intercept


async def _welcome(
    conn: AsyncConnection, message: StoredMessage, conversation: ConversationRow
) -> None:
    recipient = await contact_store.recipient_for(conn, conversation.contact_id, NAME)
    if recipient is None:
        return
    locale = message.locale or conversation.locale or "en"
    await message_store.insert_outbound(
        conn,
        conversation_id=conversation.id,
        contact_id=conversation.contact_id,
        channel=NAME,
        recipient=recipient,
        author=Author(AuthorKind.BOT),
        text=WELCOME.get(locale, WELCOME["en"]),
        locale=locale,
        now=datetime.now(UTC),
        meta={"welcome": True},
    )
