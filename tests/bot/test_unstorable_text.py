"""Text that cannot be stored (a NUL, a lone surrogate) sent to our own JSON APIs is
refused with 422 naming the field, on SQLite and PostgreSQL alike (it was a 500:
PostgreSQL refuses NUL, and no driver can encode a lone surrogate), and nothing of it
is stored. `/model/parse` refuses it in Rasa's error shape."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import sqlalchemy as sa

from relevo.app.settings import Settings
from relevo.bot.store.schema import messages, operator_notes
from relevo.bot.text import first_unstorable, sanitize, unstorable
from tests.conftest import started
from tests.handoff.helpers import add_operator, build_app, new_shopper, say

# JSON escapes, written by hand: a JSON encoder cannot encode a lone surrogate itself.
NUL = "\\u0000"
SURROGATE = "\\ud800"
JSON = {"Content-Type": "application/json"}


def test_sanitize_removes_nul_and_replaces_lone_surrogates() -> None:
    assert sanitize("a\x00b\ud800c\udfff") == "ab\ufffdc\ufffd"
    assert sanitize("Sí 😀") == "Sí 😀"
    assert unstorable("ok 😀") is None
    assert "NUL" in (unstorable("a\x00") or "")
    assert "U+DC00" in (unstorable("a\udc00") or "")
    assert first_unstorable({"a": [1, {"b": "x\x00"}]}) == (
        "a.1.b", "contains a NUL character (U+0000), which cannot be stored")


async def _stored_texts(app: object) -> list[str]:
    async with app.state.relevo.database.read() as conn:  # type: ignore[attr-defined]
        found = await conn.execute(sa.select(messages.c.text))
        notes = await conn.execute(sa.select(operator_notes.c.text))
        return [r.text for r in found] + [r.text for r in notes]


@pytest.mark.parametrize("bad", [NUL, SURROGATE])
async def test_the_web_chat_refuses_unstorable_text_with_a_reason(
    make_settings: Callable[..., Settings], bad: str
) -> None:
    app = build_app(make_settings)
    async with started(app) as client:
        shopper = await new_shopper(client)
        response = await client.post("/webchat/messages", content=f'{{"text": "hi {bad}"}}',
                                     headers={**shopper, **JSON})
        polled = await client.get("/webchat/messages", headers=shopper)
    assert response.status_code == 422
    assert response.json()["detail"].startswith("text: contains a ")
    assert polled.json() == {"messages": []}


@pytest.mark.parametrize("bad", [NUL, SURROGATE])
async def test_operator_replies_notes_and_profiles_refuse_unstorable_text(
    make_settings: Callable[..., Settings], bad: str
) -> None:
    app = build_app(make_settings)
    async with started(app) as client:
        op = await add_operator(app, "Ana")
        shopper = await new_shopper(client)
        cid = await say(app, client, shopper, "I want a person")
        assert (await client.post(f"/api/conversations/{cid}/claim",
                                  headers=op.headers)).status_code == 200
        before = await _stored_texts(app)
        headers = {**op.headers, **JSON}
        answers = {
            "reply": await client.post(f"/api/conversations/{cid}/messages",
                                       content=f'{{"text": "ok {bad}"}}', headers=headers),
            "note": await client.post(f"/api/conversations/{cid}/notes",
                                      content=f'{{"text": "note {bad}"}}', headers=headers),
            "transfer": await client.post(f"/api/conversations/{cid}/transfer",
                                          content=f'{{"pool": {{"kinds": ["expert"]}}, '
                                                  f'"note": "n {bad}"}}', headers=headers),
            "profile": await client.patch(f"/api/operators/{op.id}",
                                          content=f'{{"skills": ["a", "b{bad}"]}}',
                                          headers=headers),
        }
        after = await _stored_texts(app)
        me = await client.get("/api/operators/me", headers=op.headers)
    assert {k: r.status_code for k, r in answers.items()} == dict.fromkeys(answers, 422)
    assert {k: r.json()["detail"].split(":")[0] for k, r in answers.items()} == {
        "reply": "text", "note": "text", "transfer": "note", "profile": "skills.1"}
    assert after == before
    assert me.json()["operator"]["skills"] == []


@pytest.mark.parametrize("bad", [NUL, SURROGATE])
async def test_model_parse_refuses_unstorable_text_like_rasa_refuses_a_bad_body(
    make_settings: Callable[..., Settings], bad: str
) -> None:
    app = build_app(make_settings)
    async with started(app) as client:
        response = await client.post("/model/parse", content=f'{{"text": "hi {bad}"}}',
                                     headers=JSON)
    assert response.status_code == 400
    assert response.json()["status"] == "failure"
    assert response.json()["reason"] == "BadRequest"
    assert "text contains a " in response.json()["message"]


async def test_an_escaped_backslash_is_ordinary_text(
    make_settings: Callable[..., Settings],
) -> None:
    app = build_app(make_settings)
    async with started(app) as client:
        shopper = await new_shopper(client)
        response = await client.post("/webchat/messages",
                                     content='{"text": "C:\\\\u0000 is a path"}',
                                     headers={**shopper, **JSON})
        polled = await client.get("/webchat/messages", headers=shopper)
    assert response.status_code == 202
    assert polled.json()["messages"][0]["text"] == "C:\\u0000 is a path"




async def test_a_deeply_nested_body_with_an_escape_is_a_4xx(
    make_settings: Callable[..., Settings],
) -> None:
    app = build_app(make_settings)
    deep = "[" * 5000 + f'"{NUL}"' + "]" * 5000
    async with started(app) as client:
        shopper = await new_shopper(client)
        response = await client.post("/webchat/messages", content=deep,
                                     headers={**shopper, **JSON})
        nested = await client.post("/webchat/messages",
                                   content='{"text": "hi", "x": ' + "[" * 500 + f'"{NUL}"'
                                   + "]" * 500 + "}", headers={**shopper, **JSON})
    assert 400 <= response.status_code < 500
    assert nested.status_code == 422
    assert nested.json()["detail"].startswith("x." + ".".join(["0"] * 500) + ": contains")


async def test_model_parse_answers_a_body_too_deep_to_decode_like_any_bad_body(
    make_settings: Callable[..., Settings],
) -> None:
    app = build_app(make_settings)
    async with started(app) as client:
        response = await client.post("/model/parse", content="[" * 50_000 + "]" * 50_000,
                                     headers=JSON)
    assert response.status_code == 400
    assert response.json()["reason"] == "BadRequest"
