"""Masking a shopper's personal data for operators of external kinds
(`handoff.external_kinds`): enough left to tell two shoppers apart and to recognise a
number the shopper reads out, not enough to contact or identify them outside relevo.

`+34 612 345 672` → `+34 6•• ••• ••2`, `ana.garcia@example.com` → `a•••@example.com`,
`María García López` → `María G. L.`; any other identifier keeps its first and last
character. What the shopper wrote in a message is their own text and is not masked.
"""

from __future__ import annotations

from typing import Any

BULLET = "•"
HIDDEN = BULLET * 3


def mask_phone(value: str) -> str:
    """Digits become bullets except the country code and first digit after it (with a
    leading `+`; else the first digit) and the last; the layout is kept."""
    digits = [i for i, char in enumerate(value) if char.isdigit()]
    if not digits:
        return HIDDEN
    international = "+" in value[: digits[0]]
    head = (3 if international else 1) if len(digits) >= 6 else 0
    shown = set(digits[:head]) | {digits[-1]}
    return "".join(
        BULLET if char.isdigit() and i not in shown else char for i, char in enumerate(value)
    )


def mask_email(value: str) -> str:
    local, at, domain = value.rpartition("@")
    if not at or not local:
        return mask_identifier(value)
    return f"{local[0]}{HIDDEN}@{domain}"


def mask_identifier(value: str) -> str:
    """A phone or e-mail masked as such; anything else keeps its first and last character."""
    text = value.strip()
    if "@" in text:
        return mask_email(text)
    digits = sum(char.isdigit() for char in text)
    if digits >= 5 and digits * 2 >= len(text):
        return mask_phone(text)
    return f"{text[0]}{HIDDEN}{text[-1]}" if len(text) > 2 else HIDDEN


def mask_name(value: str) -> str:
    """The first name and initials: what an operator needs to greet the shopper."""
    words = value.split()
    if not words:
        return value
    if "@" in value or sum(char.isdigit() for char in value) >= 5:
        return mask_identifier(value)  # a number or an address used as a name
    return " ".join([words[0], *(f"{word[0]}." for word in words[1:])])


def _optional(mask: Any, value: Any) -> Any:
    return mask(value) if isinstance(value, str) and value else value


def masked_contact(contact: dict[str, Any] | None) -> dict[str, Any] | None:
    """The contact as the console API shows it (`handoff.store.contact_info`), masked."""
    if contact is None:
        return None
    return {
        **contact,
        "display_name": _optional(mask_name, contact.get("display_name")),
        "email": _optional(mask_email, contact.get("email")),
        "phone": _optional(mask_phone, contact.get("phone")),
        "channels": [
            {**channel,
             "external_user_id": _optional(mask_identifier, channel.get("external_user_id")),
             "display_name": _optional(mask_name, channel.get("display_name"))}
            for channel in contact.get("channels", [])
        ],
    }


def masked_messages(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Messages with the shopper's display name (their author name) masked."""
    return [
        {**message, "author": {**message["author"],
                               "name": _optional(mask_name, message["author"].get("name"))}}
        if message["author"].get("kind") == "shopper" else message
        for message in messages
    ]
