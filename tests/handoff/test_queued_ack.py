"""A queued shopper always gets an answer or an acknowledgement (issue #11, item 6),
over the web chat on SQLite and PostgreSQL: after hours an FAQ is answered and anything
else acknowledged in the shopper's language; in hours every message is acknowledged;
a burst is acknowledged once, and a reply in between makes the next one acknowledged."""

from __future__ import annotations

from collections.abc import Callable

from relevo.app.settings import Settings
from relevo.bot import replies
from tests.conftest import started
from tests.handoff.helpers import (
    SATURDAY_NIGHT,
    ManualClock,
    add_operator,
    build_app,
    go_online,
    new_shopper,
    say,
    transcript,
)


async def test_after_hours_an_off_topic_message_is_acknowledged_and_an_faq_answered(
    make_settings: Callable[..., Settings],
) -> None:
    app = build_app(make_settings, ManualClock(SATURDAY_NIGHT))
    async with started(app) as client:
        await add_operator(app, "Ana")  # offline: nobody can take it
        shopper = await new_shopper(client, "es")
        await say(app, client, shopper, "quiero hablar con una persona", "es")
        told = (await transcript(client, shopper))[-1]["text"]
        await say(app, client, shopper, "mi gato se llama Luna", "es")
        acknowledged = (await transcript(client, shopper))[-2:]
        await say(app, client, shopper, "¿cuánto tarda el envío?", "es")
        answered = (await transcript(client, shopper))[-1]
        await say(app, client, shopper, "vale, y otra cosa sobre mi gato", "es")
        again = (await transcript(client, shopper))[-1]
    assert "no está disponible" in told
    assert [m["text"] for m in acknowledged] == [
        "mi gato se llama Luna", replies.text("queued_ack_after_hours", "es")]
    assert acknowledged[1]["author"]["kind"] == "system"
    assert answered["text"] == "Los pedidos llegan en 2-3 días laborables."
    # A reply came in between: the next unanswered message is acknowledged again.
    assert again["text"] == replies.text("queued_ack_after_hours", "es")


async def test_in_hours_a_queued_burst_is_acknowledged_once_in_english(
    make_settings: Callable[..., Settings],
) -> None:
    app = build_app(make_settings)
    async with started(app) as client:
        ana = await add_operator(app, "Ana", max_concurrent=1)
        await go_online(client, ana)
        busy = await new_shopper(client, "en")
        busy_id = await say(app, client, busy, "I want a person", "en")
        assert (await client.post(f"/api/conversations/{busy_id}/claim",
                                  headers=ana.headers)).is_success
        shopper = await new_shopper(client, "en")
        await say(app, client, shopper, "I want a person", "en")
        before = len(await transcript(client, shopper))
        for text in ("hello?", "my order is 12345", "it never arrived"):
            await say(app, client, shopper, text, "en")
        after = [m["text"] for m in (await transcript(client, shopper))[before:]]
    assert after == ["hello?", replies.text("queued_ack", "en"),
                     "my order is 12345", "it never arrived"]


async def test_an_assigned_shopper_is_not_acknowledged_the_operator_is_there(
    make_settings: Callable[..., Settings],
) -> None:
    app = build_app(make_settings)
    async with started(app) as client:
        ana = await add_operator(app, "Ana")
        await go_online(client, ana)
        shopper = await new_shopper(client, "en")
        cid = await say(app, client, shopper, "I want a person", "en")
        assert (await client.post(f"/api/conversations/{cid}/claim",
                                  headers=ana.headers)).is_success
        before = len(await transcript(client, shopper))
        await say(app, client, shopper, "thanks for taking it", "en")
        after = [m["text"] for m in (await transcript(client, shopper))[before:]]
    assert after == ["thanks for taking it"]
