"""The web chat's one message JSON: polled (from storage) and pushed (from the outbox)
messages are the same object, quick replies included."""

from __future__ import annotations

from datetime import UTC, datetime

from relevo.bot.store.messages import StoredMessage
from relevo.bot.types import Author, AuthorKind, DeliveryStatus, Direction, QuickReply
from relevo.channels.web import message_json, stored_message_json

AT = datetime(2026, 3, 4, 10, 30, tzinfo=UTC)


def stored(meta: dict[str, object] | None) -> StoredMessage:
    return StoredMessage(
        id=7, conversation_id=1, contact_id=1, direction=Direction.OUTBOUND,
        author=Author(AuthorKind.BOT, "Relevo"), channel="web", text="Which one?",
        locale="en", delivery_status=DeliveryStatus.SENT, created_at=AT, meta=meta,
    )


def test_a_stored_message_with_choices_is_the_pushed_object() -> None:
    choices = (QuickReply("Shipping", "/shipping"), QuickReply("Returns", "/returns"))
    meta = {"quick_replies": [{"title": q.title, "payload": q.payload} for q in choices]}
    polled = stored_message_json(stored(meta))
    assert polled == message_json(7, Author(AuthorKind.BOT, "Relevo"), "Which one?", AT, choices)
    assert polled == {
        "id": 7, "author": {"kind": "bot", "name": "Relevo"}, "text": "Which one?",
        "created_at": "2026-03-04T10:30:00+00:00",
        "quick_replies": [{"title": "Shipping", "payload": "/shipping"},
                          {"title": "Returns", "payload": "/returns"}],
    }


def test_without_choices_there_is_no_quick_replies_key() -> None:
    assert "quick_replies" not in stored_message_json(stored(None))
    assert "quick_replies" not in stored_message_json(stored({"quick_replies": []}))
    assert "quick_replies" not in message_json(7, Author(AuthorKind.BOT), "Hi", AT)
