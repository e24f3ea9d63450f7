"""A WhatsApp message's media (`media`): fetched with the account's credentials,
within the limits."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from fastapi import FastAPI

from tests.channels.support import inbound, payload
from tests.channels.whatsapp.support import (
    JPEG,
    post,
)
from tests.conftest import started
from tests.fakes.twilio_api import FakeTwilio


async def test_media_is_fetched_with_the_account_credentials_within_the_limits(
    make_app: Callable[..., FastAPI], twilio_api: FakeTwilio, tmp_path: Path
) -> None:
    app = make_app()
    photo = twilio_api.add_media("ME1", JPEG, "image/jpeg")
    huge = twilio_api.add_media("ME2", b"\x00" * 1_500_000, "image/jpeg")
    image = payload("twilio/inbound_image")
    async with started(app) as client:
        await post(client, image | {"MediaUrl0": photo})
        await post(client, image | {"MediaUrl0": huge, "MessageSid": "MM" + "1" * 32})
        await post(client, image | {"MediaUrl0": photo, "MessageSid": "MM" + "2" * 32,
                                    "MediaContentType0": "application/x-msdownload"})
        gone = twilio_api.add_media("ME3", b"", "image/jpeg").replace("ME3", "ME404")
        await post(client, image | {"MediaUrl0": gone, "MessageSid": "MM" + "3" * 32})
        stored = await inbound(app, "whatsapp")
    kept, too_large, refused, unavailable = stored
    (attachment,) = kept.attachments
    assert attachment["content_type"] == "image/jpeg"
    assert attachment["size"] == len(JPEG)
    assert (tmp_path / "media" / attachment["name"]).read_bytes() == JPEG
    assert kept.text == "The box arrived crushed"
    assert too_large.attachments is None
    assert "[attachment not kept: 1.4 MB is over the 1.0 MB limit]" in too_large.text
    assert "application/x-msdownload are not accepted" in refused.text
    assert unavailable.attachments == [
        {"url": gone, "content_type": "image/jpeg", "name": None, "size": None}
    ]
