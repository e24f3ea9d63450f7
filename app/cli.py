"""The `relevo` command line. Errors end with one readable line and a non-zero exit."""

from __future__ import annotations

import asyncio
import sys
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from relevo.app.cli_contacts import contacts_app
from relevo.app.cli_operators import operators_app
from relevo.app.cli_support import (
    ConfigOption,
    PackageCommands,
    fail,
    run_with_database,
    settings_from,
)
from relevo.app.settings import Settings
from relevo.bot.config import ConfigError
from relevo.channels.telegram.cli import app as telegram_app
from relevo.knowledge_base.cli import app as kb_app
from relevo.nlu.cli import app as nlu_app

if TYPE_CHECKING:
    from fastapi import FastAPI

app = typer.Typer(
    help="relevo: a customer-service bot for shops that hands over to the best human.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(operators_app, name="operators")
app.add_typer(contacts_app, name="contacts")


@app.command()
def run(
    config: ConfigOption = None,
    host: Annotated[str | None, typer.Option(help="Interface to listen on.")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on.")] = None,
    dev: Annotated[bool, typer.Option("--dev", help="Development mode.")] = False,
    telegram_polling: Annotated[
        bool,
        typer.Option(
            "--telegram-polling",
            help="Fetch Telegram updates by long polling (no public URL needed).",
        ),
    ] = False,
) -> None:
    """Serve relevo (web chat, APIs, webhooks) on embedded defaults or CONFIG."""
    from relevo.app import create_app
    from relevo.bot.logs import configure_logging

    settings = settings_from(
        config, host=host, port=port, dev=dev or None,
        telegram={"mode": "polling"} if telegram_polling else None,
    )
    configure_logging(settings.log_level)
    if telegram_polling:
        _check_telegram_polling(settings)
    try:
        application = create_app(settings)
    except ConfigError as exc:  # a channel found its settings incomplete
        fail(f"config error: {exc}", code=2)
    _serve(application, settings)


def _serve(application: FastAPI, settings: Settings) -> None:
    """Run uvicorn until Ctrl+C; say where the demo shop is once it listens."""
    import uvicorn

    server = uvicorn.Server(
        uvicorn.Config(
            application,
            host=settings.host,
            port=settings.port,
            log_config=None,
            access_log=False,
            ws_ping_interval=20,
            timeout_graceful_shutdown=5,
        )
    )

    async def announce() -> None:
        while not server.started:
            if server.should_exit:
                return
            await asyncio.sleep(0.05)
        url = f"http://{settings.host}:{settings.port}/"
        Console().print(
            f"relevo is running. Demo shop: {url}  ·  operator console: {url}console  "
            "·  Ctrl+C to stop",
            markup=False, highlight=False,
        )

    async def serve() -> None:
        announcer = asyncio.create_task(announce())
        try:
            await server.serve()
        finally:
            announcer.cancel()

    try:
        asyncio.run(serve())
    except KeyboardInterrupt:
        pass
    if not server.started:
        fail(f"could not start on {settings.host}:{settings.port} (see the log above)")


def _check_telegram_polling(settings: Settings) -> None:
    if settings.telegram.bot_token is None:
        fail("--telegram-polling needs the bot token: set RELEVO_TELEGRAM__BOT_TOKEN", code=2)
    from relevo.channels.telegram.cli import polling_problem

    problem = polling_problem(settings.telegram)
    if problem is not None:
        fail(problem)


@db_app.command("upgrade")
def db_upgrade(config: ConfigOption = None) -> None:
    """Apply the database migrations (relevo run does this too)."""

    async def nothing_more(_database: object) -> None:
        return None

    run_with_database(settings_from(config), nothing_more)
    Console().print("database is up to date", markup=False)


@app.command()
def version() -> None:
    """Print relevo's version."""
    from importlib.metadata import version as dist_version

    print(dist_version("relevo"))


# Sub-commands that live with their package.
app.add_typer(nlu_app, name="nlu", help="NLU: train, parse, evaluate, serve, export to Rasa.")
app.add_typer(kb_app, name="kb", help="Knowledge base: import and export articles.")
app.add_typer(telegram_app, name="telegram", help="Telegram: webhook set-up and info.")


@app.callback()
def _commands(ctx: typer.Context) -> None:
    # What the packages' own commands need from the top, handed down through the context.
    ctx.obj = PackageCommands()


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)


if __name__ == "__main__":
    main()
