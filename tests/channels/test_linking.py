"""One history across channels: a one-time code sent on the known channel, or a phone
number a provider vouched for, links a shopper's contacts. On SQLite and PostgreSQL,
through the real SDKs and the fake provider APIs."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from relevo.app import create_app
from relevo.app.settings import Settings
from tests.channels.support import operator_reply, payload, rows, settle
from tests.channels.telegram.support import SECRET, TOKEN
from tests.channels.whatsapp.support import PUBLIC, post, text
from tests.conftest import started
from tests.fakes.nlu import shop_kb, shop_nlu
from tests.fakes.telegram_api import FakeTelegram
from tests.fakes.twilio_api import ACCOUNT_SID, AUTH_TOKEN, SENDER, FakeTwilio


@pytest.fixture
def fakes() -> Iterator[tuple[FakeTelegram, FakeTwilio]]:
    with FakeTelegram.running(TOKEN) as telegram, FakeTwilio.running() as twilio:
        yield telegram, twilio


@pytest.fixture
def app(
    make_settings: Callable[..., Settings], fakes: tuple[FakeTelegram, FakeTwilio],
    tmp_path: Path,
) -> FastAPI:
    telegram, twilio = fakes
    settings = make_settings(
        telegram={"api_base_url": telegram.base_url, "bot_token": TOKEN,
                  "chat_messages_per_second": 1000.0},
        twilio={"api_base_url": twilio.base_url, "account_sid": ACCOUNT_SID,
                "auth_token": AUTH_TOKEN, "whatsapp_from": SENDER, "public_base_url": PUBLIC,
                "media_dir": str(tmp_path / "media")},
    )
    return create_app(settings, nlu=shop_nlu(), knowledge_base=shop_kb())


async def visitor(client: httpx.AsyncClient) -> dict[str, str]:
    token = (await client.post("/webchat/sessions")).json()["visitor_token"]
    return {"Authorization": f"Bearer {token}"}


async def say_on_web(client: httpx.AsyncClient, headers: dict[str, str], words: str) -> None:
    response = await client.post("/webchat/messages", json={"text": words}, headers=headers)
    assert response.status_code == 202


def last_code(twilio: FakeTwilio) -> str:
    found = re.search(r"\b(\d{6})\b", twilio.messages[-1]["Body"])
    assert found is not None, twilio.messages[-1]
    return found.group(1)


async def live_contacts(app: FastAPI) -> list[Any]:
    return await rows(app, "SELECT id FROM contacts WHERE merged_into_id IS NULL")


async def test_a_code_sent_on_whatsapp_and_typed_in_the_web_chat_joins_the_histories(
    app: FastAPI, fakes: tuple[FakeTelegram, FakeTwilio]
) -> None:
    _, twilio = fakes
    async with started(app) as client:
        await post(client, payload("twilio/inbound_text"))  # known on WhatsApp
        await settle(app)
        web = await visitor(client)
        await say_on_web(client, web, "link +34 600 111 222")
        await settle(app)
        code = last_code(twilio)
        assert twilio.messages[-1]["To"] == "whatsapp:+34600111222"
        assert "the web chat" in twilio.messages[-1]["Body"]
        await say_on_web(client, web, code)
        await settle(app)
        history = (await client.get("/webchat/messages", headers=web)).json()["messages"]
        contacts = await live_contacts(app)
        channels = await rows(app, "SELECT DISTINCT channel FROM messages ORDER BY channel")
    texts = [m["text"] for m in history]
    assert "How long does shipping take?" in texts  # written on WhatsApp
    assert "Orders arrive in 2-3 working days." in texts
    assert any("we have just sent a 6-digit code" in t for t in texts)
    assert texts[-1].startswith("Done: your conversations are linked")
    assert len(contacts) == 1
    assert [c.channel for c in channels] == ["web", "whatsapp"]


async def test_after_linking_the_operator_replies_on_the_channel_used_last(
    app: FastAPI, fakes: tuple[FakeTelegram, FakeTwilio]
) -> None:
    _, twilio = fakes
    async with started(app) as client:
        await post(client, payload("twilio/inbound_text"))
        await settle(app)
        web = await visitor(client)
        await say_on_web(client, web, "link +34600111222")
        await settle(app)
        await say_on_web(client, web, last_code(twilio))
        await settle(app)
        await post(client, text("quiero una persona", sid="SM" + "7" * 32))
        await settle(app)
        (conversation,) = await rows(
            app, "SELECT id, channel FROM conversations WHERE state != 'resolved'"
        )
        await operator_reply(app, client, conversation.id, "Hola, soy Lucía.")
        await settle(app)
    assert conversation.channel == "whatsapp"
    # The shopper wrote Spanish: the signature is Spanish too.
    assert twilio.messages[-1]["Body"] == "*Lucía · especialista*\nHola, soy Lucía."


async def test_the_web_chat_api_links_with_a_code_and_never_says_who_is_known(
    app: FastAPI, fakes: tuple[FakeTelegram, FakeTwilio]
) -> None:
    _, twilio = fakes
    async with started(app) as client:
        await post(client, payload("twilio/inbound_text"))
        await settle(app)
        web = await visitor(client)
        unknown = await client.post("/webchat/link", json={"phone": "+34 699 000 000"},
                                    headers=web)
        await settle(app)
        sent_before = len(twilio.messages)
        known = await client.post("/webchat/link", json={"phone": "+34600111222"},
                                  headers=web)
        await settle(app)
        not_it = "000001" if last_code(twilio) == "000000" else "000000"
        wrong = await client.post("/webchat/link/confirm", json={"code": not_it},
                                  headers=web)
        right = await client.post("/webchat/link/confirm", json={"code": last_code(twilio)},
                                  headers=web)
        again = await client.post("/webchat/link/confirm", json={"code": last_code(twilio)},
                                  headers=web)
        anonymous = await client.post("/webchat/link", json={"phone": "+34600111222"})
        contacts = await live_contacts(app)
    assert unknown.status_code == known.status_code == 202
    assert unknown.json() == known.json() == {"status": "sent_if_known"}
    assert len(twilio.messages) == sent_before + 1
    assert wrong.status_code == 400
    assert right.status_code == 200
    assert right.json() == {"linked": True}
    assert again.status_code == 400  # a code works once
    assert anonymous.status_code == 401
    assert len(contacts) == 1


async def test_telegram_links_to_whatsapp_with_a_code_typed_in_the_chat(
    app: FastAPI, fakes: tuple[FakeTelegram, FakeTwilio]
) -> None:
    telegram, twilio = fakes
    update = payload("telegram/text")

    async def on_telegram(words: str, update_id: int) -> None:
        body = update | {"update_id": update_id, "message": update["message"] | {"text": words}}
        response = await client.post("/webhooks/telegram", json=body,
                                     headers={"X-Telegram-Bot-Api-Secret-Token": SECRET})
        assert response.status_code == 200
        await settle(app)

    async with started(app) as client:
        await post(client, payload("twilio/inbound_text"))
        await settle(app)
        await on_telegram("shipping?", 1)
        assert len(await live_contacts(app)) == 2
        await on_telegram("link +34600111222", 2)
        await on_telegram("123456" if last_code(twilio) != "123456" else "654321", 3)
        assert "not right" in telegram.sent()[-1]["text"]
        await on_telegram(last_code(twilio), 4)
        contacts = await live_contacts(app)
        (open_conversation,) = await rows(
            app, "SELECT id, channel FROM conversations WHERE state != 'resolved'"
        )
    assert telegram.sent()[-1]["text"].startswith("Done: your conversations are linked")
    assert "Telegram" in twilio.messages[-1]["Body"]
    assert len(contacts) == 1
    assert open_conversation.channel == "telegram"


async def test_six_digits_with_no_code_pending_are_just_a_message_for_the_bot(
    app: FastAPI, fakes: tuple[FakeTelegram, FakeTwilio]
) -> None:
    async with started(app) as client:
        web = await visitor(client)
        await say_on_web(client, web, "482913")
        await settle(app)
        history = (await client.get("/webchat/messages", headers=web)).json()["messages"]
    assert app.state.relevo.nlu.calls == ["482913"]
    assert "linked" not in history[-1]["text"]


async def test_a_phone_telegram_vouches_for_merges_with_the_whatsapp_contact(
    app: FastAPI, fakes: tuple[FakeTelegram, FakeTwilio]
) -> None:
    async with started(app) as client:
        await post(client, payload("twilio/inbound_text"))
        await settle(app)
        shared = await client.post("/webhooks/telegram", json=payload("telegram/contact_own"),
                                   headers={"X-Telegram-Bot-Api-Secret-Token": SECRET})
        await settle(app)
        contacts = await live_contacts(app)
        identities = await rows(app, "SELECT channel, contact_id FROM identities ORDER BY channel")
        phone = await rows(app, "SELECT phone FROM contacts WHERE merged_into_id IS NULL")
    assert shared.status_code == 200
    assert len(contacts) == 1
    assert [i.channel for i in identities] == ["telegram", "whatsapp"]
    assert len({i.contact_id for i in identities}) == 1
    assert phone[0].phone == "+34600111222"


async def test_someone_elses_card_shared_on_telegram_links_nothing(
    app: FastAPI, fakes: tuple[FakeTelegram, FakeTwilio]
) -> None:
    card = payload("telegram/contact_own")
    card["message"]["contact"]["user_id"] = 99
    async with started(app) as client:
        await post(client, payload("twilio/inbound_text"))
        await client.post("/webhooks/telegram", json=card,
                          headers={"X-Telegram-Bot-Api-Secret-Token": SECRET})
        await settle(app)
        contacts = await live_contacts(app)
    assert len(contacts) == 2
