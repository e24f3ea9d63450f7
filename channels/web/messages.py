"""The web chat's message JSON, built in one place: what `GET /webchat/messages`
returns and what the socket pushes are the same object (ARCHITECTURE.md's web chat
contract), whether the message comes from storage, the outbox or the shopper's post."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from relevo.bot.store.messages import StoredMessage
from relevo.bot.types import Attachment, Author, QuickReply


def message_json(
    message_id: int,
    author: Author,
    text: str,
    created_at: datetime,
    quick_replies: Iterable[QuickReply] = (),
    attachments: Iterable[Attachment] = (),
    *,
    rating_scale: int | None = None,
    feedback: bool = False,
) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "id": message_id,
        "author": {"kind": author.kind.value, "name": author.name},
        "text": text,
        "created_at": created_at.isoformat(),
    }
    choices = [{"title": q.title, "payload": q.payload} for q in quick_replies]
    if choices:
        # Optional: the choices the bot offered, for clients that show buttons.
        payload["quick_replies"] = choices
    files = [{"name": a.name, "content_type": a.content_type, "size": a.size}
             for a in attachments if a.url.startswith("media/")]
    if files:
        # Optional: the files the shopper attached (their names, never a storage path).
        payload["attachments"] = files
    if rating_scale:
        # Optional: a rating question (CSAT). The quick replies are the scores 1..scale;
        # a client may draw stars and a comment box, and send "4" or "4 <comment>".
        payload["rating"] = {"scale": rating_scale}
    if feedback:
        # Optional: a bot answer that takes a vote. A client may show 👍/👎, which send
        # the ordinary message "👍 #<id>" or "👎 #<id>" (bot/feedback.py).
        payload["feedback"] = True
    return payload


def stored_message_json(message: StoredMessage) -> dict[str, Any]:
    rating = (message.meta or {}).get("rating") or {}
    return message_json(message.id, message.author, message.text, message.created_at,
                        _quick_replies(message.meta), message.attachments,
                        rating_scale=rating.get("scale"),
                        feedback=(message.meta or {}).get("feedback") is True)


def _quick_replies(meta: Mapping[str, Any] | None) -> tuple[QuickReply, ...]:
    offered = (meta or {}).get("quick_replies") or ()
    return tuple(QuickReply(q["title"], q["payload"]) for q in offered)


def typing_json(name: str, active: bool) -> dict[str, Any]:
    """The socket's other frame: an operator started or stopped typing. It has no "id",
    so a client that only knows message frames ignores it."""
    return {"event": "typing", "author": {"kind": "operator", "name": name}, "active": active}
