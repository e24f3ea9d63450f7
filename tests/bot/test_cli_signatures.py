"""`relevo operators signature`: set, show and clear an operator's signature per language,
in the audit log like every operator edit."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from relevo.app.cli import app
from relevo.bot.store.db import Database
from relevo.bot.store.schema import audit_log, operators


@pytest.fixture
def env(tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("RELEVO_DATABASE_URL", database_url)
    return database_url


def _stored(url: str) -> tuple[object, list[tuple[str, object]]]:
    async def read() -> tuple[object, list[tuple[str, object]]]:
        database = Database(url)
        try:
            async with database.read() as conn:
                signatures = (await conn.execute(sa.select(operators.c.signatures))).scalar_one()
                audit = (await conn.execute(
                    sa.select(audit_log.c.action, audit_log.c.after).order_by(audit_log.c.id)
                )).all()
        finally:
            await database.close()
        return signatures, [(row.action, row.after) for row in audit]

    return asyncio.run(read())


def test_set_and_clear_a_signature(env: str) -> None:
    runner = CliRunner()
    added = runner.invoke(app, ["operators", "add", "--name", "Lucía", "--kind", "expert",
                                "--email", "lucia@shop.test", "--languages", "es,en"])
    assert added.exit_code == 0, added.output
    spanish = runner.invoke(app, ["operators", "signature", "lucia@shop.test",
                                  "--language", "es", "--title", "experta"])
    english = runner.invoke(app, ["operators", "signature", "1", "--language", "en",
                                  "--name", "Lucy"])
    assert spanish.exit_code == 0, spanish.output
    assert spanish.stdout.strip() == "operator lucia@shop.test signs in es as: Lucía · experta"
    assert english.stdout.strip() == "operator 1 signs in en as: Lucy · expert"
    signatures, audit = _stored(env)
    assert signatures == {"es": {"title": "experta"}, "en": {"name": "Lucy"}}
    assert ("operator.update", {"signatures": {"es": {"title": "experta"}}}) in audit
    cleared = runner.invoke(app, ["operators", "signature", "1", "--language", "es", "--clear"])
    assert cleared.stdout.strip() == "operator 1 signs in es as: Lucía · especialista"
    assert _stored(env)[0] == {"en": {"name": "Lucy"}}


def test_bad_signatures_are_one_line_and_change_nothing(env: str) -> None:
    runner = CliRunner()
    assert runner.invoke(app, ["operators", "add", "--name", "Ana", "--kind", "internal"]
                         ).exit_code == 0
    french = runner.invoke(app, ["operators", "signature", "1", "--language", "fr",
                                 "--title", "agente"])
    empty = runner.invoke(app, ["operators", "signature", "1", "--language", "es"])
    missing = runner.invoke(app, ["operators", "signature", "9", "--language", "es",
                                  "--title", "x"])
    assert (french.exit_code, empty.exit_code, missing.exit_code) == (2, 2, 2)
    assert french.stderr == "relevo: signatures.fr: not a configured language (en, es)\n"
    assert missing.stderr == "relevo: no operator 9\n"
    assert _stored(env)[0] in (None, {})
