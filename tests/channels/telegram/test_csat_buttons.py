"""The CSAT question on Telegram (issue #11, item 1): an inline keyboard 1–5 through the
real python-telegram-bot against the fake Bot API; pressing a button stores the rating
on the resolved conversation and thanks the shopper. On SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import FastAPI

from relevo.bot import replies
from tests.channels.support import payload, rows, settle
from tests.channels.telegram.support import deliver
from tests.conftest import started
from tests.fakes.telegram_api import FakeTelegram
from tests.handoff.helpers import add_operator, go_online


async def test_pressing_a_star_button_stores_the_rating(
    make_app: Callable[..., FastAPI], telegram_api: FakeTelegram
) -> None:
    app = make_app()
    text = payload("telegram/text")
    async with started(app) as client:
        ana = await add_operator(app, "Ana")
        await go_online(client, ana)
        await deliver(client, text | {"message": text["message"] | {"text": "I want a person"}})
        await settle(app)
        (conversation,) = await rows(app, "SELECT id FROM conversations")
        cid = conversation.id
        await client.post(f"/api/conversations/{cid}/claim", headers=ana.headers)
        await client.post(f"/api/conversations/{cid}/resolve", headers=ana.headers)
        await settle(app)
        tap = payload("telegram/callback_query")
        tap["update_id"] += 1
        tap["callback_query"] = tap["callback_query"] | {"id": "1796552003466812999",
                                                         "data": "5"}
        await deliver(client, tap)
        await settle(app)
        ratings = await rows(app, "SELECT conversation_id, score, comment FROM csat_responses")
        conversations = await rows(app, "SELECT id, state FROM conversations")
    question, thanks = telegram_api.sent()[-2:]
    assert question["reply_markup"] == {"inline_keyboard": [
        [{"text": title, "callback_data": str(score)}]
        for score, title in enumerate(
            ["⭐ Bad", "⭐⭐ Poor", "⭐⭐⭐ OK", "⭐⭐⭐⭐ Good", "⭐⭐⭐⭐⭐ Excellent"], 1)
    ]}
    assert thanks["text"] == replies.text("csat_thanks", "en")
    assert [tuple(r) for r in ratings] == [(cid, 5, None)]
    assert [tuple(c) for c in conversations] == [(cid, "resolved")]
