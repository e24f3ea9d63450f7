""""Was this helpful?" on Telegram (#13 item 7) through the real python-telegram-bot
against the fake Bot API, with signed webhook updates, on SQLite and PostgreSQL: a bot
answer goes in HTML parse mode (the safe formatting subset, the rest escaped) with a
👍/👎 inline keyboard; 👍 is thanked with a toast on the button, 👎 offers a person
whose "yes" button queues the conversation."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from relevo.app import create_app
from relevo.app.settings import Settings
from relevo.bot.catalog import Catalog
from tests.channels.support import payload, rows, settle
from tests.channels.telegram.support import TOKEN, deliver
from tests.conftest import started
from tests.fakes.nlu import DictKnowledgeBase, shop_nlu
from tests.fakes.telegram_api import FakeTelegram

TEXTS = Catalog.load()
ANSWER = "Orders arrive in **2-3 days** <b>&</b> [track them](https://shop.test/t?a=1&b=2)."


def _tap(update_id: int, data: str) -> dict[str, Any]:
    tap = payload("telegram/callback_query")
    tap["update_id"] = update_id
    tap["callback_query"] = tap["callback_query"] | {"id": f"cb-{update_id}", "data": data}
    return tap


async def test_thumbs_on_telegram_toast_offer_and_hand_off(
    make_settings: Callable[..., Settings], telegram_api: FakeTelegram
) -> None:
    settings = make_settings(telegram={"api_base_url": telegram_api.base_url,
                                       "bot_token": TOKEN, "chat_messages_per_second": 1000.0})
    kb = DictKnowledgeBase({"shipping_times": {"en": ("Shipping times", ANSWER)}})
    app = create_app(settings, nlu=shop_nlu(), knowledge_base=kb)
    text = payload("telegram/text")
    async with started(app) as client:
        asked = text | {"message": text["message"] | {"text": "how long is shipping?"}}
        assert (await deliver(client, asked)).status_code == 200
        await settle(app)
        (answer,) = await rows(app, "SELECT id FROM messages WHERE author_kind = 'bot'")
        sent_answer = telegram_api.sent()[-1]
        await deliver(client, _tap(text["update_id"] + 1, f"👍 #{answer.id}"))
        await settle(app)
        after_up = len(telegram_api.sent())
        up_votes = await rows(app, "SELECT message_id, helpful FROM message_feedback")
        await deliver(client, _tap(text["update_id"] + 2, f"👎 #{answer.id}"))
        await settle(app)
        offer = telegram_api.sent()[-1]
        await deliver(client, _tap(text["update_id"] + 3, "Yes, a person"))
        await settle(app)
        votes = await rows(app, "SELECT message_id, helpful FROM message_feedback")
        state = await rows(app, "SELECT state, handoff_reason FROM conversations")
        shopper_texts = await rows(
            app, "SELECT text FROM messages WHERE direction = 'inbound' ORDER BY id")
    toasts = telegram_api.sent("answerCallbackQuery")
    assert sent_answer["parse_mode"] == "HTML"
    assert sent_answer["text"] == ('Orders arrive in <b>2-3 days</b> &lt;b&gt;&amp;&lt;/b&gt; '
                                   '<a href="https://shop.test/t?a=1&amp;b=2">track them</a>.')
    assert sent_answer["reply_markup"] == {"inline_keyboard": [[
        {"text": "👍", "callback_data": f"👍 #{answer.id}"},
        {"text": "👎", "callback_data": f"👎 #{answer.id}"}]]}
    assert after_up == 1  # 👍: no message in the chat ...
    assert toasts[0] == {"callback_query_id": f"cb-{text['update_id'] + 1}",
                         "text": TEXTS.text("feedback.toast", "en")}  # ... a toast
    assert [tuple(v) for v in up_votes] == [(answer.id, True)]
    assert offer["text"] == TEXTS.text("feedback.offer_person", "en")
    assert offer["reply_markup"] == {"inline_keyboard": [
        [{"text": "Yes, a person", "callback_data": "Yes, a person"}],
        [{"text": "No, thanks", "callback_data": "No, thanks"}]]}
    assert "text" not in toasts[1]  # 👎 and "yes": the chat answers, not a toast
    assert [tuple(v) for v in votes] == [(answer.id, False)]  # one vote, the last
    assert [tuple(s) for s in state] == [("queued", "the answer did not help")]
    assert [s.text for s in shopper_texts][1:] == [
        f"👍 #{answer.id}", f"👎 #{answer.id}", "Yes, a person"]
