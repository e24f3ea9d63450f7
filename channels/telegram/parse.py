"""Telegram updates (Bot API JSON) → `InboundMessage`. Pure: no I/O.

One private chat is one shopper: `external_user_id` is the chat id (where replies
go) and `external_id` the `update_id` (the dedupe key, so Telegram's redeliveries
and polling restarts store nothing twice). Group chats and update types relevo
does not handle are acknowledged and ignored.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TypeGuard

from relevo.bot.text import language_of
from relevo.bot.types import Attachment, InboundMessage
from relevo.channels.media import MediaPolicy, refusal_note

NAME = "telegram"

# What `relevo telegram set-webhook` and polling ask Telegram for.
ALLOWED_UPDATES = ("message", "edited_message", "callback_query")

# Media sent as files: (update key, what to call it, default MIME type).
_FILES = (
    ("document", "document", "application/octet-stream"),
    ("video", "video", "video/mp4"),
    ("audio", "audio file", "audio/mpeg"),
    ("voice", "voice message", "audio/ogg"),
    ("video_note", "video message", "video/mp4"),
    ("animation", "animation", "video/mp4"),
)
_LANGUAGE = re.compile(r"[a-z]{2,3}")  # ISO 639
_START = re.compile(r"^/start(?:@\w+)?(?:\s+(?P<payload>\S+))?\s*$")


class BadUpdate(ValueError):
    """Not a Telegram update (missing or mistyped fields): HTTP 400."""


@dataclass(frozen=True, slots=True)
class ParsedUpdate:
    update_id: int
    message: InboundMessage | None = None  # None: nothing for the inbox
    callback_query_id: str | None = None
    start_payload: str | None = None
    shared_phone: str | None = None  # the shopper shared their own number


def parse_update(data: Mapping[str, Any], policy: MediaPolicy) -> ParsedUpdate:
    update_id = data.get("update_id")
    if not _is_id(update_id):
        raise BadUpdate("update_id: a 64-bit integer is required")
    if "callback_query" in data:
        return _callback(update_id, _mapping(data, "callback_query"), data)
    edited = "edited_message" in data
    if edited or "message" in data:
        key = "edited_message" if edited else "message"
        return _message(update_id, _mapping(data, key), data, policy, edited=edited)
    return ParsedUpdate(update_id)


def _message(
    update_id: int,
    message: Mapping[str, Any],
    raw: Mapping[str, Any],
    policy: MediaPolicy,
    *,
    edited: bool,
) -> ParsedUpdate:
    chat = _mapping(message, "chat")
    sender = _optional(message, "from")
    if chat.get("type") != "private" or not _is_id(chat.get("id")):
        return ParsedUpdate(update_id)
    parts: list[str] = []
    attachments: list[Attachment] = []
    text = message.get("text") or message.get("caption") or ""
    if not isinstance(text, str):
        raise BadUpdate("message.text: a string is required")
    if text:
        parts.append(text)
    _photo(message, policy, parts, attachments)
    _files(message, policy, parts, attachments)
    shared_phone = _location_and_contact(message, sender, parts, attachments)
    if "sticker" in message:
        sticker = message["sticker"]
        parts.append(_text(sticker.get("emoji") if isinstance(sticker, Mapping) else None)
                     or "[sticker]")
    if not parts:
        parts.append("[a message type relevo does not show]")
    body = "\n".join(parts)
    start = _START.match(text) if text and not edited else None
    inbound = InboundMessage(
        channel=NAME,
        external_id=str(update_id),
        external_user_id=str(chat["id"]),
        text=f"[edited] {body}" if edited else body,
        locale=_locale(sender),
        display_name=_name(sender),
        attachments=tuple(attachments),
        raw=raw,
    )
    return ParsedUpdate(
        update_id,
        inbound,
        start_payload=(start.group("payload") or "") if start else None,
        shared_phone=shared_phone,
    )


def _photo(
    message: Mapping[str, Any],
    policy: MediaPolicy,
    parts: list[str],
    attachments: list[Attachment],
) -> None:
    sizes = message.get("photo")
    files = [s for s in sizes if isinstance(s, Mapping)] if isinstance(sizes, list) else []
    if not files:
        return
    largest = max(files, key=lambda s: (_whole(s.get("width")) or 0)
                  * (_whole(s.get("height")) or 0))
    _keep(largest, "image/jpeg", "photo", None, policy, parts, attachments)


def _files(
    message: Mapping[str, Any],
    policy: MediaPolicy,
    parts: list[str],
    attachments: list[Attachment],
) -> None:
    for key, what, default_type in _FILES:
        file = message.get(key)
        if isinstance(file, Mapping):
            content_type = _text(file.get("mime_type")) or default_type
            _keep(file, content_type, what, _text(file.get("file_name")), policy, parts,
                  attachments)
            return  # Telegram fills `document` too for animations: one file per message


def _keep(
    file: Mapping[str, Any],
    content_type: str,
    what: str,
    name: str | None,
    policy: MediaPolicy,
    parts: list[str],
    attachments: list[Attachment],
) -> None:
    file_id = file.get("file_id")
    if not isinstance(file_id, str):
        raise BadUpdate(f"{what}.file_id: a string is required")
    size = _whole(file.get("file_size"))
    reason = policy.refusal(content_type, size)
    if reason is not None:
        parts.append(refusal_note(what, reason))
        return
    # A reference, not a URL: the download URL would contain the bot token.
    attachments.append(
        Attachment(url=f"telegram-file:{file_id}", content_type=content_type, name=name, size=size)
    )
    if not parts:
        parts.append(f"[{what}]")


def _location_and_contact(
    message: Mapping[str, Any],
    sender: Mapping[str, Any],
    parts: list[str],
    attachments: list[Attachment],
) -> str | None:
    location = message.get("location")
    if isinstance(location, Mapping):
        lat = _degrees(location.get("latitude"), 90)
        lon = _degrees(location.get("longitude"), 180)
        if lat is None or lon is None:
            raise BadUpdate("location: latitude and longitude are required, in degrees")
        venue = message.get("venue")
        title = _text(venue.get("title")) if isinstance(venue, Mapping) else None
        parts.append(f"[location{': ' + title if title else ''}] {lat:.6f}, {lon:.6f}")
        attachments.append(Attachment(url=f"geo:{lat:.6f},{lon:.6f}", content_type="geo"))
    contact = message.get("contact")
    if not isinstance(contact, Mapping):
        return None
    number = _text(contact.get("phone_number")) or ""
    phone = normalise_phone(number)
    parts.append(f"[contact] {phone or number}")
    # Telegram vouches for the number only when the shopper shares their own card.
    own = contact.get("user_id") is not None and contact.get("user_id") == sender.get("id")
    return phone if own else None


def _callback(
    update_id: int, query: Mapping[str, Any], raw: Mapping[str, Any]
) -> ParsedUpdate:
    query_id = query.get("id")
    if not isinstance(query_id, str):
        raise BadUpdate("callback_query.id: a string is required")
    sender = _optional(query, "from")
    message = query.get("message")
    chat = message.get("chat") if isinstance(message, Mapping) else None
    payload = _text(query.get("data"))
    if not isinstance(chat, Mapping) or chat.get("type") != "private" or not payload \
            or not _is_id(chat.get("id")):
        return ParsedUpdate(update_id, callback_query_id=query_id)
    inbound = InboundMessage(
        channel=NAME,
        external_id=str(update_id),
        external_user_id=str(chat["id"]),
        text=payload,
        locale=_locale(sender),
        display_name=_name(sender),
        raw=raw,
    )
    return ParsedUpdate(update_id, inbound, callback_query_id=query_id)


def normalise_phone(value: str) -> str | None:
    """E.164 (`+` and digits) or None. Telegram sends numbers without the `+`."""
    digits = re.sub(r"[\s().-]", "", value)
    digits = digits[1:] if digits.startswith("+") else digits
    if not re.fullmatch(r"[1-9][0-9]{6,14}", digits):
        return None
    return "+" + digits


def _mapping(data: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = data.get(key)
    if not isinstance(value, Mapping):
        raise BadUpdate(f"{key}: an object is required")
    return value


def _optional(data: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = data.get(key)
    return value if isinstance(value, Mapping) else {}


def _locale(sender: Mapping[str, Any]) -> str | None:
    """The language of the sender's client, when it names one (`en`, `pt-br` → `pt`)."""
    code = sender.get("language_code")
    language = language_of(code) if isinstance(code, str) else None
    return language if language and _LANGUAGE.fullmatch(language) else None


def _name(sender: Mapping[str, Any]) -> str | None:
    name = " ".join(str(sender[k]) for k in ("first_name", "last_name") if sender.get(k))
    return name[:200] or None


# Telegram's JSON has fixed types; anything else in a field is treated as absent (or
# refused, where the field is required), never passed on to the core as it came.


def _is_int(value: Any) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_id(value: Any) -> TypeGuard[int]:
    """A Telegram id: 64-bit signed, as the Bot API promises (a longer one would not
    even fit the columns its text goes to)."""
    return _is_int(value) and -(2**63) <= value < 2**63


def _whole(value: Any) -> int | None:
    return value if _is_int(value) else None


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _degrees(value: Any, limit: int) -> float | None:
    """A coordinate within ±`limit` degrees (a huge integer would not even format)."""
    if not isinstance(value, int | float) or isinstance(value, bool):
        return None
    try:
        degrees = float(value)
    except OverflowError:
        return None
    return degrees if -limit <= degrees <= limit else None
