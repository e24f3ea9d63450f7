"""Configuration: defaults, YAML, environment overrides, one-line errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from relevo.app.cli import app
from relevo.app.settings import load_settings
from relevo.bot.config import ConfigError

REPO = Path(__file__).resolve().parents[2]


def test_the_documented_config_file_is_valid_and_matches_the_defaults() -> None:
    documented = load_settings(REPO / "config.yml")
    defaults = load_settings("/dev/null")
    assert documented == defaults


def test_environment_overrides_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "config.yml"
    config.write_text("port: 9000\nwebchat:\n  max_text_length: 100\n")
    monkeypatch.setenv("RELEVO_PORT", "9100")
    monkeypatch.setenv("RELEVO_DATABASE_URL", "postgresql+asyncpg://db/relevo")
    monkeypatch.setenv("RELEVO_WEBCHAT__MAX_TEXT_LENGTH", "50")
    settings = load_settings(config)
    assert settings.port == 9100
    assert settings.database_url == "postgresql+asyncpg://db/relevo"
    assert settings.webchat.max_text_length == 50


@pytest.mark.parametrize(
    ("yaml_text", "key"),
    [
        ("port: 0\n", "port"),
        ("port: eighty\n", "port"),
        ("database_url: mysql://x\n", "database_url"),
        ("webchat:\n  max_text_length: -1\n", "webchat.max_text_length"),
        ("outbox:\n  max_attempts: 0\n", "outbox.max_attempts"),
        ("nlu:\n  backend: gpt\n", "nlu.backend"),
        ("no_such_option: 1\n", "no_such_option"),
        ("redis_url: http://x\n", "redis_url"),
        ("body_limits:\n  api_bytes: 10\n", "body_limits.api_bytes"),
        ("body_limits:\n  routes: {webchat/messages: 2048}\n", "body_limits.routes"),
        ("body_limits:\n  routes: {/webchat/messages: 1}\n", "body_limits.routes"),
        ("log_shopper_text: sometimes\n", "log_shopper_text"),
        ("languages: []\n", "languages"),
        ("languages: [es, fr]\n", "languages"),
        ("languages: [Spanish]\n", "languages"),
        ("languages: [es]\n", "default_locale"),
        ("default_locale: pt-BR\n", "default_locale"),
    ],
)
def test_an_invalid_value_names_its_key(tmp_path: Path, yaml_text: str, key: str) -> None:
    config = tmp_path / "config.yml"
    config.write_text(yaml_text)
    with pytest.raises(ConfigError) as caught:
        load_settings(config)
    message = str(caught.value)
    assert message.startswith(f"{key}:")
    assert "\n" not in message


def test_the_shop_languages_are_kept_in_order_without_duplicates(tmp_path: Path) -> None:
    config = tmp_path / "config.yml"
    config.write_text("languages: [es, en, es]\ndefault_locale: es-MX\n")
    settings = load_settings(config)
    assert settings.languages == ("es", "en")
    assert settings.default_locale == "es-MX"


def test_a_language_without_a_catalog_stops_run_with_exit_code_2(tmp_path: Path) -> None:
    config = tmp_path / "config.yml"
    config.write_text("languages: [es, en, it]\n")
    result = CliRunner().invoke(app, ["run", "--config", str(config)])
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("relevo: config error: languages:")
    assert "bot/locales/it.yml" in lines[0]


def test_secrets_in_the_file_are_refused(tmp_path: Path) -> None:
    config = tmp_path / "config.yml"
    config.write_text("telegram:\n  bot_token: '123:abc'\n")
    with pytest.raises(ConfigError, match="RELEVO_TELEGRAM__BOT_TOKEN"):
        load_settings(config)


def test_broken_yaml_names_the_line(tmp_path: Path) -> None:
    config = tmp_path / "config.yml"
    config.write_text("port: 8000\nwebchat: [unclosed\n")
    with pytest.raises(ConfigError, match="line"):
        load_settings(config)


def test_the_cli_stops_with_exit_code_2_and_one_line(tmp_path: Path) -> None:
    config = tmp_path / "config.yml"
    config.write_text("webchat:\n  max_text_length: zero\n")
    result = CliRunner().invoke(app, ["run", "--config", str(config)])
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("relevo: config error: webchat.max_text_length:")


def test_an_incomplete_channel_stops_run_with_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("RELEVO_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'r.db'}")
    monkeypatch.setenv("RELEVO_TWILIO__ACCOUNT_SID", "AC" + "0" * 32)
    monkeypatch.setenv("RELEVO_TWILIO__AUTH_TOKEN", "secret-token-value")
    result = CliRunner().invoke(app, ["run"])
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("relevo: config error: twilio.")
    assert "secret-token-value" not in result.output
