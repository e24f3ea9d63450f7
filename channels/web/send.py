"""Sending to a web chat visitor: push the stored message to their open sockets.

The message is already readable by polling (`GET /webchat/messages`), so a visitor
with no socket open loses nothing: it is then `sent`, not `delivered`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from relevo.bot.types import (
    AuthorKind,
    DeliveryStatus,
    OutboundMessage,
    QuickReply,
    SendResult,
)
from relevo.channels.web.hub import WebChatHub
from relevo.channels.web.parse import NAME


def message_json(
    message_id: int,
    author_kind: AuthorKind,
    author_name: str | None,
    text: str,
    created_at: datetime | None,
    quick_replies: tuple[QuickReply, ...] = (),
) -> dict[str, Any]:
    """A message as the widget reads it from the socket (the polling shape)."""
    payload: dict[str, Any] = {
        "id": message_id,
        "author": {"kind": author_kind.value, "name": author_name},
        "text": text,
        "created_at": (created_at or datetime.now(UTC)).isoformat(),
    }
    if quick_replies:
        payload["quick_replies"] = [{"title": q.title, "payload": q.payload} for q in quick_replies]
    return payload


class WebChannel:
    """Needs no client of its own: the hub is this process's open sockets."""

    name = NAME

    def __init__(self, hub: WebChatHub) -> None:
        self._hub = hub

    async def send(self, message: OutboundMessage) -> SendResult:
        payload = message_json(
            message.message_id,
            message.author.kind,
            message.author.name,
            message.text,
            message.created_at,
            message.quick_replies,
        )
        pushed = self._hub.push(message.recipient, payload)
        return SendResult(
            external_id=None,
            status=DeliveryStatus.DELIVERED if pushed else DeliveryStatus.SENT,
        )
