"""The engine's hook for a shopper message it relays to people instead of answering
(state `queued`/`assigned`, or a queued conversation after hours whose message is no
FAQ): called in the transaction that marks the message handled, so whatever it tells
the shopper is stored and delivered exactly once. The handoff tier supplies it
(`Handoff.relayed`: an acknowledgement for a queued shopper, issue #11 item 6)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from relevo.bot.conversations import Change
from relevo.bot.store.conversations import ConversationRow
from relevo.bot.store.messages import StoredMessage

# (the open change, the shopper's message, its conversation as the change reads it)
Relayed = Callable[[Change, StoredMessage, ConversationRow], Awaitable[None]]


async def say_nothing(
    change: Change, message: StoredMessage, conversation: ConversationRow
) -> None:
    """The default: a relayed message waits for the people it is relayed to."""
