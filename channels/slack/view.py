"""Reads a conversation as Slack shows it: the root message's view (state, who has it,
transcript) and the channel it goes to (`slack.routes`, first match). Handoff state
comes from the `OperatorDesk`; the contact and the messages from the core's store."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from relevo.bot.protocols import OperatorDesk
from relevo.bot.store import messages as message_store
from relevo.bot.store.schema import contacts, identities
from relevo.bot.text import language_of
from relevo.bot.types import AuthorKind, Direction, HandoffSnapshot, Refused
from relevo.channels.slack.blocks import RootView
from relevo.channels.slack.config import SlackRoute, SlackSettings
from relevo.channels.slack.texts import SlackTexts

_AUTHOR = {AuthorKind.BOT: "bot", AuthorKind.SYSTEM: "system"}  # keys of slack.*


async def contact_name(conn: AsyncConnection, contact_id: int, say: SlackTexts) -> str:
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
    return str(named) if named else say("shopper_number", contact=contact_id)


def actor_operator(actor: str) -> int | None:
    """`operator:12` → 12 (the actor of a transition)."""
    kind, _, ident = actor.partition(":")
    return int(ident) if kind == "operator" and ident.isdigit() else None


async def root_view(
    conn: AsyncConnection,
    desk: OperatorDesk,
    conversation_id: int,
    *,
    transcript_messages: int,
    transcript_until: int | None,
    say: SlackTexts,
) -> RootView | None:
    snapshot = await desk.snapshot(conversation_id)
    if isinstance(snapshot, Refused):
        return None
    state = snapshot.state.value
    operator: str | None = None
    if state == "assigned":
        operator = desk.label(snapshot.assigned_operator_id)
    elif state in ("resolved", "bot"):
        operator = desk.label(snapshot.last_actor_operator_id)
    return RootView(
        conversation_id=conversation_id,
        contact=await contact_name(conn, snapshot.contact_id, say),
        channel=snapshot.channel,
        locale=snapshot.locale,
        reason=snapshot.handoff_reason,
        state=state,
        topic=snapshot.topic,
        priority=snapshot.priority,
        position=snapshot.position,
        offered_to=desk.label(snapshot.offered_to),
        operator=operator,
        transcript=await transcript(conn, conversation_id, transcript_messages, transcript_until,
                                    say),
    )


async def transcript(
    conn: AsyncConnection, conversation_id: int, count: int, until: int | None, say: SlackTexts
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
            label = message.author.name or say("shopper")
        else:
            label = message.author.name or say(_AUTHOR.get(message.author.kind, "system"))
        lines.append((label, message.text))
    return tuple(lines)


def choose_channel(settings: SlackSettings, snapshot: HandoffSnapshot) -> str | None:
    """The first route matching the routed pool and the shopper's language."""
    pool = snapshot.pools[0] if snapshot.pools else None  # the rules' first choice
    kinds = {k.value for k in pool.kinds} if pool else set()
    skills = {s.lower() for s in pool.skills} if pool else set()
    for route in settings.routes:
        if _matches(route, kinds, skills, snapshot.language):
            return route.channel
    return settings.channel


def _matches(route: SlackRoute, kinds: set[str], skills: set[str], language: str | None) -> bool:
    if route.kinds and not kinds & {k.value for k in route.kinds}:
        return False
    if route.skills and not skills & {s.lower() for s in route.skills}:
        return False
    return not route.languages or language in {language_of(x) for x in route.languages}
