"""One shopper, one history: linking the channels a shopper writes from.

Two ways to prove two channels are the same person:

- a one-time code: on the web chat or Telegram the shopper writes
  "link +34600111222" (or the web chat calls `POST /webchat/link {"phone"}`); if
  that number is known on another channel, a 6-digit code is sent there through
  the outbox; typed back (or `POST /webchat/link/confirm {"code"}`) within ten
  minutes, it links them. The answer never says whether the number is known.
- a verified match: a number a provider vouches for (a WhatsApp sender; the
  contact card a Telegram user shares of themselves) that another contact has too.

Linking merges the contacts: identities, conversations and messages of one move to
the other (`merged_into_id` remembers it). The contact the shopper is writing from
stays, unless only the other has a web chat identity (web sessions name their
contact). If both have an open conversation, the one further along (assigned >
queued > bot) continues and receives the other's messages; the other is resolved.
Replies then go to the channel the shopper used last.
"""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Header, HTTPException
from pydantic import BaseModel, Field
from sqlalchemy.ext.asyncio import AsyncConnection

from relevo.bot.catalog import Catalog
from relevo.bot.clock import Clock, utc_now
from relevo.bot.conversations import Change, Conversations
from relevo.bot.store import contacts as contact_store
from relevo.bot.store import conversations as conversation_store
from relevo.bot.store import links
from relevo.bot.store import messages as message_store
from relevo.bot.store.conversations import ConversationRow
from relevo.bot.store.db import Database
from relevo.bot.store.messages import StoredMessage
from relevo.bot.types import (
    ConversationState,
)

log = logging.getLogger("relevo.linking")

CODE_TTL = timedelta(minutes=10)
MAX_ATTEMPTS = 5
MAX_CODES_PER_HOUR = 3
_LINK = re.compile(r"^\s*(?:link|vincular|enlazar)\s+(?P<phone>\+?[0-9][0-9 ().-]{5,22})\s*$",
                   re.IGNORECASE)
_CODE = re.compile(r"^\s*(?P<code>[0-9]{6})\s*$")

def normalise_phone(value: str) -> str | None:
    digits = re.sub(r"[\s().-]", "", value).removeprefix("+")
    return "+" + digits if re.fullmatch(r"[1-9][0-9]{6,14}", digits) else None


