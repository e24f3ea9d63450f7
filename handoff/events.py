"""The handoff tier's events now live in `relevo.bot.types` (Slack and the console
subscribe to them without importing handoff). Re-exported here while the modules
that still import them from this path are being rewritten."""

from __future__ import annotations

from relevo.bot.types import (
    ConversationOffered,
    NoteAdded,
    OperatorReminded,
    PresenceChanged,
    QueueChanged,
)

__all__ = ["ConversationOffered", "NoteAdded", "OperatorReminded", "PresenceChanged",
           "QueueChanged"]
