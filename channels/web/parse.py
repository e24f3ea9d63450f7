"""The widget's request bodies → `InboundMessage`. Pure: no I/O.

`external_id` is the visitor's `client_message_id` scoped to the visitor (two
visitors may pick the same ids), so the inbox's `(channel, external_id)` dedupe makes
a resent message return the first one's ids.
"""

from __future__ import annotations

from pydantic import BaseModel, Field

from relevo.bot.types import Attachment, InboundMessage

NAME = "web"

LOCALE_PATTERN = r"^[A-Za-z]{2,3}([-_][A-Za-z0-9]{2,8})?$"


class NewSession(BaseModel):
    locale: str | None = Field(None, max_length=16, pattern=LOCALE_PATTERN)


class NewMessage(BaseModel):
    text: str = ""
    locale: str | None = Field(None, max_length=16, pattern=LOCALE_PATTERN)
    client_message_id: str | None = Field(None, min_length=1, max_length=100)
    # Optional: ids from POST /webchat/attachments (the visitor's own uploads).
    attachments: list[str] | None = Field(None, max_length=20)


class BadMessage(ValueError):
    """A message the widget must not send (empty, too long): the reason says why."""


def parse_message(
    body: NewMessage, visitor_id: str, *, max_text_length: int, fallback_id: str,
    attachments: tuple[Attachment, ...] = (),
) -> InboundMessage:
    """`fallback_id` names a message sent without a `client_message_id` (the caller
    draws it, so this stays pure); `attachments` are the uploads `body` refers to."""
    text = body.text.strip()
    if not text and not attachments:
        raise BadMessage("text must not be empty")
    if len(text) > max_text_length:
        raise BadMessage(f"text is longer than {max_text_length} characters")
    client_id = body.client_message_id or fallback_id
    return InboundMessage(
        channel=NAME,
        external_id=f"{visitor_id}:{client_id}",
        external_user_id=visitor_id,
        # A file sent alone still reads as something in every list and export.
        text=text or "\n".join(f"[{a.name or 'attachment'}]" for a in attachments),
        locale=body.locale,
        attachments=attachments,
        raw=body.model_dump(),
    )
