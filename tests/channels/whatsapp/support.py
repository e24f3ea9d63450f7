"""What the WhatsApp tests share: the public URL Twilio calls, the shopper, and
posting a really signed webhook."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import sqlalchemy as sa
from fastapi import FastAPI

from relevo.bot.store.schema import messages
from tests.channels.support import payload
from tests.fakes.twilio_api import sign

PUBLIC = "https://shop.example.com"
INBOUND = "/webhooks/twilio/whatsapp"
STATUS = "/webhooks/twilio/whatsapp/status"
SHOPPER = "whatsapp:+34600111222"
TEMPLATE_SID = "HX" + "0123456789abcdef" * 2
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 2048


async def post(
    client: httpx.AsyncClient,
    form: dict[str, str],
    path: str = INBOUND,
    *,
    signed_url: str | None = None,
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    signature = sign(signed_url or PUBLIC + path, form)
    return await client.post(
        path, data=form, headers={"X-Twilio-Signature": signature, **(headers or {})}
    )


def text(body: str, sid: str = "SM5b2f4e8a1c9d7e3f6a0b2c4d8e1f3a5b") -> dict[str, str]:
    return payload("twilio/inbound_text", Body=body, MessageSid=sid, SmsMessageSid=sid,
                   SmsSid=sid)


async def age_inbound(app: FastAPI, hours: float) -> None:
    """Pretend the shopper's messages were written `hours` ago."""
    async with app.state.relevo.database.write() as conn:
        await conn.execute(
            sa.update(messages).where(messages.c.direction == "inbound")
            .values(created_at=datetime.now(UTC) - timedelta(hours=hours))
        )
