"""`relevo kb import|export|list` over the database: imports as revisions (unchanged
articles write nothing), `--draft`, all-or-nothing validation, export with status."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from typer.testing import CliRunner

from relevo.app.cli import app
from relevo.bot.bus import InProcessBus
from relevo.bot.store.db import Database
from relevo.bot.types import Refused
from relevo.knowledge_base.articles import DEMO_CONTENT_DIR, load_dir
from relevo.knowledge_base.editorial import Editorial

ARTICLE = """\
intent: gift_wrapping
topic: orders
tags: [gifts]
status: published
title:
  en: Gift wrapping
  es: Envolver para regalo
questions:
  en:
    - Can you gift wrap my order?
  es:
    - ¿Podéis envolverlo para regalo?
answer:
  en: Yes, for 2 euros at checkout.
  es: Sí, por 2 euros al pagar.
"""


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("RELEVO_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'kb.db'}")
    return tmp_path


def stored(workdir: Path) -> Editorial:
    return Editorial(Database(f"sqlite+aiosqlite:///{workdir / 'kb.db'}"), InProcessBus())


async def history(workdir: Path, intent: str) -> list[tuple[str, str]]:
    found = await stored(workdir).history(intent)
    assert not isinstance(found, Refused), found
    return [(revision.author.name, revision.note) for revision in found[1]]


def test_export_writes_the_demo_shop_and_import_reads_it_back(workdir: Path) -> None:
    runner = CliRunner()
    exported = runner.invoke(app, ["kb", "export", "out"])
    assert exported.exit_code == 0, exported.output
    assert len(list((workdir / "out").glob("*.yml"))) == len(load_dir(DEMO_CONTENT_DIR))
    imported = runner.invoke(app, ["kb", "import", "out"])
    assert imported.exit_code == 0, imported.output
    assert f"0 new, 0 revised, {len(load_dir(DEMO_CONTENT_DIR))} unchanged" in imported.output
    again = runner.invoke(app, ["kb", "export", "again"])
    assert again.exit_code == 0, again.output
    assert load_dir(workdir / "again") == load_dir(DEMO_CONTENT_DIR)
    listed = runner.invoke(app, ["kb", "list"])
    assert "shipping_times" in listed.output


def test_import_adds_and_revises_by_intent_and_an_unchanged_article_writes_nothing(
    workdir: Path,
) -> None:
    (workdir / "new").mkdir()
    (workdir / "new" / "gift.yml").write_text(ARTICLE)
    runner = CliRunner()
    first = runner.invoke(app, ["kb", "import", "new/gift.yml"])
    same = runner.invoke(app, ["kb", "import", "new"])
    (workdir / "new" / "gift.yml").write_text(ARTICLE.replace("2 euros", "3 euros"))
    changed = runner.invoke(app, ["kb", "import", "new"])
    assert "(1 new, 0 revised, 0 unchanged; 1 in total), 1 published" in first.output
    assert "(0 new, 0 revised, 1 unchanged; 1 in total)" in same.output
    assert "(0 new, 1 revised, 0 unchanged; 1 in total), 1 published" in changed.output
    assert asyncio.run(history(workdir, "gift_wrapping")) == [
        ("import", "imported from new"), ("import", "imported from new/gift.yml")]
    (served,) = asyncio.run(stored(workdir).published_articles())
    assert served.answer["en"] == "Yes, for 3 euros at checkout."


def test_draft_imports_wait_for_review_and_export_says_so(workdir: Path) -> None:
    (workdir / "new").mkdir()
    (workdir / "new" / "gift.yml").write_text(ARTICLE)
    runner = CliRunner()
    assert runner.invoke(app, ["kb", "import", "new"]).exit_code == 0
    (workdir / "new" / "gift.yml").write_text(ARTICLE.replace("2 euros", "3 euros"))
    drafted = runner.invoke(app, ["kb", "import", "--draft", "new"])
    assert drafted.exit_code == 0, drafted.output
    assert "0 published" in drafted.output
    (served,) = asyncio.run(stored(workdir).published_articles())
    assert served.answer["en"] == "Yes, for 2 euros at checkout."  # still serving
    assert runner.invoke(app, ["kb", "export", "out"]).exit_code == 0
    (exported,) = load_dir(workdir / "out")
    assert (exported.status, exported.answer["en"]) == ("draft", "Yes, for 3 euros at checkout.")


def test_a_broken_file_imports_nothing_and_names_the_line(workdir: Path) -> None:
    (workdir / "new").mkdir()
    (workdir / "new" / "good.yml").write_text(ARTICLE)
    (workdir / "new" / "bad.yml").write_text("intent: broken\ntitle: [unclosed\n")
    result = CliRunner().invoke(app, ["kb", "import", "new"])
    assert result.exit_code == 1
    assert "new/bad.yml:3:" in result.output  # file and line
    assert len(result.output.strip().splitlines()) == 1
    assert not (workdir / "kb.db").exists()  # validation failed before anything was opened


def test_relevo_run_serves_the_imported_articles(workdir: Path) -> None:
    from relevo.app.models import load_knowledge_base as _load_knowledge_base
    from relevo.app.settings import load_settings

    (workdir / "shop").mkdir()
    (workdir / "shop" / "gift.yml").write_text(ARTICLE)
    settings = load_settings(None, knowledge_base={"content_dir": str(workdir / "shop")})
    kb = _load_knowledge_base(settings)
    assert kb is not None
    assert kb.answer("gift_wrapping", "es") == "Sí, por 2 euros al pagar."


def test_a_start_after_an_import_serves_it_and_seeds_nothing(workdir: Path) -> None:
    from relevo.app import create_app
    from relevo.app.settings import load_settings
    from tests.conftest import started

    (workdir / "new").mkdir()
    (workdir / "new" / "gift.yml").write_text(ARTICLE)
    assert CliRunner().invoke(app, ["kb", "import", "new"]).exit_code == 0

    async def serve() -> list[tuple[str, str | None]]:
        served = create_app(load_settings(None, nlu={"backend": "none"}))
        async with started(served):
            kb = served.state.relevo.knowledge_base
            return [(a.intent, kb.answer(a.intent, "en")) for a in kb.articles()]

    assert asyncio.run(serve()) == [("gift_wrapping", "Yes, for 2 euros at checkout.")]
