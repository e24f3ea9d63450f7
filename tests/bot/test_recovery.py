"""A shopper message stored but never handled (the process died mid-message) is
answered by the next process on the same database, exactly once."""

from __future__ import annotations

from collections.abc import Callable

import httpx

from relevo.app import create_app
from relevo.app.settings import Settings
from tests.conftest import started
from tests.fakes.nlu import StuckNLU, shop_kb, shop_nlu
from tests.settle import settle, wait_until


async def test_a_message_left_unanswered_by_a_crash_is_answered_after_a_restart(
    make_settings: Callable[..., Settings],
) -> None:
    stuck = StuckNLU()
    crashed = create_app(make_settings(), nlu=stuck, knowledge_base=shop_kb())
    async with started(crashed) as client:
        session = await client.post("/webchat/sessions")
        visitor = {"Authorization": f"Bearer {session.json()['visitor_token']}"}
        sent = await client.post("/webchat/messages", json={"text": "how long is shipping?"},
                                 headers=visitor)
        await wait_until(lambda: stuck.calls, "the engine to start on the message")
        before = await transcript(client, visitor)
    # The process is gone with the message half handled.

    restarted = create_app(make_settings(), nlu=shop_nlu(), knowledge_base=shop_kb())
    async with started(restarted) as client:
        await settle(restarted)
        after = await transcript(client, visitor)
    assert sent.status_code == 202
    assert [m["author"]["kind"] for m in before] == ["shopper"]
    assert [(m["author"]["kind"], m["text"]) for m in after] == [
        ("shopper", "how long is shipping?"),
        ("bot", "Orders arrive in 2-3 working days."),
    ]


async def test_a_handled_message_is_not_answered_again_after_a_restart(
    make_settings: Callable[..., Settings],
) -> None:
    first = create_app(make_settings(), nlu=shop_nlu(), knowledge_base=shop_kb())
    async with started(first) as client:
        session = await client.post("/webchat/sessions")
        visitor = {"Authorization": f"Bearer {session.json()['visitor_token']}"}
        await client.post("/webchat/messages", json={"text": "shipping?"}, headers=visitor)
        await settle(first)
    again = create_app(make_settings(), nlu=shop_nlu(), knowledge_base=shop_kb())
    async with started(again) as client:
        await settle(again)
        after = await transcript(client, visitor)
    assert [m["author"]["kind"] for m in after] == ["shopper", "bot"]


async def transcript(client: httpx.AsyncClient, visitor: dict[str, str]) -> list[dict[str, str]]:
    response = await client.get("/webchat/messages", headers=visitor)
    assert response.status_code == 200
    return list(response.json()["messages"])
