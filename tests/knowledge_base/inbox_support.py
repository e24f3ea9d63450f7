"""Shared steps of the inbox tests: an app whose scripted NLU misses what it does not
know, staff of each role, shoppers asking, and the inbox read over its API."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import httpx
import sqlalchemy as sa
from fastapi import FastAPI

from relevo.app import create_app
from relevo.app.settings import Settings
from relevo.bot.types import Role
from relevo.knowledge_base.schema import kb_articles
from tests.bot.test_misses import inbox_nlu
from tests.fakes.nlu import shop_kb
from tests.handoff.helpers import Op, add_operator, new_shopper, say, service


def inbox_app(make_settings: Callable[..., Settings], **overrides: Any) -> FastAPI:
    overrides.setdefault("handoff", {"sla": {"tick_seconds": 60}})
    return create_app(make_settings(**overrides), nlu=inbox_nlu(), knowledge_base=shop_kb())


async def staff(app: FastAPI) -> dict[str, Op]:
    """One person of each role that matters here."""
    return {role: await add_operator(app, role.title(), role=role, email=f"{role}@shop.test")
            for role in (Role.OPERATOR, Role.EDITOR, Role.REVIEWER, Role.ADMIN)}


async def ask(app: FastAPI, client: httpx.AsyncClient, text: str, locale: str = "en") -> int:
    """A new shopper asks `text`; the conversation's id."""
    return await say(app, client, await new_shopper(client), text, locale=locale)


async def clusters(client: httpx.AsyncClient, op: Op, **query: Any) -> list[dict[str, Any]]:
    response = await client.get("/api/kb/clusters", params=query, headers=op.headers)
    assert response.status_code == 200, response.text
    return list(response.json()["clusters"])


async def cluster(client: httpx.AsyncClient, op: Op, cluster_id: int) -> dict[str, Any]:
    response = await client.get(f"/api/kb/clusters/{cluster_id}", headers=op.headers)
    assert response.status_code == 200, response.text
    return dict(response.json())


def holding(found: list[dict[str, Any]], text: str) -> dict[str, Any]:
    """The cluster whose label is `text` or that has it among its examples (by label)."""
    return next(c for c in found if c["label"] == text)


async def add_article(app: FastAPI, intent: str) -> None:
    """An article row as the editorial API leaves it (that API is another part's)."""
    now = datetime.now(UTC)
    async with service(app).database.write() as conn:
        await conn.execute(sa.insert(kb_articles).values(
            intent=intent, status="draft", head_revision=1, created_at=now, updated_at=now))
