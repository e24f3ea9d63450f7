"""Finding conversations for the console's lists (`GET /api/conversations?q=`): by the
conversation's or the contact's id, the contact's name, e-mail, phone or channel ids,
and the text of the conversation's messages.

Case- and accent-insensitive on SQLite and PostgreSQL alike, with no extension: both
sides are folded in SQL with `replace` (the accented letters of the shop's languages)
and `lower`, the way `relevo.bot.text.fold` folds the query. An operator whose kind
sees the shopper's personal data masked (`relevo.handoff.masking`) cannot search it
either (a hit would tell what the mask hides): they search ids and message text only.
Which conversations come back is the caller's `visible` filter
(`relevo.handoff.visibility.list_filter`).
"""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from relevo.bot.store.schema import contacts, conversations, identities, messages
from relevo.bot.text import fold

MAX_QUERY = 200
# Accented letters → their base letter, both cases (SQLite's lower() is ASCII-only).
_ACCENTS = {
    "a": "áàâäãåÁÀÂÄÃÅ", "e": "éèêëÉÈÊË", "i": "íìîïÍÌÎÏ", "o": "óòôöõÓÒÔÖÕ",
    "u": "úùûüÚÙÛÜ", "n": "ñÑ", "c": "çÇ",
}
_PHONE_PUNCTUATION = " -.()+/"
_ID = re.compile(r"#?(\d{1,18})")


def folded(column: sa.ColumnElement[Any]) -> sa.ColumnElement[str]:
    """`column` lower-cased without accents, in SQL."""
    expression: sa.ColumnElement[Any] = sa.func.coalesce(column, "")
    for base, accented in _ACCENTS.items():
        for letter in accented:
            expression = sa.func.replace(expression, letter, base)
    return sa.func.lower(expression)


def _digits_only(column: sa.ColumnElement[Any]) -> sa.ColumnElement[str]:
    expression: sa.ColumnElement[Any] = sa.func.coalesce(column, "")
    for char in _PHONE_PUNCTUATION:
        expression = sa.func.replace(expression, char, "")
    return expression


def contains(text: str) -> str:
    """A LIKE pattern (escape `\\`) for values containing `text`."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def matches(query: str, *, personal: bool) -> sa.ColumnElement[bool]:
    """The WHERE clause for `query` on `conversations` (joined with `contacts`);
    `personal`: the contact's name, e-mail, phone and channel ids may be searched."""
    words = fold(query.strip())
    pattern = contains(words)
    said = sa.exists().where(
        messages.c.conversation_id == conversations.c.id,
        folded(messages.c.text).like(pattern, escape="\\"),
    )
    found: list[sa.ColumnElement[bool]] = [said]
    as_id = _ID.fullmatch(words)
    if as_id:
        number = int(as_id.group(1))
        found += [conversations.c.id == number, conversations.c.contact_id == number]
    if personal:
        found += [folded(contacts.c.display_name).like(pattern, escape="\\"),
                  folded(contacts.c.email).like(pattern, escape="\\"),
                  sa.exists().where(
                      identities.c.contact_id == conversations.c.contact_id,
                      sa.or_(folded(identities.c.external_user_id).like(pattern, escape="\\"),
                             folded(identities.c.display_name).like(pattern, escape="\\")))]
        digits = "".join(c for c in words if c.isdigit())
        if len(digits) >= 4 and not words.strip("".join(_PHONE_PUNCTUATION) + "0123456789#"):
            found.append(_digits_only(contacts.c.phone).like(contains(digits), escape="\\"))
    return sa.or_(*found)


async def conversation_page(
    conn: AsyncConnection, *, states: tuple[str, ...], operator_id: int | None = None,
    visible: sa.ColumnElement[bool] | None = None, query: str | None = None,
    personal: bool = True, limit: int = 200, offset: int = 0,
) -> tuple[list[dict[str, Any]], bool]:
    """Conversations in `states` (assigned to `operator_id`; only those `visible`;
    matching `query`), latest first: one page, and whether more follow it."""
    select = (
        sa.select(
            conversations.c.id, conversations.c.state, conversations.c.channel,
            conversations.c.locale, conversations.c.contact_id,
            conversations.c.assigned_operator_id, conversations.c.handoff_reason,
            conversations.c.created_at, conversations.c.updated_at,
            contacts.c.display_name,
        )
        .join(contacts, contacts.c.id == conversations.c.contact_id)
        .where(conversations.c.state.in_(states))
        .order_by(conversations.c.updated_at.desc(), conversations.c.id.desc())
        .limit(limit + 1)
        .offset(offset)
    )
    if operator_id is not None:
        select = select.where(conversations.c.assigned_operator_id == operator_id)
    if visible is not None:
        select = select.where(visible)
    if query and query.strip():
        select = select.where(matches(query, personal=personal))
    rows = [dict(r._mapping) for r in await conn.execute(select)]
    return rows[:limit], len(rows) > limit
