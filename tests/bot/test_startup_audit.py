"""What a start-up records in the audit log: the effective settings when they changed
(`settings.change`, secrets never), the articles published to shoppers when they
changed (`kb.publish`); and `relevo kb import` records who imported what. SQLite and
PostgreSQL alike."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from relevo.app import create_app
from relevo.app.cli import app as cli
from relevo.app.settings import Settings, load_settings
from relevo.app.startup_audit import effective_settings
from relevo.bot.audit import AuditEntry, entries
from relevo.bot.bus import InProcessBus
from relevo.bot.store.db import Database
from relevo.bot.types import Refused
from relevo.knowledge_base.editorial import Editorial
from relevo.knowledge_base.store import Person
from relevo.knowledge_base.views import ArticleDetail
from tests.conftest import started

SECRET = "s3cr3t-value-never-logged"
ARTICLE = """\
intent: {intent}
topic: orders
tags: [gifts]
status: published
title:
  en: {intent}
questions:
  en:
    - {question}
answer:
  en: {answer}
"""


async def _start(make_settings: Callable[..., Settings], **overrides: Any) -> None:
    app = create_app(make_settings(**overrides), load_defaults="knowledge_base" in overrides)
    async with started(app):
        pass


async def _log(url: str, action: str) -> list[AuditEntry]:
    database = Database(url)
    try:
        async with database.read() as conn:
            return await entries(conn, action=action)
    finally:
        await database.close()


async def test_settings_are_recorded_when_they_change_and_never_their_secrets(
    make_settings: Callable[..., Settings], database_url: str
) -> None:
    await _start(make_settings, secret_key=SECRET)
    await _start(make_settings, secret_key=SECRET)  # the same: nothing new
    first = await _log(database_url, "settings.change")
    await _start(make_settings, secret_key=SECRET, outbox={"max_attempts": 9})
    await _start(make_settings, secret_key=SECRET, outbox={"max_attempts": 9})
    changed = await _log(database_url, "settings.change")
    (initial,) = first
    assert initial.before is None
    assert initial.after["outbox.max_attempts"] == 8
    assert initial.after["handoff.sla.offer_seconds"] > 0
    assert initial.actor.kind == "system"
    assert not [key for key in initial.after if "secret" in key or "token" in key]
    assert SECRET not in str(initial.after)
    assert len(changed) == 2
    assert (changed[0].before, changed[0].after) == (
        {"outbox.max_attempts": 8}, {"outbox.max_attempts": 9})


def test_the_database_password_is_masked() -> None:
    settings = load_settings(os.devnull,
                             database_url="postgresql+asyncpg://relevo:hunter2@db:5432/shop")
    effective = effective_settings(settings)
    assert effective["database_url"] == "postgresql+asyncpg://relevo:***@db:5432/shop"
    assert "hunter2" not in str(effective)


async def _edit(url: str) -> None:
    """Publish a new answer to gift_wrapping and archive reset_password."""
    database = Database(url)
    editorial, rex = Editorial(database, InProcessBus()), Person(None, "Rex")
    try:
        gift = await editorial.article("gift_wrapping")
        assert isinstance(gift, ArticleDetail)
        changed = {**gift.view.content, "answer": {"en": "Yes, for 2 euros."}}
        assert not isinstance(await editorial.save("gift_wrapping", changed, 1, rex), Refused)
        published = await editorial.publish("gift_wrapping", rex, skip_review=True)
        assert not isinstance(published, Refused)
        assert not isinstance(await editorial.archive("reset_password", rex), Refused)
    finally:
        await database.close()


async def test_published_articles_are_recorded_when_they_change(
    make_settings: Callable[..., Settings], database_url: str, tmp_path: Path
) -> None:
    content = tmp_path / "kb"
    content.mkdir()
    for intent in ("gift_wrapping", "reset_password"):  # one named like a secret
        (content / f"{intent}.yml").write_text(ARTICLE.format(
            intent=intent, question=f"{intent}?", answer="Yes."), encoding="utf-8")
    knowledge_base = {"content_dir": str(content)}
    await _start(make_settings, knowledge_base=knowledge_base)
    await _start(make_settings, knowledge_base=knowledge_base)
    first = await _log(database_url, "kb.publish")
    # The folder seeded the database on the first start; editors change it from there.
    await _edit(database_url)
    await _start(make_settings, knowledge_base=knowledge_base)
    changed = await _log(database_url, "kb.publish")
    (initial,) = first
    assert [intent for intent, _ in initial.after["published"]] == [
        "gift_wrapping", "reset_password"]
    assert "***" not in str(initial.after)
    assert initial.after["count"] == 2
    assert len(changed) == 2
    latest = changed[0].after
    assert [intent for intent, _ in latest["published"]] == ["gift_wrapping"]
    assert latest["published"][0][1] != initial.after["published"][0][1]
    assert (latest["removed"], latest["count"]) == (["reset_password"], 1)


def test_kb_import_records_who_imported_which_articles(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    url = f"sqlite+aiosqlite:///{tmp_path / 'kb.db'}"
    monkeypatch.setenv("RELEVO_DATABASE_URL", url)
    (tmp_path / "config.yml").write_text("knowledge_base:\n  content_dir: shop\n")
    (tmp_path / "new").mkdir()
    (tmp_path / "new" / "gift.yml").write_text(ARTICLE.format(
        intent="gift_wrapping", question="gift wrap?", answer="Yes."), encoding="utf-8")
    imported = CliRunner().invoke(cli, ["kb", "import", "new"])
    assert imported.exit_code == 0, imported.output
    (entry,) = asyncio.run(_log(url, "kb.publish"))
    assert entry.actor.kind == "cli" and entry.actor.source == "cli"
    assert entry.target_id == "new"  # the folder imported (into the database)
    assert entry.after == {"imported": ["gift_wrapping"], "draft": False, "new": 1,
                           "revised": 0, "unchanged": 0, "total": 1}

