"""Linking contacts across channels: verified addresses, one-time codes, merges."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from relevo.bot.store.schema import (
    contacts,
    conversations,
    identities,
    link_codes,
    messages,
    verified_addresses,
)

OPEN_STATE_RANK = {"bot": 0, "queued": 1, "assigned": 2}


# A phone number → (channel, external_user_id) of that channel's identity for it.
PhoneIdentity = Callable[[str], tuple[str, str]]


@dataclass(frozen=True, slots=True)
class Reachable:
    """A contact and where a code can reach them."""

    contact_id: int
    channel: str
    recipient: str


def code_hash(code: str, identity_id: int) -> str:
    return hmac.new(str(identity_id).encode(), code.encode(), hashlib.sha256).hexdigest()


async def identity_of(conn: AsyncConnection, contact_id: int, channel: str) -> tuple[int, str]:
    """(identity id, external user id) of the contact on `channel`, the latest seen."""
    row = (
        await conn.execute(
            sa.select(identities.c.id, identities.c.external_user_id)
            .where(identities.c.contact_id == contact_id, identities.c.channel == channel)
            .order_by(identities.c.last_seen_at.desc().nulls_last(), identities.c.id.desc())
            .limit(1)
        )
    ).one()
    return row.id, row.external_user_id


async def find_by_phone(
    conn: AsyncConnection, phone: str, identities_for: Sequence[PhoneIdentity] = ()
) -> Reachable | None:
    """Who is known by `phone`: a sender on a channel whose users are phone numbers
    (each of `identities_for` names that channel's identity for a number), or a number
    a provider vouched for."""
    for identity_for in identities_for:
        channel, external_user_id = identity_for(phone)
        row = (
            await conn.execute(
                sa.select(identities.c.contact_id, identities.c.external_user_id).where(
                    identities.c.channel == channel,
                    identities.c.external_user_id == external_user_id,
                )
            )
        ).first()
        if row is not None:
            return Reachable(row.contact_id, channel, row.external_user_id)
    row = (
        await conn.execute(
            sa.select(verified_addresses.c.contact_id, verified_addresses.c.source)
            .where(verified_addresses.c.kind == "phone", verified_addresses.c.value == phone)
            .order_by(verified_addresses.c.id)
            .limit(1)
        )
    ).first()
    if row is None:
        return None
    _, recipient = await identity_of(conn, row.contact_id, row.source)
    return Reachable(row.contact_id, row.source, recipient)


async def add_verified(
    conn: AsyncConnection, contact_id: int, kind: str, value: str, source: str, now: datetime
) -> list[int]:
    """Record that `source` vouched for `value` on this contact; returns the other
    contacts vouched for with the same value (the ones to merge with)."""
    existing = (
        await conn.execute(
            sa.select(verified_addresses.c.contact_id).where(
                verified_addresses.c.kind == kind,
                verified_addresses.c.value == value,
                verified_addresses.c.source == source,
            )
        )
    ).scalar_one_or_none()
    if kind == "phone":
        await conn.execute(
            sa.update(contacts).where(contacts.c.id == contact_id, contacts.c.phone.is_(None))
            .values(phone=value)
        )
    if existing is None:
        await conn.execute(
            sa.insert(verified_addresses).values(
                kind=kind, value=value, source=source, contact_id=contact_id, verified_at=now
            )
        )
    elif existing != contact_id:
        await conn.execute(
            sa.update(verified_addresses)
            .where(verified_addresses.c.kind == kind, verified_addresses.c.value == value,
                   verified_addresses.c.source == source)
            .values(contact_id=contact_id, verified_at=now)
        )
    others = await conn.execute(
        sa.select(verified_addresses.c.contact_id).distinct().where(
            verified_addresses.c.kind == kind,
            verified_addresses.c.value == value,
            verified_addresses.c.contact_id != contact_id,
        )
    )
    found = [r[0] for r in others]
    if existing is not None and existing != contact_id:
        found.append(existing)
    return sorted(set(found))


async def codes_sent_since(conn: AsyncConnection, identity_id: int, since: datetime) -> int:
    return (
        await conn.execute(
            sa.select(sa.func.count()).select_from(link_codes).where(
                link_codes.c.identity_id == identity_id, link_codes.c.created_at >= since
            )
        )
    ).scalar_one()


async def add_code(
    conn: AsyncConnection, identity_id: int, target: Reachable, code: str, *,
    now: datetime, ttl: timedelta,
) -> None:
    # A new code replaces any earlier one of this identity.
    await conn.execute(
        sa.update(link_codes)
        .where(link_codes.c.identity_id == identity_id, link_codes.c.used_at.is_(None))
        .values(used_at=now)
    )
    await conn.execute(
        sa.insert(link_codes).values(
            identity_id=identity_id, target_contact_id=target.contact_id,
            target_channel=target.channel, code_hash=code_hash(code, identity_id),
            attempts=0, created_at=now, expires_at=now + ttl,
        )
    )


async def pending_code(
    conn: AsyncConnection, identity_id: int, now: datetime
) -> tuple[int, int, str, int] | None:
    """(code id, target contact, hash, attempts) of the identity's live code."""
    row = (
        await conn.execute(
            sa.select(link_codes.c.id, link_codes.c.target_contact_id, link_codes.c.code_hash,
                      link_codes.c.attempts)
            .where(link_codes.c.identity_id == identity_id, link_codes.c.used_at.is_(None),
                   link_codes.c.expires_at > now)
            .order_by(link_codes.c.id.desc())
            .limit(1)
        )
    ).first()
    return (row.id, row.target_contact_id, row.code_hash, row.attempts) if row else None


async def spend_attempt(conn: AsyncConnection, code_id: int, *, used: bool, now: datetime,
                        burn: bool = False) -> None:
    values: dict[str, object] = {"attempts": link_codes.c.attempts + 1}
    if used or burn:
        values["used_at"] = now
    await conn.execute(sa.update(link_codes).where(link_codes.c.id == code_id).values(**values))


async def has_web_identity(conn: AsyncConnection, contact_id: int) -> bool:
    found = await conn.execute(
        sa.select(identities.c.id).where(
            identities.c.contact_id == contact_id, identities.c.channel == "web"
        ).limit(1)
    )
    return found.first() is not None


async def open_conversation(conn: AsyncConnection, contact_id: int) -> tuple[int, str] | None:
    row = (
        await conn.execute(
            sa.select(conversations.c.id, conversations.c.state).where(
                conversations.c.contact_id == contact_id, conversations.c.state != "resolved"
            )
        )
    ).first()
    return (row.id, row.state) if row else None


async def latest_conversation(conn: AsyncConnection, contact_id: int) -> int | None:
    found = (
        await conn.execute(
            sa.select(sa.func.max(conversations.c.id)).where(
                conversations.c.contact_id == contact_id
            )
        )
    ).scalar_one_or_none()
    return int(found) if found is not None else None


async def move_messages(conn: AsyncConnection, from_conversation: int, to_conversation: int
                        ) -> None:
    await conn.execute(
        sa.update(messages).where(messages.c.conversation_id == from_conversation)
        .values(conversation_id=to_conversation)
    )


async def absorb_contact(conn: AsyncConnection, *, keep: int, absorb: int) -> None:
    """Everything of `absorb` now belongs to `keep` (its open conversation, if any, must
    have been closed first: one open conversation per contact)."""
    for table in (identities, conversations, messages, verified_addresses):
        await conn.execute(
            sa.update(table).where(table.c.contact_id == absorb).values(contact_id=keep)
        )
    await conn.execute(
        sa.update(link_codes).where(link_codes.c.target_contact_id == absorb)
        .values(target_contact_id=keep)
    )
    kept = (await conn.execute(sa.select(contacts).where(contacts.c.id == keep))).one()
    gone = (await conn.execute(sa.select(contacts).where(contacts.c.id == absorb))).one()
    fill = {
        column: getattr(gone, column)
        for column in ("display_name", "locale", "phone", "email")
        if getattr(kept, column) is None and getattr(gone, column) is not None
    }
    if fill:
        await conn.execute(sa.update(contacts).where(contacts.c.id == keep).values(**fill))
    await conn.execute(
        sa.update(contacts).where(contacts.c.id == absorb).values(merged_into_id=keep)
    )


async def survivor_of(conn: AsyncConnection, contact_id: int) -> int:
    """The contact that `contact_id` was merged into (itself when it was not)."""
    for _ in range(10):  # a chain of merges is short
        merged = (
            await conn.execute(
                sa.select(contacts.c.merged_into_id).where(contacts.c.id == contact_id)
            )
        ).scalar_one_or_none()
        if merged is None:
            return contact_id
        contact_id = int(merged)
    return contact_id
