"""`relevo kb`: import and export knowledge-base articles (YAML files, one per article).

`relevo run` loads the articles of `knowledge_base.content_dir` (the demo shop's
when unset). `import` validates everything first and writes nothing when any file
is wrong, so a half-imported knowledge base never reaches shoppers.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any, NoReturn, Protocol, runtime_checkable

import typer
from rich.console import Console
from rich.table import Table

from relevo.knowledge_base.articles import (
    DEMO_CONTENT_DIR,
    Article,
    ArticleError,
    export_dir,
    load_dir,
)
from relevo.knowledge_base.config import KnowledgeBaseSettings

app = typer.Typer(no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False)

DEFAULT_IMPORT_DIR = Path("kb")


ConfigOption = Annotated[
    Path | None,
    typer.Option("--config", "-c", help="config.yml to read (default: ./config.yml if present)."),
]


@runtime_checkable
class KnowledgeBaseConfig(Protocol):
    """What `relevo kb` needs from the command it is mounted under: this package's
    section of the configuration (read, validated, with the environment applied)."""

    def knowledge_base_settings(self, config: Path | None) -> KnowledgeBaseSettings: ...


@runtime_checkable
class PublishAudit(Protocol):
    """Records an import in the audit log (`kb.publish`) under the user who ran it."""

    def record_kb_publish(self, config: Path | None, target: Path, after: dict[str, Any]) -> None:
        ...


def fail(message: str) -> NoReturn:
    sys.stderr.write(f"relevo: {message}\n")  # one plain line, like every relevo command
    raise typer.Exit(1)


def _content_dir(ctx: typer.Context, config: Path | None) -> Path | None:
    source = ctx.obj
    if not isinstance(source, KnowledgeBaseConfig):
        return None  # mounted alone (no configuration): the defaults
    configured = source.knowledge_base_settings(config).content_dir
    return Path(configured) if configured else None


def _load(path: Path) -> list[Article]:
    try:
        return load_dir(path)
    except ArticleError as exc:
        fail(str(exc))


@app.command("import")
def import_articles(
    ctx: typer.Context,
    source: Annotated[Path, typer.Argument(help="A folder of article files, or one file.")],
    config: ConfigOption = None,
) -> None:
    """Validate SOURCE and copy its articles into the knowledge base relevo serves."""
    incoming = _load(source)
    if not incoming:
        fail(f"{source}: no article files (*.yml, *.yaml) found")
    target = _content_dir(ctx, config) or DEFAULT_IMPORT_DIR
    existing = _load(target) if target.exists() else []
    merged = {article.intent: article for article in existing}
    replaced = sum(1 for article in incoming if article.intent in merged)
    merged.update((article.intent, article) for article in incoming)
    export_dir(sorted(merged.values(), key=lambda a: a.intent), target)
    if isinstance(ctx.obj, PublishAudit):
        ctx.obj.record_kb_publish(config, target, {
            "imported": sorted(article.intent for article in incoming),
            "new": len(incoming) - replaced, "replaced": replaced, "total": len(merged),
        })
    Console().print(
        f"imported {len(incoming)} articles into {target} "
        f"({len(incoming) - replaced} new, {replaced} replaced; {len(merged)} in total)",
        markup=False, highlight=False,
    )
    if _content_dir(ctx, config) is None:
        Console().print(
            f"relevo serves the demo shop until you set knowledge_base.content_dir: {target} "
            f"(or RELEVO_KNOWLEDGE_BASE__CONTENT_DIR={target})",
            markup=False, highlight=False,
        )


@app.command("export")
def export_articles(
    ctx: typer.Context,
    out_dir: Annotated[Path, typer.Argument(help="Folder to write <intent>.yml files into.")],
    config: ConfigOption = None,
) -> None:
    """Write the knowledge base relevo serves (the demo shop's by default) to OUT_DIR."""
    source = _content_dir(ctx, config) or DEMO_CONTENT_DIR
    articles = _load(source)
    written = export_dir(articles, out_dir)
    Console().print(f"exported {len(written)} articles to {out_dir}", markup=False)


@app.command("list")
def list_articles(ctx: typer.Context, config: ConfigOption = None) -> None:
    """List the articles relevo serves: intent, topic, status, locales."""
    source = _content_dir(ctx, config) or DEMO_CONTENT_DIR
    table = Table("intent", "topic", "status", "locales", "questions")
    for article in _load(source):
        table.add_row(
            article.intent, article.topic, article.status, ",".join(sorted(article.answer)),
            str(sum(len(q) for q in article.questions.values())),
        )
    Console().print(table)
