"""Ids and cursors beyond what a database row can have (a signed 64-bit integer) are
a 422 naming the parameter, on every route that takes one, on SQLite and PostgreSQL;
they were a 500 (the drivers cannot bind them). Ids in range that name nothing stay
a 404."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from relevo.app.settings import Settings
from tests.conftest import started
from tests.handoff.helpers import add_operator, build_app, new_shopper, say

TOO_BIG = 2**63  # one past the largest BIGINT
HUGE = 10**30

CONVERSATION_ROUTES = [
    ("GET", "/api/conversations/{id}", None),
    ("GET", "/api/conversations/{id}/suggestions", None),
    ("POST", "/api/conversations/{id}/claim", None),
    ("POST", "/api/conversations/{id}/messages", {"text": "hi"}),
    ("POST", "/api/conversations/{id}/notes", {"text": "hi"}),
    ("POST", "/api/conversations/{id}/resolve", None),
    ("POST", "/api/conversations/{id}/return-to-bot", None),
    ("POST", "/api/conversations/{id}/transfer", {"pool": {"kinds": ["expert"]}}),
    ("PATCH", "/api/operators/{id}", {"signature": "x"}),
    ("DELETE", "/api/operators/{id}", None),
]


@pytest.mark.parametrize("bad_id", [TOO_BIG, HUGE, 0, -1])
async def test_path_ids_out_of_range_are_a_422_on_every_route(
    make_settings: Callable[..., Settings], bad_id: int
) -> None:
    app = build_app(make_settings)
    async with started(app) as client:
        admin = await add_operator(app, "Admin", role="admin")
        answers = {
            f"{method} {path}": await client.request(
                method, path.format(id=bad_id), json=body, headers=admin.headers)
            for method, path, body in CONVERSATION_ROUTES
        }
    assert {route: r.status_code for route, r in answers.items()} == dict.fromkeys(answers, 422)
    for route, response in answers.items():
        detail = response.json()["detail"]
        assert detail.startswith(("conversation_id: ", "operator_id: ")), (route, detail)
        assert ("greater than or equal to 1" in detail) == (bad_id < 1), (route, detail)


async def test_ids_in_range_that_name_nothing_are_a_404(
    make_settings: Callable[..., Settings],
) -> None:
    app = build_app(make_settings)
    async with started(app) as client:
        admin = await add_operator(app, "Admin", role="admin")
        answers = [
            await client.request(method, path.format(id=TOO_BIG - 1), json=body,
                                 headers=admin.headers)
            for method, path, body in CONVERSATION_ROUTES
            # Suggestions of nothing are none; a transfer first checks its target.
            if not path.endswith(("/suggestions", "/transfer"))
        ]
    assert [r.status_code for r in answers] == [404] * len(answers)


async def test_a_transfer_to_an_operator_id_out_of_range_is_a_422(
    make_settings: Callable[..., Settings],
) -> None:
    app = build_app(make_settings)
    async with started(app) as client:
        admin = await add_operator(app, "Admin", role="admin")
        conversation_id = await say(app, client, await new_shopper(client), "hello")
        response = await client.post(f"/api/conversations/{conversation_id}/transfer",
                                     json={"operator_id": TOO_BIG}, headers=admin.headers)
    assert response.status_code == 422
    assert response.json()["detail"].startswith("operator_id: ")


@pytest.mark.parametrize("after", [str(TOO_BIG), str(HUGE), "-1"])
async def test_a_web_chat_cursor_out_of_range_is_a_422(
    make_settings: Callable[..., Settings], after: str
) -> None:
    app = build_app(make_settings)
    async with started(app) as client:
        shopper = await new_shopper(client)
        response = await client.get(f"/webchat/messages?after={after}", headers=shopper)
        largest = await client.get(f"/webchat/messages?after={TOO_BIG - 1}", headers=shopper)
    assert response.status_code == 422
    assert response.json()["detail"].startswith("after: ")
    assert (largest.status_code, largest.json()) == (200, {"messages": []})
