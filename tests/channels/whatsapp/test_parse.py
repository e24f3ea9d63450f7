"""Twilio's WhatsApp forms, parsed purely, over recorded payloads."""

from __future__ import annotations

import pytest

from relevo.bot.types import Attachment, DeliveryStatus, InboundMessage
from relevo.channels.whatsapp.parse import BadRequest, MediaRef, parse_inbound, parse_status
from tests.channels.support import payload


def test_a_text_message_is_keyed_by_message_sid_from_the_sender_address() -> None:
    form = payload("twilio/inbound_text")
    parsed = parse_inbound(form)
    assert parsed.message == InboundMessage(
        channel="whatsapp",
        external_id="SM5b2f4e8a1c9d7e3f6a0b2c4d8e1f3a5b",
        external_user_id="whatsapp:+34600111222",
        text="How long does shipping take?",
        display_name="Marta Ruiz",
    )
    assert parsed.message.raw == form
    assert (parsed.to, parsed.phone, parsed.media, parsed.keyword) == (
        "whatsapp:+14155238886", "+34600111222", (), None,
    )


def test_media_are_references_to_fetch_next() -> None:
    form = payload("twilio/inbound_image")
    parsed = parse_inbound(form)
    assert parsed.media == (MediaRef(form["MediaUrl0"], "image/jpeg"),)
    assert parsed.message.attachments == ()
    assert parsed.message.text == "The box arrived crushed"


def test_a_location_is_text_and_a_geo_attachment() -> None:
    parsed = parse_inbound(payload("twilio/inbound_location"))
    assert parsed.message.text == "[location: Puerta del Sol] 40.416775, -3.703790"
    assert parsed.message.attachments == (
        Attachment(url="geo:40.416775,-3.703790", content_type="geo"),
    )


def test_a_one_word_body_is_a_keyword_upper_cased() -> None:
    assert parse_inbound(payload("twilio/inbound_text", Body="stop")).keyword == "STOP"


@pytest.mark.parametrize(
    "changes",
    [{"MessageSid": ""}, {"MessageSid": "XX1"}, {"From": "+34600111222"}, {"NumMedia": "x"},
     {"NumMedia": "11"}, {"NumMedia": "1"}],
)
def test_missing_or_malformed_fields_are_refused(changes: dict[str, str]) -> None:
    with pytest.raises(BadRequest):
        parse_inbound(payload("twilio/inbound_text", **changes))


def test_status_callbacks_map_to_delivery_statuses() -> None:
    delivered = parse_status(payload("twilio/status_delivered"))
    assert delivered.status == DeliveryStatus.DELIVERED
    undelivered = parse_status(payload("twilio/status_undelivered"))
    assert (undelivered.status, undelivered.error_code) == (DeliveryStatus.FAILED, "63024")
    assert parse_status(payload("twilio/status_delivered", MessageStatus="queued")).status is None
    with pytest.raises(BadRequest):
        parse_status(payload("twilio/status_delivered", MessageStatus="teleported"))
