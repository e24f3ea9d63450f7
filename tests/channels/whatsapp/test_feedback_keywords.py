""""Was this helpful?" on WhatsApp (#13 item 7), through the real twilio SDK against the
fake Twilio API with really signed webhooks, on SQLite and PostgreSQL. No buttons there:
a bot answer comes in WhatsApp's own formatting with a line asking for 👍 or 👎, and
"sí"/"yes"/"no" count as a vote only right after an answer that asked."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from relevo.app import create_app
from relevo.app.settings import Settings
from relevo.bot.catalog import Catalog
from tests.channels.support import rows, settle
from tests.channels.whatsapp.support import PUBLIC, post, text
from tests.conftest import started
from tests.fakes.nlu import DictKnowledgeBase, shop_nlu
from tests.fakes.twilio_api import ACCOUNT_SID, AUTH_TOKEN, SENDER, FakeTwilio

TEXTS = Catalog.load()
ANSWER = "Orders arrive in **2-3 days**. See [tracking](https://shop.test/t)."


def _app(make_settings: Callable[..., Settings], twilio_api: FakeTwilio, tmp_path: Path) -> Any:
    settings = make_settings(twilio={
        "api_base_url": twilio_api.base_url, "account_sid": ACCOUNT_SID,
        "auth_token": AUTH_TOKEN, "whatsapp_from": SENDER, "public_base_url": PUBLIC,
        "media_dir": str(tmp_path / "media")})
    kb = DictKnowledgeBase({"shipping_times": {"en": ("Shipping times", ANSWER)}})
    nlu = shop_nlu()
    return create_app(settings, nlu=nlu, knowledge_base=kb), nlu


async def test_thumbs_down_offers_a_person_and_1_hands_off(
    make_settings: Callable[..., Settings], twilio_api: FakeTwilio, tmp_path: Path
) -> None:
    app, nlu = _app(make_settings, twilio_api, tmp_path)
    async with started(app) as client:
        await post(client, text("how long does shipping take?", sid="SM" + "1" * 32))
        await settle(app)
        answer = twilio_api.messages[-1]["Body"]
        await post(client, text("👎", sid="SM" + "2" * 32))
        await settle(app)
        offer = twilio_api.messages[-1]["Body"]
        await post(client, text("1", sid="SM" + "3" * 32))
        await settle(app)
        votes = await rows(app, "SELECT helpful, intent FROM message_feedback")
        state = await rows(app, "SELECT state, handoff_reason FROM conversations")
    assert answer == ("Orders arrive in *2-3 days*. See tracking (https://shop.test/t)."
                      "\n\nDid this help? Reply 👍 or 👎")
    assert offer == (TEXTS.text("feedback.offer_person", "en")
                     + "\n1. Yes, a person\n2. No, thanks")
    assert [tuple(v) for v in votes] == [(False, "shipping_times")]
    assert [tuple(s) for s in state] == [("queued", "the answer did not help")]
    assert "👎" not in nlu.calls and "1" not in nlu.calls


async def test_yes_and_no_are_votes_only_right_after_an_answer(
    make_settings: Callable[..., Settings], twilio_api: FakeTwilio, tmp_path: Path
) -> None:
    app, nlu = _app(make_settings, twilio_api, tmp_path)
    sids = iter(f"SM{n:032d}" for n in range(1, 100))
    async with started(app) as client:

        async def say(body: str) -> str:
            await post(client, text(body, sid=next(sids)))
            await settle(app)
            return str(twilio_api.messages[-1]["Body"])

        await say("no")  # nothing asked: an ordinary message, read by the NLU
        await say("how long does shipping take?")
        thanks = await say("yes")
        await say("and shipping again?")
        offer = await say("no")
        declined = await say("no")
        await say("no")  # the offer was answered: "no" is a message again
        votes = await rows(app, "SELECT helpful FROM message_feedback ORDER BY message_id")
    assert thanks == TEXTS.text("feedback.thanks", "en")
    assert offer.startswith(TEXTS.text("feedback.offer_person", "en"))
    assert declined == TEXTS.text("feedback.offer_declined", "en")
    assert [tuple(v) for v in votes] == [(True,), (False,)]
    assert nlu.calls == ["no", "how long does shipping take?", "and shipping again?", "no"]
