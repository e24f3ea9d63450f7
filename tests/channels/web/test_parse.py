"""The web chat's `parse_message`, pure: the widget's body → `InboundMessage`."""

from __future__ import annotations

import pytest

from relevo.bot.types import InboundMessage
from relevo.channels.web.parse import BadMessage, NewMessage, parse_message


def test_the_client_message_id_is_scoped_to_the_visitor() -> None:
    body = NewMessage(text="  Where is my order?  ", locale="es", client_message_id="c-1")
    parsed = parse_message(body, "visitor-a", max_text_length=100, fallback_id="f")
    assert parsed == InboundMessage(
        channel="web", external_id="visitor-a:c-1", external_user_id="visitor-a",
        text="Where is my order?", locale="es",
    )
    other = parse_message(body, "visitor-b", max_text_length=100, fallback_id="f")
    assert other.external_id == "visitor-b:c-1"


def test_without_a_client_message_id_the_fallback_names_the_message() -> None:
    parsed = parse_message(NewMessage(text="hi"), "v", max_text_length=100, fallback_id="f9")
    assert parsed.external_id == "v:f9"


@pytest.mark.parametrize(
    ("text", "reason"),
    [("   ", "text must not be empty"), ("x" * 11, "text is longer than 10 characters")],
)
def test_empty_or_too_long_text_is_refused_with_the_reason(text: str, reason: str) -> None:
    with pytest.raises(BadMessage, match=reason):
        parse_message(NewMessage(text=text), "v", max_text_length=10, fallback_id="f")
