"""`relevo kb`: import and export knowledge-base articles (YAML files, one per article).

The database is the knowledge base (a first `relevo run` seeds it from
`knowledge_base.content_dir`, the demo shop's when unset). `import` validates every file
first and writes nothing when any is wrong; then each new or changed article becomes a
revision by "import" (an unchanged one writes nothing), published at once when its file
says `published` (teams that review YAML in git have reviewed it), or a draft with
`--draft`. `export` writes each article's head revision with its status.
"""

from __future__ import annotations

import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, Any, NoReturn, Protocol, TypeVar, runtime_checkable

import typer
from rich.console import Console
from rich.table import Table

from relevo.bot.bus import InProcessBus
from relevo.bot.store.db import Database
from relevo.knowledge_base.articles import (
    DEMO_CONTENT_DIR,
    Article,
    ArticleError,
    export_dir,
    load_dir,
)
from relevo.knowledge_base.config import KnowledgeBaseSettings
from relevo.knowledge_base.editorial import Editorial
from relevo.knowledge_base.importing import Imported

app = typer.Typer(no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False)

T = TypeVar("T")

ConfigOption = Annotated[
    Path | None,
    typer.Option("--config", "-c", help="config.yml to read (default: ./config.yml if present)."),
]


@runtime_checkable
class KnowledgeBaseConfig(Protocol):
    """What `relevo kb` needs from the command it is mounted under: this package's
    section of the configuration (read, validated, with the environment applied), and
    the configured database, migrated, for the length of one piece of work."""

    def knowledge_base_settings(self, config: Path | None) -> KnowledgeBaseSettings: ...

    def with_database(
        self, config: Path | None, work: Callable[[Database], Awaitable[T]]
    ) -> T: ...


@runtime_checkable
class PublishAudit(Protocol):
    """Records an import in the audit log (`kb.publish`) under the user who ran it."""

    def record_kb_publish(self, config: Path | None, target: Path, after: dict[str, Any]) -> None:
        ...


def fail(message: str) -> NoReturn:
    sys.stderr.write(f"relevo: {message}\n")  # one plain line, like every relevo command
    raise typer.Exit(1)


def _source(ctx: typer.Context) -> KnowledgeBaseConfig:
    if not isinstance(ctx.obj, KnowledgeBaseConfig):
        fail("relevo kb needs the configured database: run it as `relevo kb …`")
    return ctx.obj


def _content_dir(ctx: typer.Context, config: Path | None) -> Path:
    configured = _source(ctx).knowledge_base_settings(config).content_dir
    return Path(configured) if configured else DEMO_CONTENT_DIR


def _load(path: Path) -> list[Article]:
    try:
        return load_dir(path)
    except ArticleError as exc:
        fail(str(exc))


def _articles(ctx: typer.Context, config: Path | None) -> list[Article]:
    """Every article's head revision (the database seeded first, as `relevo run` would)."""
    seed_dir = _content_dir(ctx, config)

    async def work(database: Database) -> list[Article]:
        editorial = Editorial(database, InProcessBus())
        await editorial.seed_from(seed_dir)
        return await editorial.all_articles()

    try:
        return _source(ctx).with_database(config, work)
    except ArticleError as exc:
        fail(str(exc))


@app.command("import")
def import_articles(
    ctx: typer.Context,
    source: Annotated[Path, typer.Argument(help="A folder of article files, or one file.")],
    draft: Annotated[bool, typer.Option("--draft", help="Import as drafts for review.")] = False,
    config: ConfigOption = None,
) -> None:
    """Validate SOURCE and import its articles into the database as new revisions."""
    incoming = _load(source)
    if not incoming:
        fail(f"{source}: no article files (*.yml, *.yaml) found")

    async def work(database: Database) -> tuple[Imported, int]:
        editorial = Editorial(database, InProcessBus())
        done = await editorial.import_articles(
            incoming, "import", f"imported from {source}", draft=draft)
        return done, len(await editorial.all_articles())

    done, total = _source(ctx).with_database(config, work)
    if isinstance(ctx.obj, PublishAudit):
        ctx.obj.record_kb_publish(config, source, {
            "imported": sorted(article.intent for article in incoming), "draft": draft,
            "new": len(done.created), "revised": len(done.revised),
            "unchanged": len(done.unchanged), "total": total,
        })
    # Plain writes: rich would wrap the counts onto two lines.
    typer.echo(f"imported {len(incoming)} articles from {source} ({len(done.created)} new, "
               f"{len(done.revised)} revised, {len(done.unchanged)} unchanged; {total} in "
               f"total), {len(done.published)} published")
    if done.published:
        typer.echo("a running relevo serves them from its next start")


@app.command("export")
def export_articles(
    ctx: typer.Context,
    out_dir: Annotated[Path, typer.Argument(help="Folder to write <intent>.yml files into.")],
    config: ConfigOption = None,
) -> None:
    """Write every article of the database (its latest revision and status) to OUT_DIR."""
    written = export_dir(_articles(ctx, config), out_dir)
    Console().print(f"exported {len(written)} articles to {out_dir}", markup=False)


@app.command("list")
def list_articles(ctx: typer.Context, config: ConfigOption = None) -> None:
    """List the database's articles: intent, topic, status, locales."""
    table = Table("intent", "topic", "status", "locales", "questions")
    for article in _articles(ctx, config):
        table.add_row(
            article.intent, article.topic, article.status, ",".join(sorted(article.answer)),
            str(sum(len(q) for q in article.questions.values())),
        )
    Console().print(table)
