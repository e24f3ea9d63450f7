"""No credential reaches a log line, whoever logs it."""

from __future__ import annotations

import logging

import pytest

from relevo.bot.logs import JsonFormatter, redact


@pytest.mark.parametrize(
    ("line", "secret"),
    [
        ('"WebSocket /webchat/ws?token=abc123DEF" [accepted]', "abc123DEF"),
        ("Authorization: Bearer s3cr3t-visitor", "s3cr3t-visitor"),
        ("POST https://api.telegram.org/bot123456:AAH-xyz_987/sendMessage", "AAH-xyz_987"),
        ("calling slack with xoxb-1111-2222-abcdef", "1111-2222-abcdef"),
        ("operator token rlv_0123456789abcdefghijABCDEF", "0123456789abcdefghij"),
        ("url?signature=deadbeef&x=1", "deadbeef"),
    ],
)
def test_credentials_are_redacted(line: str, secret: str) -> None:
    cleaned = redact(line)
    assert secret not in cleaned
    assert "[redacted]" in cleaned


def test_the_json_formatter_redacts_third_party_messages() -> None:
    record = logging.LogRecord(
        "httpx", logging.INFO, __file__, 1, "HTTP Request: GET %s", ("/bot42:SECRET/getMe",),
        None,
    )
    assert "SECRET" not in JsonFormatter().format(record)


def test_ordinary_text_is_left_alone() -> None:
    line = "request POST /webchat/messages 202 in 3.1 ms"
    assert redact(line) == line
