"""Sending to Telegram through python-telegram-bot's `Bot`, within the Bot API limits.

Quick replies become an inline keyboard (the shopper's tap comes back as a
callback query), and so do 👍/👎 under a bot answer that takes a vote; bot answers
use the safe formatting subset (bold, links, lists: `bot.formatting`), everything
else is escaped text; operators' messages carry their display name in bold. Errors are
mapped for the outbox: flood control (429) and network trouble are transient, with
Telegram's `retry_after` honoured; a blocked bot or a bad request is permanent.
"""

from __future__ import annotations

import logging
import warnings
from datetime import timedelta
from html import escape

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
)
from telegram.request import HTTPXRequest

from relevo.bot import feedback
from relevo.bot.formatting import to_telegram_html
from relevo.bot.types import (
    AuthorKind,
    DeliveryStatus,
    OutboundMessage,
    PermanentDeliveryError,
    SendResult,
    TransientDeliveryError,
)
from relevo.channels.ratelimit import RateLimiter
from relevo.channels.telegram.config import TelegramNotConfigured, TelegramSettings
from relevo.channels.telegram.parse import NAME

log = logging.getLogger("relevo.channels.telegram")

# Telegram's limit is 4096 characters; HTML escaping can lengthen a chunk.
_CHUNK = 3500
_CALLBACK_DATA_BYTES = 64


def make_bot(settings: TelegramSettings) -> Bot:
    """The real SDK client, pointed at `telegram.api_base_url` (Telegram, a proxy or a
    local fake). Nothing is opened until `await bot.initialize()`."""
    if settings.bot_token is None or not settings.bot_token.get_secret_value():
        raise TelegramNotConfigured("telegram.bot_token: RELEVO_TELEGRAM__BOT_TOKEN is not set")
    base = settings.api_base_url.rstrip("/")
    return Bot(
        settings.bot_token.get_secret_value(),
        base_url=f"{base}/bot",
        base_file_url=f"{base}/file/bot",
        request=HTTPXRequest(connection_pool_size=32, read_timeout=10.0, connect_timeout=5.0),
        get_updates_request=HTTPXRequest(
            connection_pool_size=1, read_timeout=settings.polling_timeout_seconds + 10.0
        ),
    )


async def open_bot(bot: Bot) -> None:
    """Open the bot's HTTP clients and check the token (getMe) without ever putting
    the token in an error message."""
    try:
        await bot.initialize()
    except InvalidToken:
        raise TelegramNotConfigured(
            "telegram.bot_token: Telegram rejected the token (check RELEVO_TELEGRAM__BOT_TOKEN)"
        ) from None


class TelegramChannel:
    """Sends through `bot`, the channel's one HTTP client: opened by `start`, closed by
    `stop`. With `require_api`, an unreachable Bot API stops the start-up (polling
    needs it); without, the webhook still stores updates and sends retry later."""

    name = NAME

    def __init__(self, bot: Bot, limiter: RateLimiter, *, require_api: bool = False) -> None:
        self._bot = bot
        self._limiter = limiter
        self._require_api = require_api

    async def start(self) -> None:
        try:
            await open_bot(self._bot)
        except NetworkError as exc:
            if self._require_api:
                raise
            log.warning("telegram: Bot API unreachable at start-up (%s)", exc.message)

    async def stop(self) -> None:
        await self._bot.shutdown()

    async def send(self, message: OutboundMessage) -> SendResult:
        try:
            chat_id = int(message.recipient)
        except ValueError:
            raise PermanentDeliveryError(f"not a Telegram chat id: {message.recipient!r}") from None
        chunks = _chunks(message.text)
        last_id: int | None = None
        for index, chunk in enumerate(chunks):
            await self._limiter.acquire(message.recipient)
            is_last = index == len(chunks) - 1
            text = _html(chunk, message, first=index == 0)
            markup = _keyboard(message) if is_last else None
            try:
                sent = await self._bot.send_message(
                    chat_id, text, parse_mode=ParseMode.HTML, reply_markup=markup
                )
            except TelegramError as exc:
                raise delivery_error(exc) from exc
            last_id = sent.message_id
        return SendResult(external_id=str(last_id), status=DeliveryStatus.SENT)


def delivery_error(exc: TelegramError) -> TransientDeliveryError | PermanentDeliveryError:
    if isinstance(exc, RetryAfter):
        return TransientDeliveryError(
            f"Telegram 429: {exc.message}", retry_after=retry_after_seconds(exc)
        )
    if isinstance(exc, Forbidden):
        return PermanentDeliveryError(f"Telegram refused the message: {exc.message}")
    if isinstance(exc, BadRequest):
        return PermanentDeliveryError(f"Telegram rejected the message: {exc.message}")
    return TransientDeliveryError(f"Telegram: {type(exc).__name__}: {exc.message}")


def retry_after_seconds(exc: RetryAfter) -> float:
    # PTB 22 warns on reading `retry_after` while it migrates ints to timedeltas.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def _chunks(text: str) -> list[str]:
    """Pieces whose HTML-escaped form fits one Telegram message: escaping turns `&`,
    `<` and `>` into entities up to five characters long, so the limit is measured
    after it. A piece ends at a line break when one is in its second half."""
    if _fitting(text) == len(text):
        return [text or " "]
    chunks: list[str] = []
    rest = text
    while rest:
        cut = _fitting(rest)
        newline = rest.rfind("\n", 0, cut)
        if cut < len(rest) and newline > cut // 2:
            cut = newline
        chunks.append(rest[:cut])
        rest = rest[cut:].lstrip("\n")
    return chunks


def _fitting(text: str) -> int:
    """The length of the longest start of `text` whose escaped form is ≤ _CHUNK."""
    size = 0
    for index, character in enumerate(text):
        size += len(escape(character, quote=False))
        if size > _CHUNK:
            return index
    return len(text)


def _html(chunk: str, message: OutboundMessage, *, first: bool) -> str:
    if message.author.kind == AuthorKind.BOT:
        return to_telegram_html(chunk) or escape(chunk, quote=False)
    body = escape(chunk, quote=False)
    if first and message.author.kind == AuthorKind.OPERATOR and message.author.name:
        return f"<b>{escape(message.author.name, quote=False)}</b>\n{body}"
    return body


def _keyboard(message: OutboundMessage) -> InlineKeyboardMarkup | None:
    rows = [
        [InlineKeyboardButton(q.title[:64], callback_data=_fit(q.payload))]
        for q in message.quick_replies
    ]
    if message.feedback:  # one row: 👍 👎, the tap names the answer it rates
        rows.append([
            InlineKeyboardButton(emoji, callback_data=feedback.payload(message.message_id, up))
            for emoji, up in ((feedback.UP, True), (feedback.DOWN, False))
        ])
    return InlineKeyboardMarkup(rows) if rows else None


def _fit(payload: str) -> str:
    encoded = payload.encode("utf-8")[:_CALLBACK_DATA_BYTES]
    return encoded.decode("utf-8", errors="ignore")
