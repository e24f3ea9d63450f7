"""A queued shopper is never left without a word (issue #11, item 6): a message the bot
does not answer while the conversation waits in the queue gets a short acknowledgement
in the shopper's language ("Got it — I've added this to your request…"); after hours
it says the team will see it when back, and that FAQs are still answered.

Not a flood: a message is not acknowledged again when the last thing the shopper was
told in this conversation is an acknowledgement less than `BURST_SECONDS` old — a
burst gets one. Any other reply in between (a bot answer, a queue update, an operator)
means the next unanswered message is acknowledged again."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from relevo.bot import replies
from relevo.bot.conversations import Change
from relevo.bot.store.conversations import ConversationRow
from relevo.bot.store.messages import StoredMessage
from relevo.bot.store.schema import messages
from relevo.bot.types import ConversationState, Direction

BURST_SECONDS = 60.0
KIND = "queued_ack"


async def acknowledge(
    change: Change, message: StoredMessage, conversation: ConversationRow, *,
    after_hours: bool,
) -> bool:
    """Tell a queued shopper their message was added to their request; False when it was
    not needed (not queued, or already acknowledged within the burst window)."""
    if conversation.state != ConversationState.QUEUED:
        return False
    last = (
        await change.conn.execute(
            sa.select(messages.c.meta, messages.c.created_at)
            .where(messages.c.conversation_id == conversation.id,
                   messages.c.direction == Direction.OUTBOUND.value)
            .order_by(messages.c.id.desc())
            .limit(1)
        )
    ).first()
    if (
        last is not None
        and (last.meta or {}).get("handoff") == KIND
        and change.now - last.created_at < timedelta(seconds=BURST_SECONDS)
    ):
        return False
    locale = message.locale or conversation.locale
    key = "queued_ack_after_hours" if after_hours else "queued_ack"
    await change.tell_shopper(
        conversation_id=conversation.id, contact_id=conversation.contact_id,
        channel=message.channel, locale=locale, text=replies.text(key, locale),
        meta={"handoff": KIND},
    )
    return True
