"""Contacts, their channel identities, and web chat visitor sessions."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from relevo.bot.store.schema import contacts, identities, web_sessions


@dataclass(frozen=True, slots=True)
class IdentityRef:
    identity_id: int
    contact_id: int
    channel: str
    external_user_id: str


_FIND_IDENTITY = sa.select(identities.c.id, identities.c.contact_id).where(
    identities.c.channel == sa.bindparam("channel"),
    identities.c.external_user_id == sa.bindparam("external_user_id"),
)
_RECIPIENT = (
    sa.select(identities.c.external_user_id)
    .where(
        identities.c.contact_id == sa.bindparam("contact_id"),
        identities.c.channel == sa.bindparam("channel"),
    )
    .order_by(identities.c.last_seen_at.desc().nulls_last(), identities.c.id.desc())
    .limit(1)
)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


async def resolve_identity(
    conn: AsyncConnection,
    channel: str,
    external_user_id: str,
    *,
    now: datetime,
    display_name: str | None = None,
    locale: str | None = None,
) -> IdentityRef:
    """The identity (and its contact) for a channel user, created on first sight."""
    found = await _find_identity(conn, channel, external_user_id)
    if found is not None:
        return found
    # A savepoint, so that losing a race with another writer (PostgreSQL) leaves the
    # caller's transaction usable.
    try:
        async with conn.begin_nested():
            contact_id = (
                await conn.execute(
                    sa.insert(contacts)
                    .values(display_name=display_name, locale=locale, tags=[], created_at=now)
                    .returning(contacts.c.id)
                )
            ).scalar_one()
            identity_id = (
                await conn.execute(
                    sa.insert(identities)
                    .values(
                        contact_id=contact_id,
                        channel=channel,
                        external_user_id=external_user_id,
                        display_name=display_name,
                        created_at=now,
                        last_seen_at=now,
                    )
                    .returning(identities.c.id)
                )
            ).scalar_one()
    except IntegrityError:
        found = await _find_identity(conn, channel, external_user_id)
        if found is None:
            raise
        return found
    return IdentityRef(identity_id, contact_id, channel, external_user_id)


async def _find_identity(
    conn: AsyncConnection, channel: str, external_user_id: str
) -> IdentityRef | None:
    row = (
        await conn.execute(
            _FIND_IDENTITY, {"channel": channel, "external_user_id": external_user_id}
        )
    ).first()
    if row is None:
        return None
    return IdentityRef(row.id, row.contact_id, channel, external_user_id)


async def create_web_session(
    conn: AsyncConnection, *, now: datetime, ttl: timedelta, locale: str | None = None
) -> tuple[str, IdentityRef]:
    """A new anonymous visitor: returns the opaque token (only its hash is stored)."""
    token = secrets.token_urlsafe(32)
    visitor_id = secrets.token_hex(16)
    ref = await resolve_identity(conn, "web", visitor_id, now=now, locale=locale)
    await conn.execute(
        sa.insert(web_sessions).values(
            token_hash=hash_token(token),
            identity_id=ref.identity_id,
            created_at=now,
            expires_at=now + ttl,
        )
    )
    return token, ref


async def find_web_session(
    conn: AsyncConnection, token: str, *, now: datetime
) -> tuple[IdentityRef, datetime] | None:
    row = (
        await conn.execute(
            sa.select(
                identities.c.id,
                identities.c.contact_id,
                identities.c.external_user_id,
                web_sessions.c.expires_at,
            )
            .join(identities, identities.c.id == web_sessions.c.identity_id)
            .where(web_sessions.c.token_hash == hash_token(token))
        )
    ).first()
    if row is None or row.expires_at <= now:
        return None
    return IdentityRef(row.id, row.contact_id, "web", row.external_user_id), row.expires_at


async def contact_locale(conn: AsyncConnection, contact_id: int) -> str | None:
    return (
        await conn.execute(sa.select(contacts.c.locale).where(contacts.c.id == contact_id))
    ).scalar_one_or_none()


async def recipient_for(conn: AsyncConnection, contact_id: int, channel: str) -> str | None:
    """The contact's address on `channel`: the identity seen there most recently."""
    return (
        await conn.execute(_RECIPIENT, {"contact_id": contact_id, "channel": channel})
    ).scalar_one_or_none()
