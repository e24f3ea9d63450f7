"""Reads a conversation as Slack shows it: the root message's view (state, who has it,
transcript) and the channel it goes to (`slack.routes`, first match)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from relevo.bot.store import conversations as conversation_store
from relevo.bot.store import messages as message_store
from relevo.bot.store.schema import contacts, identities, operator_notes
from relevo.bot.types import AuthorKind, Direction
from relevo.channels.slack.blocks import RootView
from relevo.channels.slack.config import SlackRoute, SlackSettings
from relevo.handoff import store as handoff_store
from relevo.handoff.operators import OperatorState, language_of, signed_name
from relevo.handoff.service import Handoff

_AUTHOR = {AuthorKind.BOT: "Bot", AuthorKind.SYSTEM: "relevo"}


async def contact_name(conn: AsyncConnection, contact_id: int) -> str:
    row = (
        await conn.execute(sa.select(contacts.c.display_name).where(contacts.c.id == contact_id))
    ).first()
    if row is not None and row.display_name:
        return str(row.display_name)
    named = (
        await conn.execute(
            sa.select(identities.c.display_name)
            .where(identities.c.contact_id == contact_id, identities.c.display_name.is_not(None))
            .order_by(identities.c.id.desc())
            .limit(1)
        )
    ).scalar_one_or_none()
    return str(named) if named else f"Shopper {contact_id}"


def operator_label(handoff: Handoff, operator_id: int | None) -> str | None:
    operator = handoff.state.operators.get(operator_id or 0)
    return label_of(operator) if operator is not None else None


def actor_operator(actor: str) -> int | None:
    """`operator:12` → 12 (the actor of a transition)."""
    kind, _, ident = actor.partition(":")
    return int(ident) if kind == "operator" and ident.isdigit() else None


async def root_view(
    conn: AsyncConnection,
    handoff: Handoff,
    conversation_id: int,
    *,
    transcript_messages: int,
    transcript_until: int | None,
) -> RootView | None:
    conversation = await conversation_store.get(conn, conversation_id)
    if conversation is None:
        return None
    row = await handoff_store.get_handoff(conn, conversation_id)
    entry = handoff.state.queue.get(conversation_id)
    state = conversation.state.value
    operator: str | None = None
    if state == "assigned":
        operator = operator_label(handoff, conversation.assigned_operator_id)
    elif state in ("resolved", "bot"):
        transitions = await conversation_store.transitions_of(conn, conversation_id)
        if transitions:
            operator = operator_label(handoff, actor_operator(str(transitions[-1]["actor"])))
    return RootView(
        conversation_id=conversation_id,
        contact=await contact_name(conn, conversation.contact_id),
        channel=conversation.channel,
        locale=conversation.locale,
        reason=conversation.handoff_reason,
        state=state,
        topic=row.topic if row is not None else None,
        priority=entry.priority if entry is not None else (row.priority if row else 0),
        position=handoff.state.queue.position(entry) if entry is not None else None,
        offered_to=operator_label(handoff, entry.offered_to) if entry is not None else None,
        operator=operator,
        transcript=await transcript(conn, conversation_id, transcript_messages, transcript_until),
    )


async def transcript(
    conn: AsyncConnection, conversation_id: int, count: int, until: int | None
) -> tuple[tuple[str, str], ...]:
    """The last `count` messages up to message `until` (what the bot saw before the
    thread existed; later messages are in the thread)."""
    if count <= 0:
        return ()
    history = await message_store.for_conversation(conn, conversation_id)
    if until is not None:
        history = [m for m in history if m.id <= until]
    lines: list[tuple[str, str]] = []
    for message in history[-count:]:
        if message.direction == Direction.INBOUND:
            label = message.author.name or "Shopper"
        else:
            label = message.author.name or _AUTHOR.get(message.author.kind, "relevo")
        lines.append((label, message.text))
    return tuple(lines)


async def choose_channel(
    conn: AsyncConnection, settings: SlackSettings, conversation_id: int, locale: str | None
) -> str | None:
    """The first route matching the routed pool and the shopper's language."""
    row = await handoff_store.get_handoff(conn, conversation_id)
    pool: dict[str, Any] = {}
    if row is not None and row.pools:
        pool = row.pools[0] or {}  # the rules' first choice (later ones are fallbacks)
    kinds = {str(k) for k in pool.get("kinds") or ()}
    skills = {str(s).lower() for s in pool.get("skills") or ()}
    language = language_of(locale)
    for route in settings.routes:
        if _matches(route, kinds, skills, language):
            return route.channel
    return settings.channel


def _matches(route: SlackRoute, kinds: set[str], skills: set[str], language: str | None) -> bool:
    if route.kinds and not kinds & {k.value for k in route.kinds}:
        return False
    if route.skills and not skills & {s.lower() for s in route.skills}:
        return False
    return not route.languages or language in {language_of(x) for x in route.languages}


async def note(conn: AsyncConnection, note_id: int) -> tuple[int, str, str] | None:
    """(operator id, kind, text) of a private note."""
    row = (
        await conn.execute(
            sa.select(operator_notes.c.operator_id, operator_notes.c.kind, operator_notes.c.text)
            .where(operator_notes.c.id == note_id)
        )
    ).first()
    return (int(row.operator_id), str(row.kind), str(row.text)) if row is not None else None


def label_of(operator: OperatorState) -> str:
    """"Lucía · expert": the name and kind, as the shop's default language says it."""
    return signed_name(operator.name, operator.kind, None)
