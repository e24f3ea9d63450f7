"""What the bot missed lands in the inbox, once, grouped with its near-duplicates and
apart from other questions and languages, ranked by count and recency; each cluster
shows what operators replied and prefills an article. Over HTTP, on both databases."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from relevo.app.settings import Settings
from relevo.bot.events import BotMissed
from relevo.bot.store.schema import conversations
from relevo.bot.types import Event
from relevo.knowledge_base.schema import kb_clusters, kb_unanswered
from tests.conftest import started
from tests.handoff.helpers import new_shopper, say, service
from tests.knowledge_base.inbox_support import ask, cluster, clusters, holding, inbox_app, staff
from tests.settle import settle


async def test_each_kind_lands_once_and_a_replayed_event_files_nothing_more(
    make_settings: Callable[..., Settings],
) -> None:
    app = inbox_app(make_settings)
    heard: list[Event] = []

    async def hear(event: Event) -> None:
        heard.append(event)

    async with started(app) as client:
        app.state.relevo.bus.subscribe(hear, name="test-inbox")
        admin = (await staff(app))["admin"]
        await ask(app, client, "blorp the flux capacitor")
        await ask(app, client, "will the weather be nice tomorrow")
        await ask(app, client, "can i return the jacket")
        shopper = await new_shopper(client)
        await say(app, client, shopper, "which charger")
        await say(app, client, shopper, "shipping please")
        before = await clusters(client, admin)
        for event in [e for e in heard if isinstance(e, BotMissed)]:
            await app.state.relevo.bus.publish(event)
        await settle(app)
        after = await clusters(client, admin)
        async with service(app).database.read() as conn:
            rows = (await conn.execute(sa.select(kb_unanswered.c.kind, kb_unanswered.c.text))
                    ).all()
    assert sorted(rows) == sorted([
        ("miss", "blorp the flux capacitor"), ("out_of_scope", "will the weather be nice tomorrow"),
        ("low_confidence", "can i return the jacket"), ("clarify_unpicked", "which charger")])
    assert after == before
    kinds: dict[str, int] = {}
    for found in after:
        for kind, n in found["kinds"].items():
            kinds[kind] = kinds.get(kind, 0) + n
        assert found["channels"] == {"web": found["size"]}
    assert kinds == {"miss": 1, "out_of_scope": 1, "low_confidence": 1, "clarify_unpicked": 1}


async def test_near_duplicates_cluster_together_and_apart_from_other_questions_and_languages(
    make_settings: Callable[..., Settings],
) -> None:
    app = inbox_app(make_settings)
    async with started(app) as client:
        editor = (await staff(app))["editor"]
        for text in ("do you sell gift cards", "Do you sell GIFT cards?",
                     "do u sell giftcards or gift card", "can i pay with bitcoin",
                     "bitcoin payments accepted?"):
            await ask(app, client, text)
        for text in ("¿vendéis tarjetas regalo?", "vendeis tarjeta de regalo"):
            await ask(app, client, text, locale="es")
        english = await clusters(client, editor, language="en")
        spanish = await clusters(client, editor, language="es")
        gift = await cluster(client, editor, holding(english, "do you sell gift cards")["id"])
    assert {c["label"] for c in spanish} == {"¿vendéis tarjetas regalo?"}
    assert spanish[0]["size"] == 2
    assert sorted(c["size"] for c in english) == [2, 3]
    assert {e["text"] for e in gift["examples"]} == {
        "do you sell gift cards", "Do you sell GIFT cards?", "do u sell giftcards or gift card"}
    bitcoin = next(c for c in english if c["id"] != gift["id"])
    assert "bitcoin" in bitcoin["label"]


async def test_clusters_rank_by_count_and_recency(
    make_settings: Callable[..., Settings],
) -> None:
    app = inbox_app(make_settings)
    async with started(app) as client:
        editor = (await staff(app))["editor"]
        for _ in range(3):
            await ask(app, client, "do you sell gift cards")
        await ask(app, client, "can i pay with bitcoin")
        await ask(app, client, "do you ship to the canary islands")
        await ask(app, client, "do you ship to the canary islands please")
        fresh = [(c["label"], c["size"]) for c in await clusters(client, editor)]
        async with service(app).database.write() as conn:  # the gift cards' last ask: 3 weeks ago
            await conn.execute(sa.update(kb_clusters)
                               .where(kb_clusters.c.label == "do you sell gift cards")
                               .values(last_at=datetime.now(UTC) - timedelta(days=21)))
        aged = await clusters(client, editor)
        limited = await clusters(client, editor, limit=1)
    assert fresh == [("do you sell gift cards", 3), ("do you ship to the canary islands", 2),
                     ("can i pay with bitcoin", 1)]
    # 3 × 0.5^(21/7) = 0.375: below every cluster asked today
    assert [c["label"] for c in aged] == [
        "do you ship to the canary islands", "can i pay with bitcoin", "do you sell gift cards"]
    assert aged[-1]["score"] == 0.375
    assert [c["label"] for c in limited] == ["do you ship to the canary islands"]


async def test_a_cluster_shows_what_operators_replied_and_prefills_an_article(
    make_settings: Callable[..., Settings],
) -> None:
    app = inbox_app(make_settings)
    async with started(app) as client:
        people = await staff(app)
        operator, editor = people["operator"], people["editor"]
        replies = {}
        for text, reply in (("do you sell gift cards", "Yes: gift cards from 10 euros."),
                            ("do you sell gift cards?", "Yes: gift cards from 10 euros."),
                            ("do you sell gift card", "We do, in the shop only.")):
            shopper = await new_shopper(client)
            conversation = await say(app, client, shopper, text)
            await say(app, client, shopper, "hmm zzz")  # not understood twice: to a person
            claimed = await client.post(f"/api/conversations/{conversation}/claim",
                                        headers=operator.headers)
            assert claimed.status_code == 200, claimed.text
            sent = await client.post(f"/api/conversations/{conversation}/messages",
                                     json={"text": reply}, headers=operator.headers)
            assert sent.status_code == 201, sent.text
            replies[conversation] = reply
        found = await clusters(client, editor)
        detail = await cluster(client, editor, holding(found, "do you sell gift cards")["id"])
    assert sorted((c["label"], c["size"]) for c in found) == [
        ("do you sell gift cards", 3), ("hmm zzz", 3)]
    assert sorted((r["conversation_id"], r["text"]) for r in detail["operator_replies"]) == \
        sorted(replies.items())
    assert {r["operator"]["name"] for r in detail["operator_replies"]} == {"Operator"}
    assert detail["prefill"]["answer"] == {"en": "Yes: gift cards from 10 euros."}
    # "do you sell gift cards" and "…?" fold to one question
    questions = detail["prefill"]["questions"]["en"]
    assert len(questions) == 2
    assert "do you sell gift card" in questions
    assert detail["prefill"]["title"] == {"en": detail["label"]}



async def test_an_erased_shoppers_questions_leave_the_inbox_but_keep_the_counts(
    make_settings: Callable[..., Settings],
) -> None:
    app = inbox_app(make_settings)
    async with started(app) as client:
        admin = (await staff(app))["admin"]
        erased = await ask(app, client, "do you sell gift cards Zyxwv Street 12")
        await ask(app, client, "do you sell gift cards")
        async with service(app).database.read() as conn:
            contact_id = await conn.scalar(sa.select(conversations.c.contact_id).where(
                conversations.c.id == erased))
        response = await client.post(f"/api/contacts/{contact_id}/erase", headers=admin.headers)
        assert response.status_code == 200, response.text
        await settle(app)
        found = await clusters(client, admin)
        detail = await cluster(client, admin, found[0]["id"])
        exported = await client.get(f"/api/contacts/{contact_id}/export", headers=admin.headers)
    assert [(c["label"], c["size"]) for c in found] == [("do you sell gift cards", 2)]
    assert "Zyxwv" not in str(detail)
    assert detail["prefill"]["questions"] == {"en": ["do you sell gift cards"]}
    assert "Zyxwv" not in exported.text
