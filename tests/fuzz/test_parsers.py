"""The channels' pure parsers, on any input: a well-typed value or the parse error each
one declares, never another exception (which the webhook would answer with a 500)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from relevo.bot.types import Attachment, InboundMessage
from relevo.channels.media import MediaPolicy
from relevo.channels.slack.blocks import TransferRequest, parse_transfer
from relevo.channels.slack.channel import parse_body
from relevo.channels.telegram.parse import BadUpdate, parse_update
from relevo.channels.web.parse import BadMessage, NewMessage, parse_message
from relevo.channels.whatsapp.parse import BadRequest, parse_inbound, parse_status
from tests.fuzz.providers import (
    SLACK_INTERACTIONS,
    TWILIO_INBOUND,
    TWILIO_STATUS,
    telegram_updates,
    transfer_metadata,
    twilio_forms,
)
from tests.fuzz.strategies import ALPHABETS, mangled, texts, wrong_values
from tests.fuzz.tally import Tally

POLICY = MediaPolicy(10 * 1024 * 1024, ("image/jpeg", "image/png", "application/pdf"))


def well_typed(message: InboundMessage) -> None:
    """What the inbox and the database rely on: the declared types, whatever came in."""
    for value in (message.channel, message.external_id, message.external_user_id,
                  message.text):
        assert isinstance(value, str), message
    for value in (message.locale, message.display_name):
        assert value is None or isinstance(value, str), message
    for attachment in message.attachments:
        assert isinstance(attachment, Attachment)
        assert isinstance(attachment.url, str) and isinstance(attachment.content_type, str)
        assert attachment.name is None or isinstance(attachment.name, str), attachment
        assert attachment.size is None or type(attachment.size) is int, attachment


def run(tally: Tally, surface: str, parse: Callable[[], Any],
        declared: tuple[type[Exception], ...]) -> Any:
    """`parse()`, counted; None for a declared refusal; any other exception fails."""
    try:
        result = parse()
    except declared:
        tally.record(surface, failed=False)
        return None
    except Exception as error:
        tally.crashed(surface, error)
        raise
    tally.record(surface, failed=False)
    return result


@pytest.mark.parametrize("alphabet", ALPHABETS)
@given(data=st.data())
def test_telegram_parse_update(alphabet: str, tally: Tally, data: st.DataObject) -> None:
    update = data.draw(st.one_of(telegram_updates(alphabet),
                                 st.dictionaries(texts(alphabet), wrong_values(alphabet))))
    parsed = run(tally, "parse telegram update", lambda: parse_update(update, POLICY),
                 (BadUpdate,))
    if parsed is not None and parsed.message is not None:
        well_typed(parsed.message)
        assert parsed.message.external_id == str(update["update_id"])


@pytest.mark.parametrize("alphabet", ALPHABETS)
@given(data=st.data())
def test_twilio_parse_inbound_and_status(
    alphabet: str, tally: Tally, data: st.DataObject
) -> None:
    form = data.draw(st.one_of(
        twilio_forms(TWILIO_INBOUND + TWILIO_STATUS, alphabet, media="https://api.twilio.com/m"),
        st.dictionaries(texts(alphabet), texts(alphabet)),
    ))
    inbound = run(tally, "parse twilio inbound", lambda: parse_inbound(form), (BadRequest,))
    if inbound is not None:
        well_typed(inbound.message)
        assert inbound.message.external_id == form["MessageSid"].strip()
    run(tally, "parse twilio status", lambda: parse_status(form), (BadRequest,))


@pytest.mark.parametrize("alphabet", ALPHABETS)
@given(data=st.data())
def test_web_chat_message(alphabet: str, tally: Tally, data: st.DataObject) -> None:
    body = data.draw(st.one_of(
        st.fixed_dictionaries({"text": texts(alphabet)}, optional={
            "locale": texts(alphabet, max_size=8), "client_message_id": texts(alphabet)}),
        st.dictionaries(texts(alphabet), wrong_values(alphabet)),
    ))

    def parse() -> InboundMessage:
        return parse_message(NewMessage.model_validate(body), "visitor-1",
                             max_text_length=4000, fallback_id="m-1")

    message = run(tally, "parse web chat message", parse, (ValidationError, BadMessage))
    if message is not None:
        well_typed(message)


@pytest.mark.parametrize("alphabet", ALPHABETS)
@given(data=st.data())
def test_slack_bodies_and_transfer_dialog(
    alphabet: str, tally: Tally, data: st.DataObject
) -> None:
    body = data.draw(texts(alphabet, max_size=200), label="body")
    content_type = data.draw(st.sampled_from(["application/json",
                                              "application/x-www-form-urlencoded", ""]))
    run(tally, "parse slack body", lambda: parse_body(body, content_type), (ValueError,))
    template = dict(SLACK_INTERACTIONS[1])
    template["view"] = {**template["view"],
                        "private_metadata": transfer_metadata(7, "C0SUPPORT01", "1.2")}
    submitted = data.draw(st.one_of(mangled(template, alphabet),
                                    st.dictionaries(texts(alphabet), wrong_values(alphabet))))
    view = submitted.get("view")
    if isinstance(view, dict):
        request = run(tally, "parse slack transfer dialog", lambda: parse_transfer(view),
                      (ValueError,))
        if request is not None:
            assert isinstance(request, TransferRequest)
            assert type(request.conversation_id) is int
            for value in (request.pool_kind, request.note, request.channel, request.thread_ts):
                assert value is None or isinstance(value, str), request
