"""Sending to a web chat visitor: push the stored message to their open sockets.

The message is already readable by polling (`GET /webchat/messages`), so a visitor
with no socket open loses nothing: it is then `sent`, not `delivered`.
"""

from __future__ import annotations

from relevo.bot.clock import Clock, utc_now
from relevo.bot.types import (
    DeliveryStatus,
    OutboundMessage,
    SendResult,
)
from relevo.channels.web.hub import WebChatHub
from relevo.channels.web.messages import message_json
from relevo.channels.web.parse import NAME


class WebChannel:
    """Needs no client of its own: the hub is this process's open sockets."""

    name = NAME

    def __init__(self, hub: WebChatHub, *, clock: Clock = utc_now) -> None:
        self._hub = hub
        self._clock = clock

    async def send(self, message: OutboundMessage) -> SendResult:
        payload = message_json(
            message.message_id,
            message.author,
            message.text,
            message.created_at or self._clock(),
            message.quick_replies,
            rating_scale=message.rating_scale,
            feedback=message.feedback,
        )
        pushed = self._hub.push(message.recipient, payload)
        return SendResult(
            external_id=None,
            status=DeliveryStatus.DELIVERED if pushed else DeliveryStatus.SENT,
        )
