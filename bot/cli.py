"""The `relevo` command line. Errors end with one readable line and a non-zero exit."""

from __future__ import annotations

import asyncio
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from rich.console import Console
from rich.table import Table

from bot.config import ConfigError, Settings, load_settings
from bot.types import OperatorKind

app = typer.Typer(
    help="relevo: a customer-service bot for shops that hands over to the best human.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
operators_app = typer.Typer(help="Operators: agents, experts and ambassadors.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(operators_app, name="operators")

ConfigOption = Annotated[
    Path | None,
    typer.Option("--config", "-c", help="config.yml to read (default: ./config.yml if present)."),
]


def fail(message: str, code: int = 1) -> NoReturn:
    # Plain write: rich would wrap a long line in two.
    sys.stderr.write(f"relevo: {message}\n")
    raise typer.Exit(code)


def settings_from(config: Path | None, **overrides: object) -> Settings:
    try:
        return load_settings(config, **{k: v for k, v in overrides.items() if v is not None})
    except ConfigError as exc:
        fail(f"config error: {exc}", code=2)


@app.command()
def run(
    config: ConfigOption = None,
    host: Annotated[str | None, typer.Option(help="Interface to listen on.")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on.")] = None,
    dev: Annotated[bool, typer.Option("--dev", help="Development mode.")] = False,
) -> None:
    """Serve relevo (web chat, APIs, webhooks) on embedded defaults or CONFIG."""
    import uvicorn

    from bot.app import create_app
    from bot.logs import configure_logging

    settings = settings_from(config, host=host, port=port, dev=dev or None)
    configure_logging(settings.log_level)
    application = create_app(settings)
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


@db_app.command("upgrade")
def db_upgrade(config: ConfigOption = None) -> None:
    """Apply the database migrations (relevo run does this too)."""
    from bot.store.db import Database
    from bot.store.migrate import upgrade

    settings = settings_from(config)

    async def go() -> None:
        database = Database(settings.database_url)
        try:
            await upgrade(database)
        finally:
            await database.close()

    try:
        asyncio.run(go())
    except OSError as exc:
        fail(f"cannot reach the database: {exc}")
    Console().print("database is up to date", markup=False)


def _split(value: str | None) -> list[str]:
    return [part.strip() for part in (value or "").split(",") if part.strip()]


@operators_app.command("add")
def operators_add(
    name: Annotated[str, typer.Option(help="Display name shown to shoppers.")],
    kind: Annotated[OperatorKind, typer.Option(help="internal, outsourced, expert or ambassador.")],
    email: Annotated[str | None, typer.Option(help="Login e-mail (unique).")] = None,
    languages: Annotated[str, typer.Option(help="Comma-separated, e.g. es,en.")] = "en",
    skills: Annotated[str | None, typer.Option(help="Comma-separated topics/tags.")] = None,
    max_concurrent: Annotated[int, typer.Option(min=1, max=100)] = 3,
    config: ConfigOption = None,
) -> None:
    """Add an operator and print their API token (shown only once)."""
    from bot.store import operators as operator_store
    from bot.store.db import Database
    from bot.store.migrate import upgrade

    settings = settings_from(config)
    if not name.strip():
        fail("--name must not be empty", code=2)

    async def go() -> str:
        database = Database(settings.database_url)
        try:
            await upgrade(database)
            async with database.write() as conn:
                _, token = await operator_store.add(
                    conn,
                    name=name.strip(),
                    kind=kind,
                    email=email,
                    languages=_split(languages) or ["en"],
                    skills=_split(skills),
                    max_concurrent=max_concurrent,
                    now=datetime.now(UTC),
                )
            return token
        finally:
            await database.close()

    try:
        token = asyncio.run(go())
    except operator_store.OperatorExists as exc:
        fail(str(exc))
    print(token)


@operators_app.command("list")
def operators_list(config: ConfigOption = None) -> None:
    """List the operators."""
    from bot.store import operators as operator_store
    from bot.store.db import Database
    from bot.store.migrate import upgrade

    settings = settings_from(config)

    async def go() -> list[operator_store.OperatorRow]:
        database = Database(settings.database_url)
        try:
            await upgrade(database)
            async with database.read() as conn:
                return await operator_store.all_active(conn)
        finally:
            await database.close()

    rows = asyncio.run(go())
    table = Table("id", "name", "kind", "email", "languages", "skills", "max", "presence")
    for row in rows:
        table.add_row(
            str(row.id), row.name, row.kind.value, row.email or "", ",".join(row.languages),
            ",".join(row.skills), str(row.max_concurrent), row.presence,
        )
    Console().print(table)


@app.command()
def version() -> None:
    """Print relevo's version."""
    from importlib.metadata import version as dist_version

    print(dist_version("relevo"))


# Sub-commands that live with their package: (module, command name, help).
SUBCOMMANDS = (
    ("nlu.cli", "nlu", "NLU: train, parse, evaluate, serve, export to Rasa."),
    ("knowledge_base.cli", "kb", "Knowledge base: import and export articles."),
    ("channels.telegram_cli", "telegram", "Telegram: webhook set-up and info."),
)


def _mount_optional() -> None:
    import importlib

    for module_name, name, help_text in SUBCOMMANDS:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name is not None and module_name.startswith(exc.name):
                continue
            raise
        app.add_typer(module.app, name=name, help=help_text)


_mount_optional()


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)


if __name__ == "__main__":
    main()
