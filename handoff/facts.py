"""What routing knows about a conversation when it decides, read from storage.

The topic comes from what was already understood: the intents the bot answered, else
the parse the engine stored on the shopper's latest messages. Routing never asks the
NLU again.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncConnection

from relevo.bot.intents import FALLBACK_INTENTS
from relevo.bot.protocols import KnowledgeBase
from relevo.bot.store.conversations import ConversationRow
from relevo.bot.text import language_of
from relevo.bot.types import AuthorKind
from relevo.handoff import store
from relevo.handoff.rules import Facts

log = logging.getLogger("relevo.handoff.router")

IGNORED_TOPICS = frozenset({"handoff", "smalltalk"})


async def gather_facts(
    conn: AsyncConnection, conversation: ConversationRow, raw_tags: list[str], handoffs: int,
    now: datetime, *, vip_tags: Iterable[str], knowledge_base: KnowledgeBase | None,
) -> Facts:
    tags = [t.lower() for t in raw_tags]
    vip_set = {v.lower() for v in vip_tags}
    vip = any(t in vip_set for t in tags)
    basket = None
    for tag in tags:
        if tag.startswith("basket:"):
            try:
                basket = float(tag.removeprefix("basket:"))
            except ValueError:
                log.warning("contact %s has a malformed basket tag", conversation.contact_id)
    topic, intent = await _topic(conn, conversation.id, knowledge_base)
    return Facts(at=now, channel=conversation.channel, language=language_of(conversation.locale),
                 topic=topic, intent=intent, vip=vip, basket=basket, handoffs=handoffs)


async def _topic(
    conn: AsyncConnection, conversation_id: int, kb: KnowledgeBase | None
) -> tuple[str | None, str | None]:
    """The topic of the last intent the bot answered that says something (not
    smalltalk, not "talk to a person"); else what the NLU read in the shopper's
    latest messages (stored by the engine); else unknown."""
    recent = await store.recent_meta(conn, conversation_id)
    fallback: tuple[str | None, str | None] = (None, None)
    for author_kind, _direction, meta, _text in recent:
        if author_kind != AuthorKind.BOT.value or not meta or not meta.get("intent"):
            continue
        intent = str(meta["intent"])
        topic = kb.topic(intent) if kb is not None else None
        if topic is not None and topic not in IGNORED_TOPICS:
            return topic, intent
        if fallback == (None, None):
            fallback = (topic, intent)
    if kb is not None:
        shopper = [m for kind, _, m, _ in recent if kind == AuthorKind.SHOPPER.value][:3]
        for meta in shopper:
            parse = (meta or {}).get("parse")
            if not parse or not parse.get("intent"):
                continue
            name = str(parse["intent"])
            topic = kb.topic(name) if name not in FALLBACK_INTENTS else None
            if topic is not None and topic not in IGNORED_TOPICS:
                return topic, name
    return fallback
