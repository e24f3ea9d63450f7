"""The Telegram webhook (`routes`, `verify`): the secret token, bodies that are not
updates, updates for no shopper, and redeliveries deduped by the inbox."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest
from fastapi import FastAPI

from relevo.channels.telegram.verify import SECRET_HEADER
from tests.channels.support import inbound, outbound, payload, rows, settle
from tests.channels.telegram.support import SECRET, deliver
from tests.conftest import started
from tests.fakes.telegram_api import FakeTelegram


@pytest.mark.parametrize("secret", [None, "", "wrong-secret", SECRET[:-1] + "x"])
async def test_a_missing_or_forged_secret_is_refused_and_nothing_is_stored(
    make_app: Callable[..., FastAPI], telegram_api: FakeTelegram, secret: str | None
) -> None:
    app = make_app()
    async with started(app) as client:
        response = await deliver(client, payload("telegram/text"), secret=secret)
        await settle(app)
        stored = await rows(app, "SELECT id FROM messages")
    assert response.status_code == 403
    assert stored == []
    assert telegram_api.sent() == []


async def test_the_same_update_three_times_at_once_is_one_message_and_one_reply(
    make_app: Callable[..., FastAPI], telegram_api: FakeTelegram
) -> None:
    app = make_app()
    async with started(app) as client:
        responses = await asyncio.gather(
            *(deliver(client, payload("telegram/text")) for _ in range(3))
        )
        await settle(app)
        stored = await inbound(app, "telegram")
        replies = await outbound(app)
    assert [r.status_code for r in responses] == [200, 200, 200]
    assert len(stored) == 1
    assert len(replies) == 1
    assert len(telegram_api.sent()) == 1


@pytest.mark.parametrize(
    ("body", "status"),
    [
        (b"not json", 400),
        (b"[1, 2]", 400),
        (b'{"message": {"text": "hi"}}', 400),
        (b'{"update_id": "12", "message": {}}', 400),
        (b'{"update_id": 5, "message": {"text": "hi"}}', 400),
    ],
)
async def test_a_body_that_is_not_an_update_is_a_400_and_stores_nothing(
    make_app: Callable[..., FastAPI], body: bytes, status: int
) -> None:
    app = make_app()
    async with started(app) as client:
        response = await client.post(
            "/webhooks/telegram", content=body,
            headers={SECRET_HEADER: SECRET, "Content-Type": "application/json"},
        )
        stored = await rows(app, "SELECT id FROM messages")
    assert response.status_code == status
    assert response.json()["detail"]
    assert stored == []


@pytest.mark.parametrize("name", ["telegram/group_message", "telegram/my_chat_member"])
async def test_updates_relevo_does_not_handle_are_acknowledged_and_ignored(
    make_app: Callable[..., FastAPI], telegram_api: FakeTelegram, name: str
) -> None:
    app = make_app()
    async with started(app) as client:
        response = await deliver(client, payload(name))
        await settle(app)
        stored = await rows(app, "SELECT id FROM messages")
    assert response.status_code == 200
    assert stored == []
    assert telegram_api.sent() == []
