"""Operators' own signatures per language: what the shopper sees as the author of each
reply, edited by the operator (`/api/operators/me/signatures`), by an admin (`PATCH
/api/operators/{id}`) or on the command line, validated and audited."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import sqlalchemy as sa
from fastapi import FastAPI

from relevo.app.settings import Settings
from relevo.bot.store.schema import audit_log
from tests.conftest import started
from tests.handoff.helpers import (
    Op,
    add_operator,
    build_app,
    go_online,
    new_shopper,
    say,
    transcript,
)
from tests.settle import settle


async def _served_by(
    app: FastAPI, client: httpx.AsyncClient, op: Op, locale: str, text: str
) -> list[dict[str, Any]]:
    """A shopper writing in `locale` gets `op`, who answers `text`: the shopper's view."""
    shopper = await new_shopper(client, locale)
    await go_online(client, op)
    cid = await say(app, client, shopper, "human please" if locale == "en"
                    else "quiero hablar con una persona", locale)
    assert (await client.post(f"/api/conversations/{cid}/claim", headers=op.headers)
            ).status_code == 200
    sent = await client.post(f"/api/conversations/{cid}/messages", json={"text": text},
                             headers=op.headers)
    assert sent.status_code == 201, sent.text
    await settle(app)
    return [m for m in await transcript(client, shopper) if m["author"]["kind"] == "operator"]


async def test_shoppers_see_the_signature_of_their_language(
    make_settings: Callable[..., Settings],
) -> None:
    app = build_app(make_settings)
    async with started(app) as client:
        lucia = await add_operator(app, "Lucía", "expert")
        put = await client.put("/api/operators/me/signatures", headers=lucia.headers, json={
            "signatures": {"es": {"title": "experta"}, "en": {"name": "Lucy", "title": "expert"}},
        })
        read = await client.get("/api/operators/me/signatures", headers=lucia.headers)
        spanish = await _served_by(app, client, lucia, "es", "¡Hola!")
        english = await _served_by(app, client, lucia, "en", "Hello!")
    assert put.status_code == 200, put.text
    assert read.json() == {
        "signatures": {"en": {"name": "Lucy", "title": "expert"},
                       "es": {"name": None, "title": "experta"}},
        "languages": ["es", "en"],
        "previews": {"en": "Lucy · expert", "es": "Lucía · experta"},
        "defaults": {"en": {"name": "Lucía", "title": "expert"},
                     "es": {"name": "Lucía", "title": "especialista"}},
    }
    # The "joined" notice and the reply, both signed for the shopper's language.
    assert [m["author"]["name"] for m in spanish] == ["Lucía · experta"]
    assert [m["author"]["name"] for m in english] == ["Lucy · expert"]
    assert spanish[-1]["text"] == "¡Hola!"


async def test_without_a_signature_spanish_titles_are_gender_neutral(
    make_settings: Callable[..., Settings],
) -> None:
    app = build_app(make_settings)
    async with started(app) as client:
        bea = await add_operator(app, "Bea", "expert")
        read = await client.get("/api/operators/me/signatures", headers=bea.headers)
        spanish = await _served_by(app, client, bea, "es", "Te ayudo")
    assert read.json()["signatures"] == {}
    assert read.json()["previews"] == {"en": "Bea · expert", "es": "Bea · especialista"}
    assert spanish[-1]["author"]["name"] == "Bea · especialista"


async def test_bad_signatures_are_refused_with_a_reason(
    make_settings: Callable[..., Settings],
) -> None:
    app = build_app(make_settings)
    async with started(app) as client:
        ana = await add_operator(app, "Ana")
        bad = {
            "fr": {"fr": {"title": "experte"}},
            "title": {"es": {"title": "x" * 61}},
            "control": {"es": {"title": "experta\u202e"}},
            "newline": {"es": {"name": "Ana\nBea"}},
            "field": {"es": {"title": "experta", "color": "red"}},
        }
        answers = {case: await client.put("/api/operators/me/signatures", headers=ana.headers,
                                          json={"signatures": signatures})
                   for case, signatures in bad.items()}
        unchanged = await client.get("/api/operators/me/signatures", headers=ana.headers)
    assert {case: r.status_code for case, r in answers.items()} == dict.fromkeys(bad, 422)
    assert answers["fr"].json()["detail"] == \
        "signatures.fr: not a configured language (en, es)"
    assert "control characters" in answers["control"].json()["detail"]
    assert "control characters" in answers["newline"].json()["detail"]
    assert "60" in answers["title"].json()["detail"]
    assert unchanged.json()["signatures"] == {}


async def test_admins_edit_anyone_s_and_every_change_is_audited(
    make_settings: Callable[..., Settings],
) -> None:
    app = build_app(make_settings)
    async with started(app) as client:
        admin = await add_operator(app, "Ada", role="admin")
        lucia = await add_operator(app, "Lucía", "expert")
        olga = await add_operator(app, "Olga", "outsourced")
        by_admin = await client.patch(f"/api/operators/{lucia.id}", headers=admin.headers,
                                      json={"signatures": {"es": {"title": "experta"}}})
        by_peer = await client.patch(f"/api/operators/{lucia.id}", headers=olga.headers,
                                     json={"signatures": {"es": {"title": "becaria"}}})
        own = await client.patch(f"/api/operators/{olga.id}", headers=olga.headers,
                                 json={"signatures": {"es": {"title": "agente externa"}}})
        bad = await client.patch(f"/api/operators/{lucia.id}", headers=admin.headers,
                                 json={"signatures": {"de": {"title": "Expertin"}}})
        mine = await client.get("/api/operators/me/signatures", headers=lucia.headers)
        async with app.state.relevo.database.read() as conn:
            entries = (await conn.execute(
                sa.select(audit_log).where(audit_log.c.action == "operator.update")
                .order_by(audit_log.c.id)
            )).all()
    assert by_admin.status_code == 200, by_admin.text
    assert by_admin.json()["operator"]["signatures"] == {"es": {"title": "experta"}}
    assert by_peer.status_code == 403
    assert own.status_code == 200, own.text
    assert bad.status_code == 422 and "signatures.de" in bad.json()["detail"]
    assert mine.json()["previews"]["es"] == "Lucía · experta"
    changes = [(e.target_id, e.after) for e in entries]
    assert (str(lucia.id), {"signatures": {"es": {"title": "experta"}}}) in changes
    assert (str(olga.id), {"signatures": {"es": {"title": "agente externa"}}}) in changes
