"""An operator's reply reaches a Spanish-speaking Telegram shopper signed with the
operator's own Spanish signature ("Lucía · experta"), an English one with the English
default; the stored message carries the same author name. On SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import httpx
from fastapi import FastAPI

from relevo.bot.store import operators as operator_store
from relevo.bot.types import OperatorKind
from tests.channels.support import operator_reply, payload, rows, settle
from tests.channels.telegram.support import deliver
from tests.conftest import started
from tests.fakes.telegram_api import FakeTelegram


async def _lucia_signing_experta(app: FastAPI, client: httpx.AsyncClient) -> None:
    async with app.state.relevo.database.write() as conn:
        _, token = await operator_store.add(
            conn, name="Lucía", kind=OperatorKind.EXPERT, email=None, languages=["es", "en"],
            skills=[], max_concurrent=3, now=datetime.now(UTC),
        )
    app.state.test_operator_token = token  # the operator `operator_reply` answers as
    signed = await client.put("/api/operators/me/signatures",
                              headers={"Authorization": f"Bearer {token}"},
                              json={"signatures": {"es": {"title": "experta"}}})
    assert signed.status_code == 200, signed.text


async def _handed_over(app: FastAPI, client: httpx.AsyncClient, language: str, text: str,
                       ) -> int:
    message = payload("telegram/text")["message"]
    await deliver(client, payload("telegram/text") | {"message": message | {
        "text": text, "from": message["from"] | {"language_code": language}}})
    await settle(app)
    conversation = (await rows(app, "SELECT id, state FROM conversations"))[-1]
    assert conversation.state == "queued"
    return int(conversation.id)


async def test_the_reply_is_signed_in_the_shopper_s_language(
    make_app: Callable[..., FastAPI], telegram_api: FakeTelegram
) -> None:
    app = make_app()
    async with started(app) as client:
        await _lucia_signing_experta(app, client)
        conversation_id = await _handed_over(app, client, "es", "Quiero hablar con una persona")
        await operator_reply(app, client, conversation_id, "Hola Marta, ya lo miro.")
        await settle(app)
        stored = await rows(app, "SELECT author_name FROM messages WHERE author_kind = "
                                 "'operator' ORDER BY id")
    assert telegram_api.sent()[-1]["text"] == "<b>Lucía · experta</b>\nHola Marta, ya lo miro."
    assert [row.author_name for row in stored] == ["Lucía · experta"]


async def test_without_a_signature_in_that_language_the_default_applies(
    make_app: Callable[..., FastAPI], telegram_api: FakeTelegram
) -> None:
    app = make_app()
    async with started(app) as client:
        await _lucia_signing_experta(app, client)
        conversation_id = await _handed_over(app, client, "en", "I want a person")
        await operator_reply(app, client, conversation_id, "Hi Marta, on it.")
        await settle(app)
    assert telegram_api.sent()[-1]["text"] == "<b>Lucía · expert</b>\nHi Marta, on it."
