"""The shop's own web chat: one package, the same shape as every channel.

verify (the visitor token names an identity) → parse (pure: the widget's body →
`InboundMessage`) → the core's one callable (`Inbox.accept`), in `routes`. Replies
are pushed to the visitor's open sockets by `WebChannel.send` (`send`, `hub`).
"""

from __future__ import annotations

from relevo.channels.web.config import WebchatSettings
from relevo.channels.web.hub import WebChatHub
from relevo.channels.web.messages import message_json, stored_message_json
from relevo.channels.web.parse import NAME, BadMessage, NewMessage, NewSession, parse_message
from relevo.channels.web.routes import WebChatRoutes, webchat_router
from relevo.channels.web.send import WebChannel
from relevo.channels.web.verify import VisitorSessions, bearer_token

__all__ = [
    "NAME",
    "BadMessage",
    "NewMessage",
    "NewSession",
    "VisitorSessions",
    "WebChannel",
    "WebChatHub",
    "WebChatRoutes",
    "WebchatSettings",
    "bearer_token",
    "message_json",
    "parse_message",
    "stored_message_json",
    "webchat_router",
]
