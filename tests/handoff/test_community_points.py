"""Community answers (#13): when a reviewer publishes an answer a community member
proposed, the knowledge base announces `ArticlePublished(intent, revision,
credited_operator_id)` and the proposer earns `handoff.points.community_answer` points,
once per published revision however often the event is replayed, and the
`community_author` badge (named per language by the catalogs). On both databases."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from relevo.app.settings import Settings
from relevo.bot.config import ConfigError
from relevo.bot.events import NO_CONVERSATION, ArticlePublished
from relevo.bot.types import OperatorKind
from tests.conftest import started
from tests.handoff.helpers import Op, add_operator, build_app, service


def publish_of(intent: str, revision: int, credited: int | None = None) -> ArticlePublished:
    """The event the knowledge base puts on the bus when a reviewer publishes."""
    return ArticlePublished(NO_CONVERSATION, datetime.now(UTC), intent, revision, credited)


async def published(app: FastAPI, *events: ArticlePublished) -> None:
    """Put the events on the app's bus and wait until every subscriber handled them."""
    bus = app.state.relevo.bus
    for event in events:
        await bus.publish(event)
    await bus.drain()


async def me(client: httpx.AsyncClient, op: Op, language: str = "en") -> dict[str, Any]:
    response = await client.get("/api/operators/me",
                                headers={**op.headers, "Accept-Language": language})
    assert response.status_code == 200, response.text
    return dict(response.json()["operator"])


async def test_a_published_answer_pays_its_proposer_once_and_earns_the_badge(
    make_settings: Callable[..., Settings],
) -> None:
    app = build_app(make_settings)
    async with started(app) as client:
        eva = await add_operator(app, "Eva", OperatorKind.AMBASSADOR)
        ana = await add_operator(app, "Ana", role="reviewer")
        returns = publish_of("returns_policy", 3, eva.id)
        await published(app, returns, returns)  # a replayed event pays nothing more
        first = await me(client, eva, "es-ES,es;q=0.9,en;q=0.8")
        again = await service(app).community.credit("returns_policy", 3, eva.id)
        await published(app, publish_of("returns_policy", 4, eva.id),
                        publish_of("shipping_times", 1, None))
        second = await me(client, eva)
        board = (await client.get("/api/leaderboard", headers=ana.headers)).json()["leaderboard"]
        everyone = (await client.get("/api/operators", headers=ana.headers)).json()["operators"]
    assert first["points"] == 25 and first["events"] == {"community_answer": 1}
    assert first["badges"] == [{
        "id": "community_author", "name": "Voz de la comunidad",
        "description": "Una respuesta que propuso se publicó en la base de conocimiento"}]
    assert again == 0
    # A later revision of the same article is a new answer published: paid again.
    assert second["points"] == 50 and second["events"] == {"community_answer": 2}
    assert [badge["name"] for badge in second["badges"]] == ["Community author"]
    assert [(row["name"], row["points"], [b["name"] for b in row["badges"]])
            for row in board] == [("Eva", 50, ["Community author"])]
    # The operators list (the routing view's copy of the points) follows too.
    assert [o["points"] for o in everyone if o["id"] == eva.id] == [50]


async def test_in_house_staff_unknown_people_and_uncredited_articles_earn_nothing(
    make_settings: Callable[..., Settings],
) -> None:
    app = build_app(make_settings)
    async with started(app) as client:
        ivan = await add_operator(app, "Ivan", OperatorKind.INTERNAL)
        pia = await add_operator(app, "Pia", OperatorKind.EXPERT)
        await published(
            app,
            publish_of("returns_policy", 1, ivan.id),
            publish_of("returns_policy", 2),
            publish_of("returns_policy", 3, 999_999),
            # The subscriber carries on after those: the next credit is paid.
            publish_of("returns_policy", 4, pia.id),
        )
        ivan_now, pia_now = await me(client, ivan), await me(client, pia)
    assert (ivan_now["points"], ivan_now["badges"], ivan_now["events"]) == (0, [], {})
    assert pia_now["points"] == 25
    assert [badge["id"] for badge in pia_now["badges"]] == ["community_author"]


async def test_the_points_and_badges_for_community_answers_are_configurable(
    make_settings: Callable[..., Settings],
) -> None:
    app = build_app(make_settings, points={
        "community_answer": 40,
        "badges": [{"name": "Prolific", "description": "Two answers published",
                    "event": "community_answer", "count": 2}],
    })
    async with started(app) as client:
        eva = await add_operator(app, "Eva", OperatorKind.AMBASSADOR)
        await published(app, publish_of("gift_cards", 1, eva.id))
        one = await me(client, eva)
        await published(app, publish_of("gift_wrap", 1, eva.id))
        two = await me(client, eva)
    assert (one["points"], one["badges"]) == (40, [])
    assert two["points"] == 80
    assert two["badges"] == [
        {"id": None, "name": "Prolific", "description": "Two answers published"}]


def test_a_badge_named_by_the_catalogs_needs_its_text_there(
    make_settings: Callable[..., Settings],
) -> None:
    with pytest.raises(ConfigError) as refused:
        make_settings(handoff={"points": {"badges": [
            {"id": "night_owl", "event": "resolved", "count": 1}]}})
    assert "handoff.points.badges" in str(refused.value)
    assert "bot.badge_night_owl" in str(refused.value)
