"""The limits of linking by one-time code (`POST /webchat/link` and
`/webchat/link/confirm`): three codes an hour per asker, a code burnt by its fifth
wrong guess, and codes good for ten minutes.

Time passes by ageing the stored codes, as the WhatsApp tests age messages: the
linker keeps its own clock, which the app does not expose.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from fastapi import FastAPI

from relevo.app import create_app
from relevo.app.settings import Settings
from relevo.bot.store.schema import link_codes
from tests.channels.support import payload
from tests.channels.whatsapp.support import PUBLIC, post
from tests.conftest import started
from tests.fakes.nlu import shop_kb, shop_nlu
from tests.fakes.twilio_api import ACCOUNT_SID, AUTH_TOKEN, SENDER, FakeTwilio
from tests.settle import settle

PHONE = "+34600111222"  # the WhatsApp sender of the recorded payload


@pytest.fixture
def twilio_api() -> Iterator[FakeTwilio]:
    with FakeTwilio.running() as fake:
        yield fake


@pytest.fixture
def app(make_settings: Callable[..., Settings], twilio_api: FakeTwilio,
        tmp_path: Path) -> FastAPI:
    settings = make_settings(twilio={
        "api_base_url": twilio_api.base_url, "account_sid": ACCOUNT_SID,
        "auth_token": AUTH_TOKEN, "whatsapp_from": SENDER, "public_base_url": PUBLIC,
        "media_dir": str(tmp_path / "media"),
    })
    return create_app(settings, nlu=shop_nlu(), knowledge_base=shop_kb())


async def known_on_whatsapp_and_a_web_visitor(
    app: FastAPI, client: httpx.AsyncClient
) -> dict[str, str]:
    await post(client, payload("twilio/inbound_text"))
    await settle(app)
    token = (await client.post("/webchat/sessions")).json()["visitor_token"]
    return {"Authorization": f"Bearer {token}"}


async def ask(app: FastAPI, client: httpx.AsyncClient, visitor: dict[str, str]) -> None:
    response = await client.post("/webchat/link", json={"phone": PHONE}, headers=visitor)
    assert response.status_code == 202 and response.json() == {"status": "sent_if_known"}
    await settle(app)


async def confirm(client: httpx.AsyncClient, visitor: dict[str, str], code: str) -> int:
    response = await client.post("/webchat/link/confirm", json={"code": code}, headers=visitor)
    return response.status_code


def codes_sent(twilio: FakeTwilio) -> list[str]:
    return [m["Body"].split(": ")[1][:6] for m in twilio.messages
            if m["To"] == f"whatsapp:{PHONE}" and "code to link" in m["Body"]]


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


async def age_codes(app: FastAPI, by: timedelta) -> None:
    async with app.state.relevo.database.write() as conn:
        for row in (await conn.execute(sa.select(link_codes))).all():
            await conn.execute(
                sa.update(link_codes).where(link_codes.c.id == row.id)
                .values(created_at=row.created_at - by, expires_at=row.expires_at - by)
            )


async def test_at_most_three_codes_an_hour(app: FastAPI, twilio_api: FakeTwilio) -> None:
    async with started(app) as client:
        visitor = await known_on_whatsapp_and_a_web_visitor(app, client)
        for _ in range(4):
            await ask(app, client, visitor)
        in_the_first_hour = len(codes_sent(twilio_api))
        await age_codes(app, timedelta(minutes=59))
        await ask(app, client, visitor)
        still_within_the_hour = len(codes_sent(twilio_api))
        await age_codes(app, timedelta(minutes=2))
        await ask(app, client, visitor)
        an_hour_later = len(codes_sent(twilio_api))
    assert (in_the_first_hour, still_within_the_hour, an_hour_later) == (3, 3, 4)


async def test_four_wrong_guesses_still_leave_the_code_usable(
    app: FastAPI, twilio_api: FakeTwilio
) -> None:
    async with started(app) as client:
        visitor = await known_on_whatsapp_and_a_web_visitor(app, client)
        await ask(app, client, visitor)
        [code] = codes_sent(twilio_api)
        guesses = [await confirm(client, visitor, wrong(code)) for _ in range(4)]
        right = await confirm(client, visitor, code)
    assert guesses == [400] * 4
    assert right == 200


async def test_the_fifth_wrong_guess_burns_the_code(
    app: FastAPI, twilio_api: FakeTwilio
) -> None:
    async with started(app) as client:
        visitor = await known_on_whatsapp_and_a_web_visitor(app, client)
        await ask(app, client, visitor)
        [code] = codes_sent(twilio_api)
        guesses = [await confirm(client, visitor, wrong(code)) for _ in range(5)]
        right_too_late = await confirm(client, visitor, code)
    assert guesses == [400] * 5
    assert right_too_late == 400


@pytest.mark.parametrize(("age", "status"), [
    (timedelta(minutes=9, seconds=50), 200),
    (timedelta(minutes=10, seconds=1), 400),
])
async def test_a_code_is_good_for_ten_minutes(
    app: FastAPI, twilio_api: FakeTwilio, age: timedelta, status: int
) -> None:
    async with started(app) as client:
        visitor = await known_on_whatsapp_and_a_web_visitor(app, client)
        await ask(app, client, visitor)
        [code] = codes_sent(twilio_api)
        await age_codes(app, age)
        answer = await confirm(client, visitor, code)
    assert answer == status
