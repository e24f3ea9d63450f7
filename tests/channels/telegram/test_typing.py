"""An operator typing shows "typing…" in the shopper's Telegram chat: the bus's
`OperatorTyping` → `sendChatAction` through the real SDK against the fake Bot API.
On SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import FastAPI

from relevo.bot.clock import utc_now
from relevo.bot.types import OperatorTyping
from tests.channels.support import payload, rows, settle
from tests.channels.telegram.support import CHAT, deliver
from tests.conftest import started
from tests.fakes.telegram_api import FakeTelegram
from tests.settle import wait_until


async def test_an_operator_typing_shows_typing_in_the_chat(
    make_app: Callable[..., FastAPI], telegram_api: FakeTelegram
) -> None:
    app = make_app()
    async with started(app) as client:
        await deliver(client, payload("telegram/text"))
        await settle(app)
        conversation = (await rows(app, "SELECT id, contact_id FROM conversations"))[0]
        bus = app.state.relevo.bus

        async def typing(active: bool, contact_id: int = conversation.contact_id) -> None:
            await bus.publish(OperatorTyping(
                conversation_id=conversation.id, at=utc_now(), contact_id=contact_id,
                operator_id=1, name="Lucía · experta", active=active))
            await bus.drain()

        await typing(True)
        await wait_until(lambda: telegram_api.sent("sendChatAction"), "the chat action")
        assert telegram_api.sent("sendChatAction") == [{"chat_id": CHAT, "action": "typing"}]
        # Telegram has no "stopped typing"; a contact without a Telegram chat gets nothing.
        await typing(False)
        await typing(True, contact_id=conversation.contact_id + 1000)
    assert len(telegram_api.sent("sendChatAction")) == 1
