"""`relevo telegram …` (`cli`): set, inspect and remove the webhook."""

from __future__ import annotations

from typing import Any

import pytest
from typer.testing import CliRunner

from relevo.app.cli import app as cli
from tests.channels.telegram.support import SECRET, TOKEN
from tests.fakes.telegram_api import FakeTelegram


def test_cli_sets_the_webhook_with_the_secret_and_shows_the_info(
    telegram_api: FakeTelegram, monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    monkeypatch.setenv("RELEVO_TELEGRAM__BOT_TOKEN", TOKEN)
    monkeypatch.setenv("RELEVO_TELEGRAM__API_BASE_URL", telegram_api.base_url)
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    result = runner.invoke(cli, ["telegram", "set-webhook", "https://shop.example.com/"])
    assert result.exit_code == 0, result.output
    assert telegram_api.webhook == {
        "url": "https://shop.example.com/webhooks/telegram",
        "secret_token": SECRET,
        "allowed_updates": ["message", "edited_message", "callback_query"],
    }
    info = runner.invoke(cli, ["telegram", "info"])
    assert info.exit_code == 0, info.output
    assert "webhook url:          https://shop.example.com/webhooks/telegram" in info.output
    assert "@relevo_shop_bot" in info.output

    refused = runner.invoke(cli, ["run", "--telegram-polling"])
    assert refused.exit_code == 1
    assert "a webhook is set for this bot" in refused.output
    assert "relevo telegram delete-webhook" in refused.output

    assert runner.invoke(cli, ["telegram", "delete-webhook"]).exit_code == 0
    assert telegram_api.webhook == {}


def test_set_webhook_wants_an_https_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RELEVO_TELEGRAM__BOT_TOKEN", TOKEN)
    result = CliRunner().invoke(cli, ["telegram", "set-webhook", "http://shop.example.com"])
    assert result.exit_code == 2
    assert "https://" in result.output
