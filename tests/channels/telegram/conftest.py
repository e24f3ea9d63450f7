"""Fixtures of the Telegram tests: a fake Bot API over HTTP and an app that uses it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi import FastAPI

from relevo.app import create_app
from relevo.app.settings import Settings
from tests.channels.telegram.support import TOKEN
from tests.fakes.nlu import shop_kb, shop_nlu
from tests.fakes.telegram_api import FakeTelegram


@pytest.fixture
def telegram_api() -> Iterator[FakeTelegram]:
    with FakeTelegram.running(TOKEN) as fake:
        yield fake


@pytest.fixture
def make_app(
    make_settings: Callable[..., Settings], telegram_api: FakeTelegram
) -> Callable[..., FastAPI]:
    def make(**telegram: Any) -> FastAPI:
        options = {
            "api_base_url": telegram_api.base_url,
            "bot_token": TOKEN,
            "chat_messages_per_second": 1000.0,
            **telegram,
        }
        settings = make_settings(telegram=options)
        return create_app(settings, nlu=shop_nlu(), knowledge_base=shop_kb())

    return make
