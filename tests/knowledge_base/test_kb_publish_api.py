"""Publishing over HTTP with the hooks the composition root injects (publishing's replay
and retrain, here fakes): regressions are a 409 listing them and nothing changes until
the reviewer confirms; a publish asks for a retrain and says so."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from relevo.app.migrations import PACKAGE_MIGRATIONS
from relevo.bot.bus import InProcessBus
from relevo.bot.roles import Staff
from relevo.bot.store import operators as operator_store
from relevo.bot.store.db import Database
from relevo.bot.store.migrate import upgrade
from relevo.bot.types import OperatorKind, Role
from relevo.knowledge_base.api import kb_articles_router
from relevo.knowledge_base.articles import Article
from relevo.knowledge_base.editorial import Editorial
from tests.knowledge_base.test_kb_articles_api import GIFT

REGRESSION = {"text": "can you wrap it", "locale": "en", "source": "shopper",
              "expected": "gift_cards", "before": {"decision": "answer",
                                                   "intent": "gift_cards", "confidence": 0.9},
              "after": {"decision": "answer", "intent": "gift_wrapping", "confidence": 0.8},
              "regression": True}


class Hooks:
    def __init__(self) -> None:
        self.replayed: list[str] = []
        self.retrains = 0

    async def regressions(self, article: Article) -> list[dict[str, Any]]:
        self.replayed.append(article.answer["en"])
        return [REGRESSION]

    async def retrain(self) -> None:
        self.retrains += 1


@pytest.fixture
async def client(database_url: str) -> AsyncIterator[tuple[httpx.AsyncClient, Hooks]]:
    database = Database(database_url)
    await upgrade(database, locations=PACKAGE_MIGRATIONS)
    async with database.write() as conn:
        ada, _ = await operator_store.add(
            conn, name="Ada", kind=OperatorKind.INTERNAL, email=None, languages=["en"],
            skills=[], max_concurrent=3, now=datetime.now(UTC), role=Role.ADMIN)
    hooks = Hooks()
    editorial = Editorial(database, InProcessBus(),
                          check_regressions=hooks.regressions, on_published=hooks.retrain)

    async def admin() -> Staff:
        return Staff(ada.id, "Ada", OperatorKind.INTERNAL, frozenset({Role.ADMIN}))

    app = FastAPI()
    app.include_router(kb_articles_router(editorial, admin))
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://kb.test") as http:
            yield http, hooks
    finally:
        await database.close()


async def test_regressions_are_409_until_confirmed_then_a_retrain_is_requested(
    client: tuple[httpx.AsyncClient, Hooks],
) -> None:
    http, hooks = client
    created = await http.post("/api/kb/articles", json={**GIFT, "intent": "gift_wrapping"})
    assert created.status_code == 201, created.text
    refused = await http.post("/api/kb/articles/gift_wrapping/publish", json={})
    assert refused.status_code == 409
    assert refused.json() == {
        "detail": "publishing would change 1 right answers into wrong ones: "
                  "confirm to publish anyway",
        "regressions": [REGRESSION]}
    unchanged = (await http.get("/api/kb/articles/gift_wrapping")).json()
    assert (unchanged["status"], unchanged["published_revision"]) == ("draft", None)
    assert hooks.retrains == 0
    confirmed = await http.post("/api/kb/articles/gift_wrapping/publish",
                                json={"confirm": True, "revision": 1})
    assert confirmed.status_code == 200, confirmed.text
    assert (confirmed.json()["status"], confirmed.json()["model"]) == (
        "published", {"requested": True})
    assert hooks.replayed == ["Yes, for 2 euros."] and hooks.retrains == 1
