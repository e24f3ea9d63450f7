"""Operator authentication: API tokens (Bearer), console sessions (cookie), passwords.

Passwords are hashed with Argon2id (argon2-cffi), off the event loop (the server on
`passwords.PasswordHashing`'s own threads). Tokens and session ids are stored only as
SHA-256 hashes. A password change ends every console session of the operator.
"""

from __future__ import annotations

import asyncio
import secrets
from datetime import datetime, timedelta

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.ext.asyncio import AsyncConnection

from relevo.bot.store.contacts import hash_token
from relevo.bot.store.schema import console_sessions

MIN_PASSWORD_LENGTH = 10
HASHER = PasswordHasher()


def check_password_strength(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValueError(f"the password needs at least {MIN_PASSWORD_LENGTH} characters")


def check_password(password_hash: str, password: str) -> bool:
    """Blocking (~0.2 s of CPU): run it on `PasswordHashing`'s threads."""
    try:
        return HASHER.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


async def hash_password(password: str) -> str:
    """For one-off commands (the CLI); the server hashes on `PasswordHashing`."""
    check_password_strength(password)
    return await asyncio.to_thread(HASHER.hash, password)


async def create_session(
    conn: AsyncConnection, operator_id: int, *, now: datetime, ttl: timedelta
) -> str:
    token = secrets.token_urlsafe(32)
    await conn.execute(
        sa.insert(console_sessions).values(
            token_hash=hash_token(token), operator_id=operator_id, created_at=now,
            expires_at=now + ttl,
        )
    )
    return token


async def session_operator(conn: AsyncConnection, token: str, *, now: datetime) -> int | None:
    row = (
        await conn.execute(
            sa.select(console_sessions.c.operator_id, console_sessions.c.expires_at).where(
                console_sessions.c.token_hash == hash_token(token)
            )
        )
    ).first()
    if row is None or row.expires_at <= now:
        return None
    return int(row.operator_id)


async def end_session(conn: AsyncConnection, token: str) -> None:
    await conn.execute(
        sa.delete(console_sessions).where(console_sessions.c.token_hash == hash_token(token))
    )


async def end_sessions_of(conn: AsyncConnection, operator_id: int) -> int:
    """End every console session of an operator (their password changed); how many."""
    result = await conn.execute(
        sa.delete(console_sessions).where(console_sessions.c.operator_id == operator_id)
    )
    return int(result.rowcount or 0)
