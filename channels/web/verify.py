"""Who is this visitor? The opaque visitor token (`Authorization: Bearer …` or the
socket's `?token=`), checked once per request, names their identity.

Sessions are stored by the core (`web_sessions`: linking reads them too); a cache
saves a database read on every request.
"""

from __future__ import annotations

from collections import OrderedDict
from datetime import datetime, timedelta

from relevo.bot.clock import Clock, utc_now
from relevo.bot.store import contacts as contact_store
from relevo.bot.store.contacts import IdentityRef
from relevo.bot.store.db import Database


class _SessionCache:
    """token → (identity, expiry)."""

    def __init__(self, size: int = 50_000) -> None:
        self._entries: OrderedDict[str, tuple[IdentityRef, datetime]] = OrderedDict()
        self._size = size

    def get(self, token: str, now: datetime) -> IdentityRef | None:
        entry = self._entries.get(token)
        if entry is None:
            return None
        if entry[1] <= now:
            del self._entries[token]
            return None
        self._entries.move_to_end(token)
        return entry[0]

    def put(self, token: str, identity: IdentityRef, expires_at: datetime) -> None:
        self._entries[token] = (identity, expires_at)
        if len(self._entries) > self._size:
            self._entries.popitem(last=False)


def bearer_token(authorization: str | None) -> str | None:
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


class VisitorSessions:
    def __init__(
        self,
        database: Database,
        ttl: timedelta,
        *,
        clock: Clock = utc_now,
    ) -> None:
        self._db = database
        self._ttl = ttl
        self._clock = clock
        self._cache = _SessionCache()

    async def create(self, locale: str | None) -> str:
        """A new anonymous visitor; returns their token (only its hash is stored)."""
        now = self._clock()
        async with self._db.write() as conn:
            token, identity = await contact_store.create_web_session(
                conn, now=now, ttl=self._ttl, locale=locale
            )
        self._cache.put(token, identity, now + self._ttl)
        return token

    async def identity(self, token: str | None) -> IdentityRef | None:
        """The visitor `token` names, or None (no token, unknown, expired)."""
        if not token:
            return None
        now = self._clock()
        cached = self._cache.get(token, now)
        if cached is not None:
            return cached
        async with self._db.read() as conn:
            found = await contact_store.find_web_session(conn, token, now=now)
        if found is None:
            return None
        self._cache.put(token, *found)
        return found[0]
