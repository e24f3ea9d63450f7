"""The CSAT answer as shoppers really write it (issue #11, item 1), end to end over the
web chat on SQLite and PostgreSQL: the rating and its comment land on the resolved
conversation they rate (no new conversation, no state change), the request survives
unrelated messages until it expires, and a replayed message is thanked once."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from fastapi import FastAPI

from relevo.app.settings import Settings
from relevo.bot import replies
from relevo.bot.store.schema import conversations, csat_responses, messages
from tests.conftest import started
from tests.handoff.helpers import (
    ManualClock,
    Op,
    add_operator,
    build_app,
    go_online,
    new_shopper,
    say,
    service,
    transcript,
)


async def resolved_by(app: FastAPI, client: Any, op: Op, shopper: dict[str, str],
                      locale: str = "es") -> int:
    asking = "I want to talk to a person" if locale == "en" else "quiero hablar con una persona"
    cid = await say(app, client, shopper, asking, locale)
    assert (await client.post(f"/api/conversations/{cid}/claim", headers=op.headers)).is_success
    assert (await client.post(f"/api/conversations/{cid}/resolve",
                              headers=op.headers)).is_success
    return cid


async def rated_by_ana(app: FastAPI, client: Any) -> tuple[dict[str, str], int]:
    """An English shopper whose conversation Ana (online) has just resolved: the shopper
    and the conversation now awaiting a rating."""
    ana = await add_operator(app, "Ana")
    await go_online(client, ana)
    shopper = await new_shopper(client, "en")
    return shopper, await resolved_by(app, client, ana, shopper, "en")


async def stored(app: FastAPI) -> dict[str, Any]:
    async with service(app).database.read() as conn:
        ratings = (await conn.execute(
            sa.select(csat_responses.c.conversation_id, csat_responses.c.score,
                      csat_responses.c.comment))).all()
        states = (await conn.execute(
            sa.select(conversations.c.id, conversations.c.state)
            .order_by(conversations.c.id))).all()
    return {"ratings": [tuple(r) for r in ratings], "conversations": [tuple(s) for s in states]}


async def test_the_reported_rating_is_stored_with_its_comment_in_the_rated_conversation(
    make_settings: Callable[..., Settings],
) -> None:
    app = build_app(make_settings)
    async with started(app) as client:
        lucia = await add_operator(app, "Lucía")
        await go_online(client, lucia)
        shopper = await new_shopper(client, "es")
        cid = await resolved_by(app, client, lucia, shopper)
        before = (await client.get(f"/api/conversations/{cid}", headers=lucia.headers)).json()
        landed = await say(app, client, shopper, "5, thanks Lucía!", "es")
        after_rating = await stored(app)
        thanks = (await transcript(client, shopper))[-1]
        view = (await client.get(f"/api/conversations/{cid}", headers=lucia.headers)).json()
        # Then an unrelated question: answered as always, the rating untouched.
        asked = await say(app, client, shopper, "¿cuánto tarda el envío?", "es")
        answer = (await transcript(client, shopper))[-1]
        after_question = await stored(app)
    assert landed == cid
    assert after_rating == {"ratings": [(cid, 5, "thanks Lucía!")],
                            "conversations": [(cid, "resolved")]}
    # Thanked in the language of the shopper's own words (bot/language.py), English here.
    assert thanks["text"] == replies.text("csat_thanks", "en")
    # The rating and the thanks are in the rated conversation's history; no transition.
    assert [m["text"] for m in view["messages"]][-2:] == [
        "5, thanks Lucía!", replies.text("csat_thanks", "en")]
    assert view["transitions"] == before["transitions"]
    assert view["csat"]["score"] == 5
    assert asked != cid and answer["author"]["kind"] == "bot"
    assert answer["text"] == "Los pedidos llegan en 2-3 días laborables."
    assert after_question["ratings"] == [(cid, 5, "thanks Lucía!")]
    assert after_question["conversations"] == [(cid, "resolved"), (asked, "bot")]


async def test_a_pending_rating_survives_an_unrelated_message_then_un_4_rates(
    make_settings: Callable[..., Settings],
) -> None:
    app = build_app(make_settings)
    async with started(app) as client:
        ana = await add_operator(app, "Ana")
        await go_online(client, ana)
        shopper = await new_shopper(client, "es")
        cid = await resolved_by(app, client, ana, shopper)
        other = await say(app, client, shopper, "¿cuánto tarda el envío?", "es")
        answered = (await transcript(client, shopper))[-1]["text"]
        pending = await stored(app)
        rated = await say(app, client, shopper, "un 4", "es")
        thanked = (await transcript(client, shopper))[-1]["text"]
        done = await stored(app)
    assert answered == "Los pedidos llegan en 2-3 días laborables."
    assert pending["ratings"] == [(cid, None, None)]
    assert rated == cid and thanked == replies.text("csat_thanks", "es")
    assert done["ratings"] == [(cid, 4, None)]
    # The conversation the question opened carries on with the bot, untouched.
    assert done["conversations"] == [(cid, "resolved"), (other, "bot")]


async def test_a_low_score_without_comment_is_thanked_with_an_open_door_in_english(
    make_settings: Callable[..., Settings],
) -> None:
    app = build_app(make_settings)
    async with started(app) as client:
        shopper, cid = await rated_by_ana(app, client)
        await say(app, client, shopper, "meh", "en")
        thanked = (await transcript(client, shopper))[-1]["text"]
        # The next message is not swallowed: it gets the bot's answer.
        await say(app, client, shopper, "shipping?", "en")
        answered = (await transcript(client, shopper))[-1]["text"]
        ratings = (await stored(app))["ratings"]
    assert thanked == replies.text("csat_thanks_low", "en")
    assert answered == "Orders arrive in 2-3 working days."
    assert ratings == [(cid, 3, None)]


async def test_an_expired_request_is_not_answered_any_more(
    make_settings: Callable[..., Settings],
) -> None:
    clock = ManualClock()
    app = build_app(make_settings, clock, csat_answer_seconds=3600)
    async with started(app) as client:
        shopper, cid = await rated_by_ana(app, client)
        clock.advance(3601)
        later = await say(app, client, shopper, "5", "en")
        reply = (await transcript(client, shopper))[-1]
        ratings = (await stored(app))["ratings"]
    assert later != cid and reply["author"]["kind"] == "bot"
    assert reply["text"] != replies.text("csat_thanks", "en")
    assert ratings == [(cid, None, None)]


async def test_the_window_is_a_day_by_default_and_a_rating_within_it_counts(
    make_settings: Callable[..., Settings],
) -> None:
    clock = ManualClock()
    app = build_app(make_settings, clock)
    assert service(app).settings.csat_answer_seconds == 86_400
    async with started(app) as client:
        shopper, cid = await rated_by_ana(app, client)
        clock.advance(86_000)
        await say(app, client, shopper, "⭐⭐⭐⭐ quick and kind", "en")
        ratings = (await stored(app))["ratings"]
    assert ratings == [(cid, 4, "quick and kind")]


async def test_a_rating_offered_again_after_a_crash_is_stored_and_thanked_once(
    make_settings: Callable[..., Settings],
) -> None:
    app = build_app(make_settings)
    async with started(app) as client:
        shopper, cid = await rated_by_ana(app, client)
        await say(app, client, shopper, "4 - the parcel came late", "en")
        async with service(app).database.read() as conn:
            rating_id = (await conn.execute(
                sa.select(messages.c.id).where(messages.c.text == "4 - the parcel came late")
            )).scalar_one()
        first = await transcript(client, shopper)
        # As the engine's recovery would: the same message handled again.
        engine = app.state.relevo.engine
        await engine.handle(rating_id)
        await engine.handle(rating_id)
        again = await transcript(client, shopper)
        ratings = (await stored(app))["ratings"]
    assert again == first
    assert ratings == [(cid, 4, "the parcel came late")]


async def test_a_rating_asked_by_another_process_is_still_stored(
    make_settings: Callable[..., Settings],
) -> None:
    app = build_app(make_settings)
    async with started(app) as client:
        shopper, cid = await rated_by_ana(app, client)
        # This process's view never heard of the request: only storage did.
        service(app).state.asked_contacts.clear()
        await say(app, client, shopper, "5", "en")
        ratings = (await stored(app))["ratings"]
    assert ratings == [(cid, 5, None)]
