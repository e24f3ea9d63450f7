"""Telegram: webhook (`POST /webhooks/telegram`) or long polling, one shopper per chat.

Every update, however it arrives, goes through `UpdateHandler.handle`: parse (pure,
`telegram_parse`) → `Inbox.accept` (deduped on `update_id`, durable before the
200) → callback queries answered. Replies leave through the outbox and
`TelegramChannel.send` (`telegram_send`).

The webhook checks `X-Telegram-Bot-Api-Secret-Token` in constant time before reading
the body. Telegram retries any non-2xx answer, so input that will never parse is a
400 (logged), and an update seen before is a silent 200.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from fastapi import APIRouter, FastAPI, HTTPException, Request, Response
from telegram import Bot
from telegram.error import NetworkError, RetryAfter, TelegramError

from relevo.bot.conversations import Conversations
from relevo.bot.inbox import Accepted, Inbox
from relevo.bot.store import messages as message_store
from relevo.bot.store.conversations import ConversationRow
from relevo.bot.store.db import Database
from relevo.bot.store.messages import StoredMessage
from relevo.bot.types import Author, AuthorKind, ConversationState
from relevo.channels.media import MediaPolicy
from relevo.channels.ratelimit import RateLimiter
from relevo.channels.telegram.parse import ALLOWED_UPDATES, NAME, BadUpdate, parse_update
from relevo.channels.telegram.send import (
    TelegramChannel,
    make_bot,
    open_bot,
    retry_after_seconds,
    webhook_secret,
)

log = logging.getLogger("relevo.channels.telegram")

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
WEBHOOK_PATH = "/webhooks/telegram"

# (contact_id, channel, verified phone) → link with a contact known by that number.
VerifiedPhoneHook = Callable[[int, str, str], Awaitable[None]]

WELCOME = {
    "en": "Hi! I'm the shop's assistant. Ask me about orders, shipping, returns or our "
    "products. Write \"person\" whenever you want someone from our team.",
    "es": "¡Hola! Soy el asistente de la tienda. Pregúntame por pedidos, envíos, "
    "devoluciones o productos. Escribe \"persona\" cuando quieras hablar con el equipo.",
}


class TelegramPollingRefused(RuntimeError):
    pass


def polling_refusal(webhook_url: str) -> str:
    return (
        f"Telegram polling refused: a webhook is set for this bot ({webhook_url}), and "
        "Telegram does not give updates to getUpdates while it is. Remove it with "
        "`relevo telegram delete-webhook`, or run without --telegram-polling."
    )


class UpdateHandler:
    def __init__(
        self,
        inbox: Inbox,
        bot: Bot,
        policy: MediaPolicy,
        verified_phone: Callable[[], VerifiedPhoneHook | None] = lambda: None,
    ) -> None:
        self._inbox = inbox
        self._bot = bot
        self._policy = policy
        self._verified_phone = verified_phone

    async def handle(self, data: Mapping[str, Any]) -> Accepted | None:
        """Store one update. Raises `BadUpdate` for one that is not a Telegram update."""
        parsed = parse_update(data, self._policy)
        accepted = None
        if parsed.message is not None:
            accepted = await self._inbox.accept(parsed.message)
            hook = self._verified_phone()
            if parsed.shared_phone and not accepted.duplicate and hook is not None:
                await hook(accepted.contact_id, NAME, parsed.shared_phone)
        if parsed.callback_query_id is not None:
            await self._answer(parsed.callback_query_id)
        return accepted

    async def _answer(self, query_id: str) -> None:
        # Stops the button's spinner. A replay may find the query already answered
        # or too old: nothing to do then.
        try:
            await self._bot.answer_callback_query(query_id)
        except TelegramError as exc:
            log.info("callback query not answered: %s", exc.message)


def webhook_router(handler: UpdateHandler, secret: str) -> APIRouter:
    router = APIRouter()
    expected = secret.encode("utf-8")

    @router.post(WEBHOOK_PATH, include_in_schema=False)
    async def telegram_webhook(request: Request) -> Response:
        given = request.headers.get(SECRET_HEADER, "").encode("utf-8")
        if not hmac.compare_digest(given, expected):
            raise HTTPException(403, f"missing or wrong {SECRET_HEADER}")
        try:
            data = json.loads(await request.body())
        except (ValueError, UnicodeDecodeError):
            raise HTTPException(400, "request body is not valid JSON") from None
        if not isinstance(data, dict):
            raise HTTPException(400, "request body is not a Telegram update object")
        try:
            await handler.handle(data)
        except BadUpdate as exc:
            log.warning("telegram update refused: %s", exc)
            raise HTTPException(400, f"not a Telegram update: {exc}") from None
        return Response(status_code=200)

    return router


class Poller:
    """Long polling for development: getUpdates in a loop, through the same handler."""

    def __init__(self, bot: Bot, handler: UpdateHandler, timeout: int) -> None:
        self._bot = bot
        self._handler = handler
        self._timeout = timeout
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        info = await self._bot.get_webhook_info()
        if info.url:
            raise TelegramPollingRefused(polling_refusal(info.url))
        self._task = asyncio.create_task(self._run(), name="relevo-telegram-polling")
        log.info("telegram: long polling started")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
            self._task = None

    async def _run(self) -> None:
        offset: int | None = None
        delay = 1.0
        while True:
            try:
                updates = await self._bot.get_updates(
                    offset=offset, timeout=self._timeout, allowed_updates=list(ALLOWED_UPDATES)
                )
            except RetryAfter as exc:
                await asyncio.sleep(retry_after_seconds(exc))
                continue
            except TelegramError as exc:
                log.warning(
                    "telegram getUpdates failed (%s); retrying in %.0fs", exc.message, delay
                )
                await asyncio.sleep(delay)
                delay = min(delay * 2, 30.0)
                continue
            delay = 1.0
            for update in updates:
                try:
                    await self._handler.handle(update.to_dict())
                except BadUpdate as exc:
                    log.warning("telegram update %s skipped: %s", update.update_id, exc)
                except Exception:
                    # Not stored (the database?): ask for it again rather than skip it.
                    log.exception("telegram update %s not stored; retrying", update.update_id)
                    await asyncio.sleep(delay)
                    break
                offset = update.update_id + 1


def start_interceptor(
    database: Database, wake: Callable[[], None]
) -> Callable[[StoredMessage, ConversationRow], Awaitable[bool]]:
    """`/start` (with or without a deep-link payload) gets a welcome, not the NLU."""
    # No bus reaches this function yet: the welcome is stored and delivered, unheard.
    conversations = Conversations(database, None, wake=wake)

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
                    channel=NAME, text=WELCOME.get(locale, WELCOME["en"]), locale=locale,
                    author=Author(AuthorKind.BOT), meta={"welcome": True},
                )
        return True

    return intercept


def install(app: FastAPI, relevo: Any) -> None:
    """Add the Telegram channel when `RELEVO_TELEGRAM__BOT_TOKEN` is set."""
    settings = relevo.settings.telegram
    if settings.bot_token is None or not settings.bot_token.get_secret_value():
        return
    bot = make_bot(settings)
    limiter = RateLimiter(
        per_destination=settings.chat_messages_per_second, total=settings.messages_per_second
    )
    relevo.channels[NAME] = TelegramChannel(bot, limiter)
    handler = UpdateHandler(
        relevo.inbox,
        bot,
        MediaPolicy(settings.media_max_bytes, settings.media_types),
        verified_phone=lambda: relevo.extras.get("linking.verified_phone"),
    )
    relevo.extras["telegram.bot"] = bot
    relevo.extras["telegram.handler"] = handler
    app.include_router(webhook_router(handler, webhook_secret(settings)))
    relevo.engine.intercept(start_interceptor(relevo.database, relevo.outbox.wake))
    poller = Poller(bot, handler, settings.polling_timeout_seconds)

    async def start() -> None:
        try:
            await open_bot(bot)
        except NetworkError as exc:
            if settings.mode == "polling":
                raise
            # The webhook still stores updates; sends retry through the outbox.
            log.warning("telegram: Bot API unreachable at start-up (%s)", exc.message)
        if settings.mode == "polling":
            await poller.start()

    async def stop() -> None:
        await poller.stop()
        await bot.shutdown()

    relevo.on_startup.append(start)
    relevo.on_shutdown.append(stop)
