"""Shared helpers of the handoff tests: a controllable clock, operators, shoppers."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from fastapi import FastAPI

from relevo.app import create_app
from relevo.app.settings import Settings
from relevo.bot.store import operators as operator_store
from relevo.bot.types import OperatorKind, Role
from relevo.handoff.service import Handoff
from tests.fakes.nlu import shop_kb, shop_nlu
from tests.settle import settle

# A Wednesday, 11:00 in Madrid: inside the default business hours.
WEDNESDAY_MORNING = datetime(2026, 3, 4, 10, 0, tzinfo=UTC)
# A Saturday, 23:30 in Madrid: outside them.
SATURDAY_NIGHT = datetime(2026, 3, 7, 22, 30, tzinfo=UTC)


class ManualClock:
    def __init__(self, start: datetime = WEDNESDAY_MORNING) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@dataclass
class Op:
    id: int
    token: str
    headers: dict[str, str]


def build_app(
    make_settings: Callable[..., Settings], clock: ManualClock | None = None, **handoff: Any
) -> FastAPI:
    # Timers are ticked by hand in tests; the background loop must not race them.
    handoff.setdefault("sla", {}).setdefault("tick_seconds", 60)
    app = create_app(make_settings(handoff=handoff), nlu=shop_nlu(), knowledge_base=shop_kb())
    service(app).set_clock(clock or ManualClock())
    return app


def service(app: FastAPI) -> Handoff:
    handoff: Handoff = app.state.relevo.handoff
    return handoff


async def add_operator(
    app: FastAPI,
    name: str,
    kind: OperatorKind | str = OperatorKind.INTERNAL,
    *,
    languages: tuple[str, ...] = ("en", "es"),
    skills: tuple[str, ...] = (),
    max_concurrent: int = 3,
    email: str | None = None,
    role: Role | str = Role.OPERATOR,
    roles: tuple[Role | str, ...] = (),
) -> Op:
    """An operator holding `role`, or every one of `roles` when given."""
    handoff = service(app)
    async with handoff.database.write() as conn:
        row, token = await operator_store.add(
            conn, name=name, kind=OperatorKind(kind), email=email, languages=list(languages),
            skills=list(skills), max_concurrent=max_concurrent, now=handoff.now(),
            roles=[Role(r) for r in roles] or [Role(role)],
        )
    handoff.state.operators.upsert(row)
    return Op(row.id, token, {"Authorization": f"Bearer {token}"})


async def go_online(client: httpx.AsyncClient, op: Op, status: str = "online") -> None:
    response = await client.post("/api/operators/me/presence", json={"status": status},
                                 headers=op.headers)
    assert response.status_code == 200, response.text


async def new_shopper(client: httpx.AsyncClient, locale: str | None = None) -> dict[str, str]:
    response = await client.post("/webchat/sessions", json={"locale": locale} if locale else None)
    assert response.status_code == 201
    return {"Authorization": f"Bearer {response.json()['visitor_token']}"}


async def say(
    app: FastAPI, client: httpx.AsyncClient, shopper: dict[str, str], text: str,
    locale: str | None = None,
) -> int:
    body: dict[str, Any] = {"text": text}
    if locale:
        body["locale"] = locale
    response = await client.post("/webchat/messages", json=body, headers=shopper)
    assert response.status_code == 202, response.text
    await settle(app)
    return int(response.json()["conversation_id"])


async def transcript(client: httpx.AsyncClient, shopper: dict[str, str]) -> list[dict[str, Any]]:
    response = await client.get("/webchat/messages", headers=shopper)
    assert response.status_code == 200
    return list(response.json()["messages"])


async def run_timers(app: FastAPI) -> None:
    """One round of the handoff's SLA timers at the app's (manual) clock, then settle.
    The one place tests drive the timers: re-point it here when they move."""
    await service(app).sla.tick()
    await settle(app)
