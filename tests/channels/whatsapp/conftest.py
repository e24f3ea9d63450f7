"""Fixtures of the WhatsApp tests: a fake Twilio API over HTTP and an app that uses it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI

from relevo.app import create_app
from relevo.app.settings import Settings
from tests.channels.whatsapp.support import (
    PUBLIC,
)
from tests.fakes.nlu import shop_kb, shop_nlu
from tests.fakes.twilio_api import ACCOUNT_SID, AUTH_TOKEN, SENDER, FakeTwilio


@pytest.fixture
def twilio_api() -> Iterator[FakeTwilio]:
    with FakeTwilio.running() as fake:
        yield fake


@pytest.fixture
def make_app(
    make_settings: Callable[..., Settings], twilio_api: FakeTwilio, tmp_path: Path
) -> Callable[..., FastAPI]:
    def make(**twilio: Any) -> FastAPI:
        options = {
            "api_base_url": twilio_api.base_url,
            "account_sid": ACCOUNT_SID,
            "auth_token": AUTH_TOKEN,
            "whatsapp_from": SENDER,
            "public_base_url": PUBLIC,
            "media_dir": str(tmp_path / "media"),
            "media_max_bytes": 1_000_000,
            **twilio,
        }
        return create_app(
            make_settings(twilio=options), nlu=shop_nlu(), knowledge_base=shop_kb()
        )

    return make
