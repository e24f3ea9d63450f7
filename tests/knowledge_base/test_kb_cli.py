"""`relevo kb import|export|list`."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from relevo.app.cli import app
from relevo.knowledge_base.articles import DEMO_CONTENT_DIR, load_dir

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
    return tmp_path


def test_export_writes_the_demo_shop_and_import_reads_it_back(workdir: Path) -> None:
    runner = CliRunner()
    exported = runner.invoke(app, ["kb", "export", "out"])
    assert exported.exit_code == 0, exported.output
    assert len(list((workdir / "out").glob("*.yml"))) == len(load_dir(DEMO_CONTENT_DIR))
    (workdir / "config.yml").write_text("knowledge_base:\n  content_dir: shop\n")
    imported = runner.invoke(app, ["kb", "import", "out"])
    assert imported.exit_code == 0, imported.output
    assert load_dir(workdir / "shop") == load_dir(DEMO_CONTENT_DIR)
    listed = runner.invoke(app, ["kb", "list"])
    assert "shipping_times" in listed.output


def test_import_adds_and_replaces_by_intent(workdir: Path) -> None:
    (workdir / "config.yml").write_text("knowledge_base:\n  content_dir: shop\n")
    (workdir / "new").mkdir()
    (workdir / "new" / "gift.yml").write_text(ARTICLE)
    runner = CliRunner()
    first = runner.invoke(app, ["kb", "import", "new/gift.yml"])
    again = runner.invoke(app, ["kb", "import", "new"])
    assert "1 new, 0 replaced" in first.output
    assert "0 new, 1 replaced" in again.output
    assert [a.intent for a in load_dir(workdir / "shop")] == ["gift_wrapping"]


def test_a_broken_file_imports_nothing_and_names_the_line(workdir: Path) -> None:
    (workdir / "config.yml").write_text("knowledge_base:\n  content_dir: shop\n")
    (workdir / "new").mkdir()
    (workdir / "new" / "good.yml").write_text(ARTICLE)
    (workdir / "new" / "bad.yml").write_text("intent: broken\ntitle: [unclosed\n")
    result = CliRunner().invoke(app, ["kb", "import", "new"])
    assert result.exit_code == 1
    assert "new/bad.yml:3:" in result.output  # file and line
    assert len(result.output.strip().splitlines()) == 1
    assert not (workdir / "shop").exists()


def test_relevo_run_serves_the_imported_articles(workdir: Path) -> None:
    from relevo.app.models import load_knowledge_base as _load_knowledge_base
    from relevo.app.settings import load_settings

    (workdir / "shop").mkdir()
    (workdir / "shop" / "gift.yml").write_text(ARTICLE)
    settings = load_settings(None, knowledge_base={"content_dir": str(workdir / "shop")})
    kb = _load_knowledge_base(settings)
    assert kb is not None
    assert kb.answer("gift_wrapping", "es") == "Sí, por 2 euros al pagar."
