"""What an export or an erasure of personal data is about, and what an erasure did.

Every package that stores something about shoppers contributes its share through the
`ContactData` port (`bot.protocols`): the core's own tables are handled by
`bot.store.personal`, handoff's and each channel's by their package. The composition
root hands the list to `bot.privacy.Privacy`, so the core never names a channel.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

AfterCommit = Callable[[], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class Subject:
    """Whose data, and how much of it.

    `contact_ids`: the contact asked for and every contact merged into the same person.
    `conversation_ids`: the conversations concerned (all of theirs for a contact; the
    old ones for retention). `identities`: (channel, external user id) of each identity
    the contacts have. `whole_contact`: the contact itself goes (identities, addresses,
    sessions, opt-outs); False for retention, which blanks conversations only.
    """

    contact_ids: tuple[int, ...]
    conversation_ids: tuple[int, ...]
    identities: tuple[tuple[str, str], ...] = ()
    whole_contact: bool = True

    def external_ids(self, channel: str) -> tuple[str, ...]:
        """The contact's user ids on `channel`."""
        return tuple(user for name, user in self.identities if name == channel)


@dataclass(frozen=True, slots=True)
class Erased:
    """What one contribution removed (`counts`, by table or kind), and what must
    happen only once the erasure is committed: files to delete, in-memory views to
    rebuild."""

    counts: Mapping[str, int] = field(default_factory=dict)
    files: tuple[str, ...] = ()
    after_commit: tuple[AfterCommit, ...] = ()


def plain(value: Any) -> Any:
    """`value` as JSON can carry it: datetimes as ISO 8601, mappings and sequences
    walked, bytes never (callers encode files themselves)."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(key): plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [plain(item) for item in value]
    return value


def rows_of(found: Any, *, leave_out: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    """SQLAlchemy rows as plain dicts, without the columns in `leave_out` (secrets such
    as token hashes are the shopper's data in name only)."""
    return [
        {key: plain(value) for key, value in row._mapping.items() if key not in leave_out}
        for row in found
    ]
