"""What every `relevo` command shares: the --config option, one-line failures, and a
database opened (and migrated) for the length of one command."""

from __future__ import annotations

import getpass
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn, TypeVar

import typer

# Imported by every `relevo` command: nothing heavy here (each function imports what it
# needs), so `relevo --help` does not load the web stack, the database or the NLU.
if TYPE_CHECKING:
    from relevo.app.settings import Settings
    from relevo.bot.audit import Actor
    from relevo.bot.nlu_types import TrainingExample
    from relevo.bot.store.db import Database
    from relevo.channels.telegram.config import TelegramSettings
    from relevo.knowledge_base.config import KnowledgeBaseSettings

T = TypeVar("T")

ConfigOption = Annotated[
    Path | None,
    typer.Option("--config", "-c", help="config.yml to read (default: ./config.yml if present)."),
]


def fail(message: str, code: int = 1) -> NoReturn:
    # Plain write: rich would wrap a long line in two.
    sys.stderr.write(f"relevo: {message}\n")
    raise typer.Exit(code)


def settings_from(config: Path | None, **overrides: object) -> Settings:
    from relevo.app.settings import load_settings
    from relevo.bot.config import ConfigError

    try:
        return load_settings(config, **{k: v for k, v in overrides.items() if v is not None})
    except ConfigError as exc:
        fail(f"config error: {exc}", code=2)


def run_with_database(settings: Settings, work: Callable[[Database], Awaitable[T]]) -> T:
    """Open the configured database, bring its schema up to date, run `work`, close."""
    import asyncio

    from relevo.app.migrations import PACKAGE_MIGRATIONS
    from relevo.bot.store.db import Database
    from relevo.bot.store.migrate import upgrade

    async def go() -> T:
        database = Database(settings.database_url, show_values=settings.log_shopper_text)
        try:
            await upgrade(database, locations=PACKAGE_MIGRATIONS)
            return await work(database)
        finally:
            await database.close()

    try:
        return asyncio.run(go())
    except OSError as exc:
        fail(f"cannot reach the database: {exc}")


class PackageCommands:
    """What the packages' own commands (`relevo nlu`, `relevo kb`, …) need from the top:
    each package names its needs as a Protocol; this object meets them all."""

    def demo_examples(self) -> list[TrainingExample]:
        from relevo.knowledge_base.training import examples_from_dir

        return examples_from_dir()

    def nlu_model_path(self, config: Path | None) -> Path | None:
        """`nlu.model_path` (None: models are not saved)."""
        from relevo.app.nlu_config import nlu_settings
        from relevo.bot.config import ConfigError

        try:
            configured = nlu_settings(config).model_path
        except ConfigError as exc:
            fail(f"config error: {exc}", code=2)
        return Path(configured) if configured else None

    def knowledge_base_settings(self, config: Path | None) -> KnowledgeBaseSettings:
        return settings_from(config).knowledge_base

    def with_database(self, config: Path | None, work: Callable[[Database], Awaitable[T]]) -> T:
        """`work` on the configured database, migrated (`relevo kb`)."""
        return run_with_database(settings_from(config), work)

    def telegram_settings(self, config: Path | None) -> TelegramSettings:
        return settings_from(config).telegram

    def record_kb_publish(self, config: Path | None, target: Path, after: dict[str, Any]) -> None:
        """`relevo kb import` imported the articles of `target`: who did, in the audit log."""
        from relevo.bot.audit import record
        from relevo.bot.clock import utc_now

        async def go(database: Database) -> None:
            async with database.write() as conn:
                await record(conn, actor=cli_actor(), action="kb.publish", at=utc_now(),
                                   target=("knowledge_base", str(target)[:64]), after=after)

        run_with_database(settings_from(config), go)


def cli_actor() -> Actor:
    """The OS user running this command, as the audit log names them."""
    from relevo.bot.audit import Actor

    try:
        return Actor.cli(getpass.getuser())
    except (KeyError, OSError):  # no name for this uid (a container)
        return Actor.cli("cli")
