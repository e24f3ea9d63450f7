"""`relevo telegram …`: register, inspect and remove the bot's webhook."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, NoReturn, Protocol, TypeVar, runtime_checkable

import typer
from telegram import Bot, WebhookInfo
from telegram.error import TelegramError

from relevo.bot.config import ConfigError
from relevo.channels.telegram.config import TelegramNotConfigured, TelegramSettings
from relevo.channels.telegram.parse import ALLOWED_UPDATES
from relevo.channels.telegram.polling import polling_refusal
from relevo.channels.telegram.routes import WEBHOOK_PATH
from relevo.channels.telegram.send import make_bot, open_bot
from relevo.channels.telegram.verify import webhook_secret

app = typer.Typer(help="Telegram: webhook set-up and info.", no_args_is_help=True)

ConfigOption = Annotated[
    Path | None,
    typer.Option("--config", "-c", help="config.yml to read (default: ./config.yml if present)."),
]
T = TypeVar("T")


def _fail(message: str, code: int = 1) -> NoReturn:
    sys.stderr.write(f"relevo: {message}\n")
    raise typer.Exit(code)


@runtime_checkable
class TelegramConfig(Protocol):
    """What `relevo telegram` needs from the command it is mounted under: this
    package's section of the configuration (read, validated, with the environment)."""

    def telegram_settings(self, config: Path | None) -> TelegramSettings: ...


def _settings(ctx: typer.Context, config: Path | None) -> TelegramSettings:
    source = ctx.obj
    if not isinstance(source, TelegramConfig):
        return TelegramSettings()  # mounted alone: the defaults (no token)
    try:
        return source.telegram_settings(config)
    except ConfigError as exc:
        _fail(f"config error: {exc}", code=2)


def _with_bot(settings: TelegramSettings, action: Callable[[Bot], Awaitable[T]]) -> T:
    async def go() -> T:
        bot = make_bot(settings)
        try:
            await open_bot(bot)
            return await action(bot)
        finally:
            await bot.shutdown()

    try:
        return asyncio.run(go())
    except TelegramNotConfigured as exc:
        _fail(f"config error: {exc}", code=2)
    except TelegramError as exc:
        _fail(f"Telegram said: {exc.message}")


def webhook_url(public_url: str) -> str:
    url = public_url.rstrip("/")
    return url if url.endswith(WEBHOOK_PATH) else url + WEBHOOK_PATH


@app.command("set-webhook")
def set_webhook(
    ctx: typer.Context,
    public_url: Annotated[str, typer.Argument(help="https://… where this relevo is reachable.")],
    drop_pending: Annotated[
        bool, typer.Option("--drop-pending", help="Discard updates Telegram is holding.")
    ] = False,
    config: ConfigOption = None,
) -> None:
    """Point Telegram at PUBLIC_URL/webhooks/telegram, with the secret token and the
    update types relevo handles."""
    if not public_url.startswith("https://"):
        _fail("Telegram only calls https:// webhooks: give the public https URL", code=2)
    settings = _settings(ctx, config)
    url = webhook_url(public_url)

    async def register(bot: Bot) -> bool:
        return await bot.set_webhook(
            url,
            secret_token=webhook_secret(settings),
            allowed_updates=list(ALLOWED_UPDATES),
            drop_pending_updates=drop_pending,
        )

    _with_bot(settings, register)
    print(f"webhook set: {url} (updates: {', '.join(ALLOWED_UPDATES)})")


@app.command("delete-webhook")
def delete_webhook(ctx: typer.Context, config: ConfigOption = None) -> None:
    """Remove the webhook (needed before `relevo run --telegram-polling`)."""

    async def delete(bot: Bot) -> bool:
        return await bot.delete_webhook()

    _with_bot(_settings(ctx, config), delete)
    print("webhook removed")


@app.command("info")
def info(ctx: typer.Context, config: ConfigOption = None) -> None:
    """Show Telegram's getWebhookInfo for this bot."""

    async def fetch(bot: Bot) -> tuple[str, WebhookInfo]:
        return bot.username or "", await bot.get_webhook_info()

    username, found = _with_bot(_settings(ctx, config), fetch)
    for line in describe(username, found):
        print(line)


def describe(username: str, found: WebhookInfo) -> list[str]:
    last_error = (
        f"{found.last_error_date.isoformat()} {found.last_error_message}"
        if found.last_error_date
        else "none"
    )
    return [
        f"bot:                  @{username}",
        f"webhook url:          {found.url or '(none: polling mode possible)'}",
        f"pending updates:      {found.pending_update_count}",
        f"allowed updates:      {', '.join(found.allowed_updates or ()) or '(all but a few)'}",
        f"max connections:      {found.max_connections or '-'}",
        f"ip address:           {found.ip_address or '-'}",
        f"last error:           {last_error}",
    ]


def polling_problem(settings: TelegramSettings) -> str | None:
    """Why `relevo run --telegram-polling` cannot start, or None (checked before serving)."""

    async def check(bot: Bot) -> str | None:
        found = await bot.get_webhook_info()
        return polling_refusal(found.url) if found.url else None

    try:
        return _with_bot(settings, check)
    except typer.Exit:
        return "Telegram polling: cannot reach the Bot API to check for a webhook (see above)"
