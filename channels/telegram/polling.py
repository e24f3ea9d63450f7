"""Long polling for development: getUpdates in a loop, through the same handler as
the webhook. The offset moves past an update only once it is stored."""

from __future__ import annotations

import asyncio
import logging

from telegram import Bot
from telegram.error import RetryAfter, TelegramError

from relevo.channels.telegram.handler import UpdateHandler
from relevo.channels.telegram.parse import ALLOWED_UPDATES, BadUpdate
from relevo.channels.telegram.send import retry_after_seconds

log = logging.getLogger("relevo.channels.telegram")


class TelegramPollingRefused(RuntimeError):
    pass


def polling_refusal(webhook_url: str) -> str:
    return (
        f"Telegram polling refused: a webhook is set for this bot ({webhook_url}), and "
        "Telegram does not give updates to getUpdates while it is. Remove it with "
        "`relevo telegram delete-webhook`, or run without --telegram-polling."
    )


class Poller:
    """Start after the bot is open (`TelegramChannel.start`); stop before it closes."""

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
