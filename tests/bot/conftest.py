"""Fixtures of the core's tests that need a whole shop: the GDPR tests' shopper lives on
WhatsApp, Telegram and the web chat, against fake provider APIs."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from relevo.app.settings import Settings
from tests.bot.privacy_support import Shop, make_shop, running_fakes, shop_settings


@pytest.fixture
def shop(make_settings: Callable[..., Settings], tmp_path: Path) -> Iterator[Shop]:
    with running_fakes() as (telegram, twilio):
        media = tmp_path / "media"
        yield make_shop(shop_settings(make_settings, telegram, twilio, media), twilio, media)