class Linker:
    def __init__(
        self,
        conversations: Conversations,
        catalog: Catalog,
        *,
        phone_identities: Sequence[links.PhoneIdentity] = (),
        clock: Clock = utc_now,
    ) -> None:
        """`phone_identities`: for each channel whose users are phone numbers (WhatsApp),
        its identity for a number, so a code can be sent to whoever the number reaches."""
        self._clock = clock
        self._catalog = catalog
        self._phone_identities = tuple(phone_identities)
        # Every conversation the linker changes or message it sends goes through here.
        self.conversations = conversations
        # (contact, channel, phone) recorded by this process: WhatsApp vouches for the
        # sender on every message, one write is enough.
        self._vouched: set[tuple[int, str, str]] = set()

    def now(self) -> datetime:
        return self._clock()

    def _say(self, key: str, locale: str | None, **values: str) -> str:
        return self._catalog.text(f"linking.{key}", locale, **values)

    def _channel_name(self, channel: str, locale: str | None) -> str:
        key = f"linking.channel_{channel}"
        return self._catalog.text(key, locale) if self._catalog.has(key) else channel

    # --- one-time code ----------------------------------------------------------------

    async def request_code(
        self, change: Change, identity_id: int, contact_id: int, channel: str,
        phone: str, locale: str | None,
    ) -> bool:
        """Send a code to whoever `phone` reaches (not the asker). True when sent; the
        caller tells the shopper the same either way."""
        conn, now = change.conn, change.now
        target = await links.find_by_phone(conn, phone, self._phone_identities)
        if target is None or target.contact_id == contact_id:
            return False
        if await links.codes_sent_since(conn, identity_id, now - timedelta(hours=1)) >= (
            MAX_CODES_PER_HOUR
        ):
            log.info("link code not sent: too many requests from identity %s", identity_id)
            return False
        code = f"{secrets.randbelow(1_000_000):06d}"
        await links.add_code(conn, identity_id, target, code, now=now, ttl=CODE_TTL)
        conversation_id = await links.latest_conversation(conn, target.contact_id)
        if conversation_id is None:
            return False
        locale = await contact_store.contact_locale(conn, target.contact_id)
        await change.tell_shopper(
            conversation_id=conversation_id, contact_id=target.contact_id,
            channel=target.channel, recipient=target.recipient,
            text=self._say("code", locale, channel=self._channel_name(channel, locale),
                           code=code),
            locale=locale,
            meta={"template_purpose": "link_code", "template_variables": {"code": code}},
        )
        return True

    async def confirm_code(
        self, change: Change, identity_id: int, contact_id: int, channel: str, code: str,
    ) -> int | None:
        """The surviving contact id when `code` is right (None otherwise)."""
        conn, now = change.conn, change.now
        pending = await links.pending_code(conn, identity_id, now)
        if pending is None:
            return None
        code_id, target, expected, attempts = pending
        right = secrets.compare_digest(links.code_hash(code, identity_id), expected)
        await links.spend_attempt(conn, code_id, used=right, now=now,
                                  burn=attempts + 1 >= MAX_ATTEMPTS)
        if not right:
            return None
        if target == contact_id:
            return contact_id
        await self.merge(change, speaker=contact_id, other=target, channel=channel)
        return await self._survivor_of(conn, contact_id)

    async def has_pending_code(self, conn: AsyncConnection, identity_id: int) -> bool:
        return await links.pending_code(conn, identity_id, self._clock()) is not None

    # --- verified match -----------------------------------------------------------------

    async def verified_phone(self, contact_id: int, channel: str, phone: str) -> None:
        """A provider vouched for `phone` on this contact: merge with any other contact
        it vouched for with the same number."""
        if (contact_id, channel, phone) in self._vouched:
            return
        async with self.conversations.change() as change:
            others = await links.add_verified(
                change.conn, contact_id, "phone", phone, channel, change.now
            )
            for other in others:
                await self.merge(change, speaker=contact_id, other=other, channel=channel)
                contact_id = await self._survivor_of(change.conn, contact_id)
        if len(self._vouched) > 100_000:
            self._vouched.clear()
        self._vouched.add((contact_id, channel, phone))

    # --- the merge ------------------------------------------------------------------------

    async def merge(self, change: Change, *, speaker: int, other: int, channel: str) -> None:
        if speaker == other:
            return
        conn = change.conn
        keep, absorb = speaker, other
        if await links.has_web_identity(conn, other) and not await links.has_web_identity(
            conn, speaker
        ):
            keep, absorb = other, speaker
        kept_open = await links.open_conversation(conn, keep)
        absorbed_open = await links.open_conversation(conn, absorb)
        if kept_open and absorbed_open:
            winner, loser = kept_open, absorbed_open
            if links.OPEN_STATE_RANK[absorbed_open[1]] > links.OPEN_STATE_RANK[kept_open[1]]:
                winner, loser = absorbed_open, kept_open
            reason = f"merged into conversation {winner[0]}: the shopper linked their channels"
            await change.transition(
                loser[0], ConversationState.RESOLVED, actor="linking", reason=reason
            )
            await links.move_messages(conn, loser[0], winner[0])
            await conversation_store.touch(conn, winner[0], now=change.now, channel=channel)
        await links.absorb_contact(conn, keep=keep, absorb=absorb)
        log.info("contact %s merged into %s", absorb, keep)

    async def _survivor_of(self, conn: AsyncConnection, contact_id: int) -> int:
        return await links.survivor_of(conn, contact_id)

    # --- chat commands ----------------------------------------------------------------------

    async def intercept(self, message: StoredMessage, conversation: ConversationRow) -> bool:
        """"link +34…" and the code typed back are for relevo, not the bot."""
        asked, typed = _LINK.match(message.text), _CODE.match(message.text)
        if asked is None and typed is None:
            return False
        async with self.conversations.change() as change:
            conn = change.conn
            identity_id, _ = await links.identity_of(conn, message.contact_id, message.channel)
            if typed is not None and not await links.pending_code(conn, identity_id, change.now):
                return False  # six digits, but no code pending: an order number, maybe
            if not await message_store.mark_processed(conn, message.id):
                return True  # handled before a crash: nothing twice
            locale = message.locale or conversation.locale
            if asked is not None:
                phone = normalise_phone(asked.group("phone"))
                if phone is not None:
                    await self.request_code(change, identity_id, message.contact_id,
                                            message.channel, phone, locale)
                reply = self._say("asked", locale, phone=phone or asked.group("phone").strip())
            else:
                survivor = await self.confirm_code(
                    change, identity_id, message.contact_id, message.channel,
                    typed.group("code") if typed else "",
                )
                reply = self._say("linked" if survivor else "wrong", locale)
            await self._reply(change, message, reply, locale)
        return True

    async def _reply(
        self, change: Change, message: StoredMessage, text: str, locale: str | None
    ) -> None:
        """Answer on the channel the shopper wrote from, in their open conversation."""
        contact_id = await self._survivor_of(change.conn, message.contact_id)
        conversation = await links.open_conversation(change.conn, contact_id)
        await change.tell_shopper(
            conversation_id=conversation[0] if conversation else message.conversation_id,
            contact_id=contact_id, channel=message.channel, text=text, locale=locale,
            meta={"linking": True},
        )


# --- the web chat's API -------------------------------------------------------------------


class LinkRequest(BaseModel):
    phone: str = Field(min_length=7, max_length=24)


class LinkConfirm(BaseModel):
    code: str = Field(pattern=r"^[0-9]{6}$")


def linking_router(database: Database, linker: Linker) -> APIRouter:
    """The web chat's linking endpoints (every change goes through the linker)."""
    router = APIRouter()

    async def visitor(authorization: str | None) -> contact_store.IdentityRef:
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise HTTPException(401, "missing visitor token: send Authorization: Bearer <token>")
        async with database.read() as conn:
            found = await contact_store.find_web_session(conn, token.strip(),
                                                         now=linker.now())
        if found is None:
            raise HTTPException(401, "unknown or expired visitor token: start a new session")
        return found[0]

    @router.post("/webchat/link", status_code=202)
    async def ask_for_code(
        body: LinkRequest, authorization: Annotated[str | None, Header()] = None
    ) -> dict[str, str]:
        identity = await visitor(authorization)
        phone = normalise_phone(body.phone)
        if phone is None:
            raise HTTPException(422, "phone: expected an international number, e.g. +34600111222")
        async with linker.conversations.change() as change:
            await linker.request_code(change, identity.identity_id, identity.contact_id, "web",
                                      phone, None)
        # The same answer whether or not the number is known: no one learns who is.
        return {"status": "sent_if_known"}

    @router.post("/webchat/link/confirm")
    async def confirm(
        body: LinkConfirm, authorization: Annotated[str | None, Header()] = None
    ) -> dict[str, Any]:
        identity = await visitor(authorization)
        async with linker.conversations.change() as change:
            survivor = await linker.confirm_code(
                change, identity.identity_id, identity.contact_id, "web", body.code
            )
        if survivor is None:
            raise HTTPException(400, "wrong or expired code")
        return {"linked": True}

    return router
