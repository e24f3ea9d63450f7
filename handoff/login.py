"""Console log-in and log-out, as the HTTP layer needs them: limits first, then the check.

The order is what keeps a storm cheap. The attempt is counted against the client's
address and the e-mail tried (`RateLimiter.acquire`) *before* any password is hashed,
so a refused attempt costs a counter and nothing else; no database connection is held
while hashing; the hash runs on `PasswordHashing`'s few threads and a log-in that
cannot get one soon is told to come back (`BUSY`) instead of queueing.

Only failures count: a successful log-in gives its attempt back, and erases nothing
else, so an operator's own log-in cannot wipe the failures someone else piled up from
the same address (or on the same account). API-token log-ins through the same door
count against the address.

Audit: `auth.login` and `auth.logout` in the transaction of the session they write or
end; `auth.login_failed` in a small transaction of its own (the limits bound how many
there are per address and account); a throttled attempt writes nothing, except once per
lockout: `auth.login_throttled`, naming the locked key.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from relevo.bot.audit import Actor, record
from relevo.bot.protocols import RateLimiter
from relevo.bot.ratelimit import LimiterUnavailable, LimitKey, Throttled
from relevo.bot.store import operators as operator_store
from relevo.bot.types import OperatorRef, Surface
from relevo.handoff.auth import create_session, end_session, session_operator
from relevo.handoff.config import LoginSettings
from relevo.handoff.desk import HandoffDesk
from relevo.handoff.operators import OperatorState
from relevo.handoff.passwords import HashingBusy, PasswordHashing
from relevo.handoff.service import Handoff

log = logging.getLogger("relevo.handoff.login")


class Refusal(StrEnum):
    WRONG = "wrong"
    THROTTLED = "throttled"
    BUSY = "busy"
    UNAVAILABLE = "unavailable"


@dataclass(frozen=True, slots=True)
class LoginRefused:
    kind: Refusal
    reason: str
    retry_after: str | None = None  # whole seconds, for the Retry-After header


@dataclass(frozen=True, slots=True)
class LoggedIn:
    operator: OperatorState
    token: str
    ttl: timedelta


@dataclass(frozen=True, slots=True)
class Credentials:
    email: str | None = None
    password: str | None = None
    token: str | None = None

    @property
    def method(self) -> str:
        return "token" if self.token else "password"


class Logins:
    def __init__(
        self,
        handoff: Handoff,
        desk: HandoffDesk,
        limiter: RateLimiter,
        passwords: PasswordHashing,
        settings: LoginSettings,
    ) -> None:
        self._handoff = handoff
        self._desk = desk
        self._limiter = limiter
        self._passwords = passwords
        self._ip_limit = settings.ip_limit()
        self._account_limit = settings.account_limit()

    async def log_in(self, credentials: Credentials, source: str) -> LoggedIn | LoginRefused:
        now = self._handoff.now()
        keys = self._keys(credentials, source)
        try:
            throttled = await self._limiter.acquire(keys, now.timestamp())
        except LimiterUnavailable:
            # Closed, not open: without counts, guessing would be unlimited.
            log.error("log-in refused: the rate limiter's store is unreachable")
            return LoginRefused(Refusal.UNAVAILABLE, "log-in is unavailable: try again shortly",
                                "5")
        if throttled is not None:
            await self._locked(throttled, credentials, source, now)
            return LoginRefused(Refusal.THROTTLED, "too many failed log-ins: try again later",
                                throttled.retry_after_header)
        try:
            known_id, correct = await self._check(credentials)
        except HashingBusy as busy:
            await self._give_back(keys, now)
            return LoginRefused(Refusal.BUSY, "too many log-ins at once: try again shortly",
                                str(max(1, round(busy.retry_after))))
        operator = await self._handoff.load_operator(known_id) if correct and known_id else None
        if operator is None:
            await self._failed(credentials, source, now, known_id)
            return LoginRefused(Refusal.WRONG, "wrong e-mail or password")
        await self._give_back(keys, now)
        ttl = timedelta(hours=self._handoff.settings.console_session_hours)
        async with self._handoff.database.write() as conn:
            token = await create_session(conn, operator.id, now=now, ttl=ttl)
            await record(conn, actor=Actor("operator", operator.name, operator.id, source),
                         action="auth.login", at=now, target=("operator", operator.id),
                         after={"method": credentials.method})
        return LoggedIn(operator, token, ttl)

    async def log_out(self, session_token: str, source: str) -> None:
        now = self._handoff.now()
        async with self._handoff.database.write() as conn:
            operator_id = await session_operator(conn, session_token, now=now)
            await end_session(conn, session_token)
            if operator_id is not None:
                operator = self._handoff.state.operators.get(operator_id)
                label = operator.name if operator is not None else str(operator_id)
                await record(conn, actor=Actor("operator", label, operator_id, source),
                             action="auth.logout", at=now, target=("operator", operator_id))

    async def close(self) -> None:
        await self._limiter.close()
        await self._passwords.close()

    async def _give_back(self, keys: list[LimitKey], now: datetime) -> None:
        try:
            await self._limiter.refund(keys, now.timestamp())
        except LimiterUnavailable:
            # The attempt stays counted: a failure too many, never a guess too many.
            log.warning("could not give back a log-in attempt: the limiter is unreachable")

    def _keys(self, credentials: Credentials, source: str) -> list[LimitKey]:
        keys = [self._ip_limit.key(source)]
        if credentials.email and not credentials.token:
            # Hashed: e-mails (personal data) stay out of Redis key names.
            folded = credentials.email.strip().lower().encode()
            keys.append(self._account_limit.key(hashlib.sha256(folded).hexdigest()[:32]))
        return keys

    async def _check(self, credentials: Credentials) -> tuple[int | None, bool]:
        """(the operator the credentials name, if any; whether they are right)."""
        if credentials.token:
            found = await self._desk.find_operator(Surface.API_TOKEN, credentials.token.strip())
            return (found.id, True) if isinstance(found, OperatorRef) else (None, False)
        async with self._handoff.database.read() as conn:
            row = await operator_store.login_by_email(conn, credentials.email or "")
        # The connection is back in the pool before any hashing starts.
        if row is None:
            await self._passwords.dummy_verify()
            return None, False
        return row[0].id, await self._passwords.verify(row[1], credentials.password or "")

    async def _failed(self, credentials: Credentials, source: str, now: datetime,
                      known_id: int | None) -> None:
        async with self._handoff.database.write() as conn:
            await record(conn, actor=_anonymous(credentials, source), action="auth.login_failed",
                         at=now, target=("operator", known_id) if known_id else None,
                         after=_attempt(credentials))

    async def _locked(self, throttled: Throttled, credentials: Credentials, source: str,
                      now: datetime) -> None:
        if not throttled.newly_locked:
            return  # already reported when the lockout began
        async with self._handoff.database.write() as conn:
            for key in throttled.newly_locked:
                await record(conn, actor=_anonymous(credentials, source),
                             action="auth.login_throttled", at=now,
                             after={**_attempt(credentials), "limit": key.limit.name,
                                    "lockout_seconds": round(throttled.retry_after)})


def _anonymous(credentials: Credentials, source: str) -> Actor:
    label = credentials.email.strip()[:200] if credentials.email else "API token"
    return Actor("anonymous", label, None, source)


def _attempt(credentials: Credentials) -> dict[str, str]:
    attempt = {"method": credentials.method}
    if credentials.email and not credentials.token:
        attempt["email"] = credentials.email.strip()[:320]
    return attempt
