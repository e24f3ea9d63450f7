"""The CSAT question on WhatsApp (issue #11, item 1): no buttons there, so the one-tap
answers are numbered lines in the shopper's language ("5 ⭐⭐⭐⭐⭐ Excellent"), answered
by the number through the real twilio SDK against the fake Twilio API."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import FastAPI

from relevo.bot import replies
from tests.channels.support import rows, settle
from tests.channels.whatsapp.support import post, text
from tests.conftest import started
from tests.fakes.twilio_api import FakeTwilio
from tests.handoff.helpers import add_operator, go_online


async def test_the_numbered_list_is_answered_by_the_number(
    make_app: Callable[..., FastAPI], twilio_api: FakeTwilio
) -> None:
    app = make_app()
    async with started(app) as client:
        ana = await add_operator(app, "Ana")
        await go_online(client, ana)
        await post(client, text("I want to talk to a person"))
        await settle(app)
        (conversation,) = await rows(app, "SELECT id FROM conversations")
        cid = conversation.id
        await client.post(f"/api/conversations/{cid}/claim", headers=ana.headers)
        await client.post(f"/api/conversations/{cid}/resolve", headers=ana.headers)
        await settle(app)
        question = twilio_api.messages[-1]["Body"]
        await post(client, text("4", sid="SM" + "4" * 32))
        await settle(app)
        ratings = await rows(app, "SELECT conversation_id, score FROM csat_responses")
    assert question.splitlines()[-5:] == [
        "1 ⭐ Bad", "2 ⭐⭐ Poor", "3 ⭐⭐⭐ OK", "4 ⭐⭐⭐⭐ Good", "5 ⭐⭐⭐⭐⭐ Excellent"]
    assert twilio_api.messages[-1]["Body"] == replies.text("csat_thanks", "en")
    assert [tuple(r) for r in ratings] == [(cid, 4)]
