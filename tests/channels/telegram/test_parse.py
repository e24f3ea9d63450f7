"""Telegram's `parse_update`, pure, over recorded updates: what the inbox receives."""

from __future__ import annotations

import pytest

from relevo.bot.types import Attachment, InboundMessage
from relevo.channels.media import MediaPolicy
from relevo.channels.telegram.parse import BadUpdate, parse_update
from tests.channels.support import payload

POLICY = MediaPolicy(10 * 1024 * 1024, ("image/jpeg", "application/pdf"))
CHAT = "418302557"


def test_a_text_message_is_one_inbound_message_keyed_by_update_id() -> None:
    update = payload("telegram/text")
    parsed = parse_update(update, POLICY)
    assert parsed.message == InboundMessage(
        channel="telegram",
        external_id="864201001",
        external_user_id=CHAT,
        text="How long does shipping take?",
        locale="en",
        display_name="Marta Ruiz",
    )
    assert parsed.message.raw == update
    assert parsed.callback_query_id is None
    assert parsed.start_payload is None


def test_the_largest_photo_is_kept_by_reference_with_its_caption() -> None:
    parsed = parse_update(payload("telegram/photo"), POLICY)
    assert parsed.message is not None
    assert parsed.message.text == "The box arrived crushed"
    assert parsed.message.attachments == (
        Attachment(url="telegram-file:AgACAgQAAxkBAAIBN2dQ_large", content_type="image/jpeg",
                   size=84122),
    )


def test_a_refused_file_type_becomes_a_note_and_no_attachment() -> None:
    parsed = parse_update(payload("telegram/document_refused_type"), POLICY)
    assert parsed.message is not None
    assert parsed.message.attachments == ()
    assert parsed.message.text == (
        "[document not kept: files of type application/x-msdownload are not accepted]"
    )


def test_start_with_a_deep_link_keeps_its_payload() -> None:
    parsed = parse_update(payload("telegram/start_deep_link"), POLICY)
    assert parsed.start_payload == "order-10482"
    assert parsed.message is not None and parsed.message.locale == "es"


def test_an_edit_is_marked_and_a_location_is_a_geo_attachment() -> None:
    edited = parse_update(payload("telegram/edited_message"), POLICY)
    assert edited.message is not None
    assert edited.message.text == "[edited] How long does shipping to Canarias take?"
    located = parse_update(payload("telegram/location"), POLICY)
    assert located.message is not None
    assert located.message.text == "[location] 40.416775, -3.703790"
    assert located.message.attachments == (
        Attachment(url="geo:40.416775,-3.703790", content_type="geo"),
    )


def test_a_shared_own_contact_card_vouches_for_the_number() -> None:
    parsed = parse_update(payload("telegram/contact_own"), POLICY)
    assert parsed.shared_phone == "+34600111222"
    other = payload("telegram/contact_own")
    other["message"]["contact"]["user_id"] = 999
    assert parse_update(other, POLICY).shared_phone is None


def test_a_button_tap_is_the_payload_as_text_and_the_query_to_answer() -> None:
    parsed = parse_update(payload("telegram/callback_query"), POLICY)
    assert parsed.callback_query_id == "1796552003466812160"
    assert parsed.message is not None
    assert (parsed.message.text, parsed.message.external_id) == ("fast_charging", "864201008")


@pytest.mark.parametrize("name", ["telegram/group_message", "telegram/my_chat_member"])
def test_updates_for_no_shopper_give_the_inbox_nothing(name: str) -> None:
    parsed = parse_update(payload(name), POLICY)
    assert parsed.message is None
    assert parsed.callback_query_id is None


@pytest.mark.parametrize(
    "update",
    [{}, {"update_id": "1"}, {"update_id": True}, {"update_id": 1, "message": []},
     {"update_id": 1, "message": {"chat": {"id": 5, "type": "private"}, "text": 7}}],
)
def test_what_is_not_an_update_is_refused(update: dict[str, object]) -> None:
    with pytest.raises(BadUpdate):
        parse_update(update, POLICY)
