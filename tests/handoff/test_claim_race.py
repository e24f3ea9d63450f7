"""Ten operators claim one queued conversation at once, each through a separate relevo
instance on the same database: no in-process lock is shared, so only the database can
pick the winner. Exactly one wins."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from contextlib import AsyncExitStack

import sqlalchemy as sa

from relevo.app.settings import Settings
from relevo.bot.store.schema import conversation_transitions, conversations
from tests.conftest import started
from tests.handoff.helpers import add_operator, build_app, new_shopper, say

INSTANCES = 10


async def test_ten_claims_through_ten_instances_have_exactly_one_winner(
    make_settings: Callable[..., Settings],
) -> None:
    first = build_app(make_settings)
    async with started(first) as client:
        operators = [await add_operator(first, f"Op {i}") for i in range(INSTANCES)]
        shopper = await new_shopper(client)
        cid = await say(first, client, shopper, "I want a person")  # nobody online: waits
    apps = [build_app(make_settings) for _ in range(INSTANCES)]
    async with AsyncExitStack() as stack:
        clients = [await stack.enter_async_context(started(app)) for app in apps]
        responses = await asyncio.gather(*(
            client.post(f"/api/conversations/{cid}/claim", headers=op.headers)
            for client, op in zip(clients, operators, strict=True)
        ))
        async with apps[0].state.relevo.database.read() as conn:
            claims = (await conn.execute(
                sa.select(conversation_transitions.c.actor).where(
                    conversation_transitions.c.conversation_id == cid,
                    conversation_transitions.c.to_state == "assigned")
            )).scalars().all()
            holder = (await conn.execute(
                sa.select(conversations.c.assigned_operator_id).where(conversations.c.id == cid)
            )).scalar_one()
    statuses = sorted(r.status_code for r in responses)
    winners = [op for op, r in zip(operators, responses, strict=True) if r.status_code == 200]
    assert statuses == [200] + [409] * (INSTANCES - 1), [r.text for r in responses]
    assert [op.id for op in winners] == [holder]
    assert claims == [f"operator:{holder}"]
    assert all("already claimed by" in r.json()["detail"]
               for r in responses if r.status_code == 409)
