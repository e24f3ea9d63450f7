"""Twilio's WhatsApp webhooks (form fields) → relevo values. Pure: no I/O.

Inbound: `MessageSid` (the dedupe key), `From`/`To` (`whatsapp:+E164`), `Body`,
`ProfileName`, `NumMedia` + `MediaUrl{i}`/`MediaContentType{i}`, `Latitude`/
`Longitude` (+ `Address`, `Label`), `ButtonPayload` (a template's quick reply).
Status callbacks: `MessageSid`, `MessageStatus`, `ErrorCode`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from relevo.bot.types import Attachment, DeliveryStatus, InboundMessage

NAME = "whatsapp"

_ADDRESS = re.compile(r"^whatsapp:\+[1-9][0-9]{6,14}$")
_SID = re.compile(r"^(SM|MM)[0-9a-fA-F]{32}$")
MAX_MEDIA = 10  # WhatsApp sends at most one, Twilio documents up to ten
MAX_NAME = 200  # what a contact's display name holds (a WhatsApp profile name is ≤ 25)

# Twilio's MessageStatus → relevo's delivery status (None: nothing to record yet).
STATUSES: dict[str, DeliveryStatus | None] = {
    "accepted": None,
    "scheduled": None,
    "queued": None,
    "sending": None,
    "sent": DeliveryStatus.SENT,
    "delivered": DeliveryStatus.DELIVERED,
    "read": DeliveryStatus.READ,
    "undelivered": DeliveryStatus.FAILED,
    "failed": DeliveryStatus.FAILED,
    "canceled": DeliveryStatus.FAILED,
}


class BadRequest(ValueError):
    """Fields missing or malformed: HTTP 400 with this message."""


@dataclass(frozen=True, slots=True)
class MediaRef:
    url: str
    content_type: str


@dataclass(frozen=True, slots=True)
class ParsedInbound:
    message: InboundMessage  # without the media, fetched next
    to: str
    media: tuple[MediaRef, ...] = ()
    keyword: str | None = None  # the whole body, upper-cased, when it is one word

    @property
    def phone(self) -> str:
        return self.message.external_user_id.removeprefix("whatsapp:")


@dataclass(frozen=True, slots=True)
class ParsedStatus:
    message_sid: str
    status: DeliveryStatus | None
    twilio_status: str
    error_code: str | None


def identity_for_phone(phone: str) -> tuple[str, str]:
    """This channel's identity of the shopper with number `phone` (E.164)."""
    return NAME, f"whatsapp:{phone}"


def parse_inbound(form: Mapping[str, str]) -> ParsedInbound:
    sid = _required(form, "MessageSid")
    if not _SID.match(sid):
        raise BadRequest("MessageSid: not a Twilio message SID")
    sender = _required(form, "From")
    to = _required(form, "To")
    for key, value in (("From", sender), ("To", to)):
        if not _ADDRESS.match(value):
            raise BadRequest(f"{key}: expected whatsapp:+<E.164 number>")
    media = _media(form)
    text = form.get("Body", "").strip()
    parts = [text] if text else []
    payload = form.get("ButtonPayload")
    if payload and not text:
        parts.append(payload)
    attachments: list[Attachment] = []
    if form.get("Latitude") and form.get("Longitude"):
        lat, lon = _coordinate(form, "Latitude"), _coordinate(form, "Longitude")
        label = form.get("Label") or form.get("Address")
        parts.append(f"[location{': ' + label if label else ''}] {lat:.6f}, {lon:.6f}")
        attachments.append(Attachment(url=f"geo:{lat:.6f},{lon:.6f}", content_type="geo"))
    if not parts and not media:
        parts.append("[a message type relevo does not show]")
    message = InboundMessage(
        channel=NAME,
        external_id=sid,
        external_user_id=sender,
        text="\n".join(parts),
        display_name=(form.get("ProfileName") or "")[:MAX_NAME] or None,
        attachments=tuple(attachments),
        raw=dict(form),
    )
    keyword = text.upper() if text and " " not in text and len(text) <= 32 else None
    return ParsedInbound(message, to, media, keyword)


def parse_status(form: Mapping[str, str]) -> ParsedStatus:
    sid = _required(form, "MessageSid")
    raw_status = _required(form, "MessageStatus").lower()
    if raw_status not in STATUSES:
        raise BadRequest(f"MessageStatus: unknown value {raw_status!r}")
    return ParsedStatus(sid, STATUSES[raw_status], raw_status, form.get("ErrorCode") or None)


def _media(form: Mapping[str, str]) -> tuple[MediaRef, ...]:
    try:
        count = int(form.get("NumMedia", "0") or "0")
    except ValueError:
        raise BadRequest("NumMedia: not a number") from None
    if not 0 <= count <= MAX_MEDIA:
        raise BadRequest(f"NumMedia: must be between 0 and {MAX_MEDIA}")
    refs = []
    for index in range(count):
        url = _required(form, f"MediaUrl{index}")
        if not url.startswith(("https://", "http://")):
            raise BadRequest(f"MediaUrl{index}: not a URL")
        refs.append(MediaRef(url, form.get(f"MediaContentType{index}", "")))
    return tuple(refs)


def _coordinate(form: Mapping[str, str], key: str) -> float:
    try:
        return float(form[key])
    except ValueError:
        raise BadRequest(f"{key}: not a number") from None


def _required(form: Mapping[str, str], key: str) -> str:
    value = form.get(key, "").strip()
    if not value:
        raise BadRequest(f"{key}: required")
    return value
