"""The exceptions of relevo's core: a channel's delivery failures and an illegal
conversation transition. Standard library only; re-exported by `bot/types.py`."""

from __future__ import annotations


class DeliveryError(Exception):
    """Base of the errors a channel's `send` raises."""


class TransientDeliveryError(DeliveryError):
    """The provider may accept the message later (5xx, 429, timeouts)."""

    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after


class PermanentDeliveryError(DeliveryError):
    """The provider refused the message for good (4xx other than 429, blocked user)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class IllegalTransition(Exception):
    def __init__(self, conversation_id: int, from_state: str, to_state: str) -> None:
        super().__init__(
            f"conversation {conversation_id}: illegal transition {from_state} -> {to_state}"
        )
        self.conversation_id = conversation_id
        self.from_state = from_state
        self.to_state = to_state
