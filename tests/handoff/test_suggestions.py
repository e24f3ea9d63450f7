"""The console's knowledge-base suggestions (`GET /api/conversations/{id}/suggestions`):
answers for the shopper's latest question, best first, in the shopper's language,
never a fallback intent, never below `handoff.console.suggestion_min_confidence`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

from relevo.app.settings import Settings
from tests.conftest import started
from tests.handoff.helpers import Op, add_operator, build_app, new_shopper, say


async def suggested(client: httpx.AsyncClient, op: Op, cid: int) -> list[dict[str, Any]]:
    response = await client.get(f"/api/conversations/{cid}/suggestions", headers=op.headers)
    assert response.status_code == 200, response.text
    return list(response.json()["suggestions"])


async def test_suggestions_follow_the_shoppers_latest_question(
    make_settings: Callable[..., Settings],
) -> None:
    app = build_app(make_settings)
    async with started(app) as client:
        ana = await add_operator(app, "Ana")
        shopper = await new_shopper(client)
        cid = await say(app, client, shopper, "I want a person")
        for_the_request = await suggested(client, ana, cid)
        await say(app, client, shopper, "which charger fits my phone?")
        for_the_charger = await suggested(client, ana, cid)
        await say(app, client, shopper, "and what's the weather like?")
        off_topic = await suggested(client, ana, cid)
        anonymous = await client.get(f"/api/conversations/{cid}/suggestions")
    assert for_the_request == []
    assert for_the_charger == [
        {"intent": "charger_compatibility", "title": "Charger compatibility",
         "answer": "Our USB-C chargers work with any USB-C phone.", "confidence": 0.42},
        {"intent": "fast_charging", "title": "Fast charging",
         "answer": "Fast charging needs a 20 W adapter.", "confidence": 0.4},
    ]
    assert off_topic == []  # out_of_scope is never suggested
    assert anonymous.status_code == 401


async def test_suggestions_are_in_the_shoppers_language(
    make_settings: Callable[..., Settings],
) -> None:
    app = build_app(make_settings)
    async with started(app) as client:
        ana = await add_operator(app, "Ana")
        shopper = await new_shopper(client, "es")
        cid = await say(app, client, shopper, "quiero una persona", "es")
        await say(app, client, shopper, "¿cuánto tarda el envío?", "es")
        found = await suggested(client, ana, cid)
    # shipping_costs (6%) is below the default threshold (30%): not shown.
    assert [(s["intent"], s["title"], s["answer"]) for s in found] == [
        ("shipping_times", "Plazos de envío", "Los pedidos llegan en 2-3 días laborables."),
    ]


async def test_suggestions_below_the_configured_confidence_are_not_shown(
    make_settings: Callable[..., Settings],
) -> None:
    app = build_app(make_settings, console={"suggestion_min_confidence": 0.41})
    async with started(app) as client:
        ana = await add_operator(app, "Ana")
        shopper = await new_shopper(client)
        cid = await say(app, client, shopper, "I want a person")
        await say(app, client, shopper, "which charger fits my phone?")
        found = await suggested(client, ana, cid)
    # charger_compatibility is 42% sure, fast_charging 40%: only the first passes 41%.
    assert [(s["intent"], s["confidence"]) for s in found] == [("charger_compatibility", 0.42)]
