"""The `relevo` command line. Errors end with one readable line and a non-zero exit."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated, ClassVar

import typer

from relevo.app.cli_lazy import LazyCommand, LazyGroup
from relevo.app.cli_support import (
    ConfigOption,
    PackageCommands,
    fail,
    run_with_database,
    settings_from,
)

# Nothing heavy at import time (FastAPI, SQLAlchemy, scikit-learn, vendor SDKs): each
# command imports what it needs when it runs, so `relevo --help` answers at once.
if TYPE_CHECKING:
    import socket

    from fastapi import FastAPI

    from relevo.app.settings import Settings


def _operators_app() -> typer.Typer:
    from relevo.app.cli_operators import operators_app

    return operators_app


def _contacts_app() -> typer.Typer:
    from relevo.app.cli_contacts import contacts_app

    return contacts_app


def _nlu_app() -> typer.Typer:
    from relevo.nlu.cli import app as nlu_app

    return nlu_app


def _kb_app() -> typer.Typer:
    from relevo.knowledge_base.cli import app as kb_app

    return kb_app


def _telegram_app() -> typer.Typer:
    from relevo.channels.telegram.cli import app as telegram_app

    return telegram_app


class RelevoCommands(LazyGroup):
    # Sub-commands that live with their package (or in their own module), imported
    # only when run.
    lazy: ClassVar[dict[str, LazyCommand]] = {
        "operators": LazyCommand(_operators_app, "Operators: agents, experts and ambassadors."),
        "contacts": LazyCommand(_contacts_app,
                                "Contacts: export or erase a shopper's data (GDPR)."),
        "nlu": LazyCommand(_nlu_app, "NLU: train, parse, evaluate, serve, export to Rasa."),
        "kb": LazyCommand(_kb_app, "Knowledge base: import and export articles."),
        "telegram": LazyCommand(_telegram_app, "Telegram: webhook set-up and info."),
    }


app = typer.Typer(
    cls=RelevoCommands,
    help="relevo: a customer-service bot for shops that hands over to the best human.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
app.add_typer(db_app, name="db")


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
    from relevo.app.startup_checks import StartupProblem, database_problem, listening_socket

    settings = settings_from(
        config, host=host, port=port, dev=dev or None,
        telegram={"mode": "polling"} if telegram_polling else None,
    )
    if telegram_polling:
        _check_telegram_polling(settings)
    # Before anything slow (migrations, training): one line and exit code 2.
    try:
        sock = listening_socket(settings.host, settings.port)
    except StartupProblem as exc:
        fail(str(exc), code=2)
    try:
        problem = database_problem(settings.database_url)
        if problem is not None:
            fail(problem, code=2)
        application = _application(settings)
        _serve(application, settings, sock)
    finally:
        sock.close()


def _application(settings: Settings) -> FastAPI:
    from relevo.app import create_app
    from relevo.bot.config import ConfigError
    from relevo.bot.logs import configure_logging

    configure_logging(settings.log_level)
    try:
        return create_app(settings)
    except ConfigError as exc:  # a channel found its settings incomplete
        fail(f"config error: {exc}", code=2)


def _serve(application: FastAPI, settings: Settings, sock: socket.socket) -> None:
    """Run uvicorn on the bound socket until Ctrl+C; say where the demo shop is once it
    listens."""
    import asyncio

    import uvicorn
    from rich.console import Console

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
            await server.serve(sockets=[sock])
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
    print("database is up to date")


@app.command()
def version() -> None:
    """Print relevo's version."""
    from importlib.metadata import version as dist_version

    print(dist_version("relevo"))


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
