"""Routing decisions: rules across time zones and business hours, languages, skills,
capacity; the least busy operator wins and ties go to whoever waited longest."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from relevo.app.settings import Settings
from relevo.handoff.config import HandoffSettings
from relevo.handoff.rules import Facts, RuleTable
from tests.conftest import started
from tests.handoff.helpers import (
    SATURDAY_NIGHT,
    WEDNESDAY_MORNING,
    ManualClock,
    add_operator,
    build_app,
    go_online,
    new_shopper,
    say,
    service,
)


def table(**overrides: object) -> RuleTable:
    settings = HandoffSettings.model_validate(overrides)
    return RuleTable(settings.rules, settings.weekly_hours())


def rules_hit(facts: Facts, **overrides: object) -> list[str]:
    return [hit.rule for hit in table(**overrides).evaluate(facts).hits]


@pytest.mark.parametrize(
    ("at", "expected_first"),
    [
        (WEDNESDAY_MORNING, "products"),  # 11:00 Madrid, Wednesday
        (SATURDAY_NIGHT, "products_off_hours"),  # 23:30 Madrid, Saturday
        # 19:30 Madrid on a Tuesday: after hours, although 18:30 UTC might look like "day".
        (datetime(2026, 3, 3, 18, 30, tzinfo=UTC), "products_off_hours"),
        # 08:30 UTC is 09:30 in Madrid: open.
        (datetime(2026, 3, 3, 8, 30, tzinfo=UTC), "products"),
    ],
)
def test_product_questions_go_to_experts_first_and_only_to_them_off_hours(
    at: datetime, expected_first: str
) -> None:
    outcome = table().evaluate(Facts(at=at, channel="web", topic="product"))
    assert outcome.hits[0].rule == expected_first
    assert [k.value for k in outcome.pools[0].kinds] == ["expert", "ambassador"]
    if expected_first == "products_off_hours":
        assert len(outcome.pools) == 1  # stop: no agents behind them
        assert "outside business hours" in outcome.hits[0].why
    else:
        assert [k.value for k in outcome.pools[1].kinds] == ["internal"]


def test_business_hours_follow_the_shops_time_zone() -> None:
    at = datetime(2026, 3, 4, 20, 0, tzinfo=UTC)  # 21:00 Madrid, 15:00 New York
    facts = Facts(at=at, channel="web", topic="product")
    assert rules_hit(facts)[0] == "products_off_hours"
    assert rules_hit(facts, timezone="America/New_York")[0] == "products"


def test_orders_payments_and_complaints_go_to_agents_with_vip_priority() -> None:
    facts = Facts(at=WEDNESDAY_MORNING, channel="web", topic="returns", intent="damaged_item",
                  vip=True, basket=300)
    outcome = table().evaluate(facts)
    assert [h.rule for h in outcome.hits] == [
        "vip", "big_basket", "complaints", "orders_payments", "agents", "outsourced"
    ]
    assert outcome.priority == 20
    assert [p.kinds[0].value for p in outcome.pools] == ["internal", "outsourced"]
    assert "VIP shopper" in outcome.explain()


def test_conditions_on_language_channel_hours_and_handoff_count() -> None:
    rules = [
        {"name": "night_whatsapp_es", "when": {"languages": ["es"], "channels": ["whatsapp"],
                                               "hours": "22:00-07:00", "days": ["sat", "sun"]},
         "pool": {"kinds": ["ambassador"]}},
        {"name": "bounced", "when": {"min_handoffs": 1}, "pool": {"kinds": ["internal"]}},
        {"name": "rest", "pool": {"kinds": ["outsourced"]}},
    ]
    night = Facts(at=SATURDAY_NIGHT, channel="whatsapp", language="es")
    assert rules_hit(night, rules=rules) == ["night_whatsapp_es", "rest"]
    assert rules_hit(Facts(at=SATURDAY_NIGHT, channel="web", language="es"),
                     rules=rules) == ["rest"]
    assert rules_hit(Facts(at=WEDNESDAY_MORNING, channel="whatsapp", language="es"),
                     rules=rules) == ["rest"]
    assert rules_hit(Facts(at=SATURDAY_NIGHT, channel="whatsapp", language="en", handoffs=1),
                     rules=rules) == ["bounced", "rest"]


def test_an_unknown_topic_still_routes() -> None:
    outcome = table().evaluate(Facts(at=WEDNESDAY_MORNING, channel="web"))
    assert [h.rule for h in outcome.hits] == ["agents", "outsourced"]


async def test_language_skill_and_capacity_decide_who_is_offered(
    make_settings: Callable[..., Settings],
) -> None:
    app = build_app(make_settings, ManualClock(SATURDAY_NIGHT))
    async with started(app) as client:
        german = await add_operator(app, "Greta", "expert", languages=("de",),
                                    skills=("product",))
        no_skill = await add_operator(app, "Sam", "expert", languages=("en",),
                                      skills=("payments",))
        full = await add_operator(app, "Fede", "ambassador", languages=("en",),
                                  skills=("product",), max_concurrent=1)
        agent = await add_operator(app, "Ines", "internal", languages=("en",))
        for op in (german, no_skill, full, agent):
            await go_online(client, op)
        handoff = service(app)
        # Fede's single slot is taken by an earlier product conversation.
        first = await new_shopper(client, "en")
        await say(app, client, first, "shipping?")  # topic "product" in the fake KB
        first_id = await say(app, client, first, "let me talk to a person")
        assert handoff.state.queue.get(first_id).offered_to == full.id  # type: ignore[union-attr]
        # Nobody else may take a product question at night: it waits, after hours.
        second = await new_shopper(client, "en")
        await say(app, client, second, "shipping?")
        second_id = await say(app, client, second, "a person please")
        entry = handoff.state.queue.get(second_id)
        assert entry is not None and entry.offered_to is None
        detail = await client.get(f"/api/conversations/{second_id}", headers=agent.headers)
        decision = detail.json()["routing"][-1]
        assert decision["outcome"] == "queued"
        assert decision["hits"][0]["rule"] == "products_off_hours"
        assert decision["facts"]["topic"] == "product"


async def test_least_busy_wins_and_ties_go_to_the_longest_idle(
    make_settings: Callable[..., Settings],
) -> None:
    clock = ManualClock(WEDNESDAY_MORNING)
    app = build_app(make_settings, clock)
    async with started(app) as client:
        ana = await add_operator(app, "Ana")
        bea = await add_operator(app, "Bea")
        await go_online(client, ana)
        await go_online(client, bea)
        offered = []
        for _ in range(3):
            shopper = await new_shopper(client)
            cid = await say(app, client, shopper, "I want a human")
            entry = service(app).state.queue.get(cid)
            assert entry is not None
            offered.append(entry.offered_to)
            await client.post(f"/api/conversations/{cid}/claim",
                              headers=(ana if entry.offered_to == ana.id else bea).headers)
            clock.advance(10)
        # Equal load and never assigned: lowest id; then the other (less busy); then the one
        # assigned longest ago (both have one).
        assert offered == [ana.id, bea.id, ana.id]


async def test_routing_reads_the_parse_the_engine_stored_and_never_parses_again(
    make_settings: Callable[..., Settings],
) -> None:
    app = build_app(make_settings, ManualClock(WEDNESDAY_MORNING))
    async with started(app) as client:
        agent = await add_operator(app, "Ines", "internal", languages=("en",))
        await go_online(client, agent)
        nlu = app.state.relevo.nlu
        shopper = await new_shopper(client, "en")
        # Asking for a person hands off at once; the NLU still read "shipping" in it.
        cid = await say(app, client, shopper, "a person please, it is about shipping")
        assert nlu.calls == ["a person please, it is about shipping"]
        detail = await client.get(f"/api/conversations/{cid}", headers=agent.headers)
        decision = detail.json()["routing"][-1]
        assert decision["facts"]["topic"] == "product"
        assert decision["facts"]["intent"] == "shipping_times"
