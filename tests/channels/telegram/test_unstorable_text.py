"""A correctly signed Telegram update carrying a NUL or a lone surrogate (text, the
shopper's name, a caption, a file name) is stored sanitised and answered, never
refused (Telegram would redeliver it forever) and never a 500: on PostgreSQL a NUL
was a 500, and a lone surrogate on both databases."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable

from fastapi import FastAPI

from relevo.channels.telegram.verify import SECRET_HEADER
from tests.channels.support import inbound, outbound, payload, rows, settle
from tests.channels.telegram.support import SECRET
from tests.conftest import started
from tests.fakes.telegram_api import FakeTelegram


async def _deliver_raw(client: object, update: dict[str, object]) -> int:
    # json.dumps writes a lone surrogate as its escape, as a JSON sender may.
    body = json.dumps(update)
    response = await client.post(  # type: ignore[attr-defined]
        "/webhooks/telegram", content=body,
        headers={SECRET_HEADER: SECRET, "Content-Type": "application/json"})
    return int(response.status_code)


async def test_nul_and_lone_surrogates_from_telegram_are_stored_sanitised(
    make_app: Callable[..., FastAPI], telegram_api: FakeTelegram
) -> None:
    text = copy.deepcopy(payload("telegram/text"))
    text["message"]["text"] = "How long\x00 does shipping take?\ud800"
    text["message"]["from"]["first_name"] = "Mar\x00ta\udfff"
    document = copy.deepcopy(payload("telegram/document"))
    document["message"]["caption"] = "the invoice\x00\udc00"
    document["message"]["document"]["file_name"] = "inv\x00oice\ud83d.pdf"
    app = make_app()
    async with started(app) as client:
        statuses = [await _deliver_raw(client, text), await _deliver_raw(client, document)]
        await settle(app)
        stored = await inbound(app, "telegram")
        names = await rows(app, "SELECT display_name FROM contacts")
        replies = await outbound(app)
    assert statuses == [200, 200]
    assert [m.text for m in stored] == ["How long does shipping take?\ufffd",
                                        "the invoice\ufffd"]
    assert stored[0].author_name == "Marta\ufffd Ruiz"
    assert stored[1].attachments[0]["name"] == "invoice\ufffd.pdf"
    assert [n.display_name for n in names] == ["Marta\ufffd Ruiz"]
    assert replies[0].text == "Orders arrive in 2-3 working days."
    assert telegram_api.sent()[0]["text"] == "Orders arrive in 2-3 working days."


async def test_a_body_too_deep_to_decode_is_a_400(make_app: Callable[..., FastAPI]) -> None:
    async with started(make_app()) as client:
        response = await client.post(
            "/webhooks/telegram", content="[" * 100_000 + "]" * 100_000,
            headers={SECRET_HEADER: SECRET, "Content-Type": "application/json"})
    assert response.status_code == 400
