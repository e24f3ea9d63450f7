"""The `relevo` command line."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from relevo.app.cli import app


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("RELEVO_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}")
    return tmp_path


def test_operators_add_prints_a_token_and_list_shows_them(env: Path) -> None:
    runner = CliRunner()
    added = runner.invoke(
        app,
        ["operators", "add", "--name", "Lucía", "--kind", "expert", "--email", "lucia@shop.test",
         "--languages", "es,en", "--skills", "headphones,audio", "--max-concurrent", "4"],
    )
    assert added.exit_code == 0, added.output
    token = added.output.strip()
    assert token.startswith("rlv_") and len(token) > 30
    listed = runner.invoke(app, ["operators", "list"])
    assert listed.exit_code == 0
    assert "Lucía" in listed.output and "expert" in listed.output and "es,en" in listed.output
    assert token not in listed.output


def test_operators_add_refuses_a_duplicate_email_and_an_unknown_kind(env: Path) -> None:
    runner = CliRunner()
    args = ["operators", "add", "--name", "Ana", "--kind", "internal", "--email", "a@shop.test"]
    assert runner.invoke(app, args).exit_code == 0
    again = runner.invoke(app, args)
    assert again.exit_code == 1
    assert "already exists" in again.output
    unknown = runner.invoke(app, ["operators", "add", "--name", "X", "--kind", "robot"])
    assert unknown.exit_code == 2


def test_db_upgrade_and_version(env: Path) -> None:
    runner = CliRunner()
    upgraded = runner.invoke(app, ["db", "upgrade"])
    assert upgraded.exit_code == 0
    assert "up to date" in upgraded.output
    assert (env / "cli.db").exists()
    version = runner.invoke(app, ["version"])
    assert version.exit_code == 0
    assert version.output.strip() == "0.1.0"


@pytest.mark.parametrize("command", [[], ["run"], ["db"], ["operators", "add"], ["version"]])
def test_every_command_has_help(command: list[str]) -> None:
    result = CliRunner().invoke(app, [*command, "--help"])
    assert result.exit_code == 0
    assert "Usage" in result.output
