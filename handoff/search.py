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
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler

from relevo.bot.store.schema import contacts, conversations, identities, messages
from relevo.bot.text import fold

MAX_QUERY = 200
# Accented letters and their base letters, for PostgreSQL's translate() after lower().
_ACCENTED = "áàâäãåéèêëíìîïóòôöõúùûüñç"
_BASES = "aaaaaaeeeeiiiiooooouuuunc"
# SQLite has no translate() and its lower() is ASCII-only: nested replace() of both
# cases, for the letters of the shop's languages (its parser allows ~25 levels).
_SQLITE_ACCENTS = {"á": "a", "é": "e", "í": "i", "ó": "o", "ú": "u", "ü": "u", "ñ": "n",
                   "Á": "a", "É": "e", "Í": "i", "Ó": "o", "Ú": "u", "Ü": "u", "Ñ": "n",
                   "à": "a", "è": "e", "ç": "c"}


class _Folded(sa.sql.expression.FunctionElement[str]):
    """`column` lower-cased without accents, in SQL."""

    type = sa.String()
    inherit_cache = True
    name = "relevo_fold"


@compiles(_Folded)
def _fold_default(element: _Folded, compiler: SQLCompiler, **kw: Any) -> str:
    column = compiler.process(element.clauses, **kw)
    expression = f"coalesce({column}, '')"
    for accented, base in _SQLITE_ACCENTS.items():
        expression = f"replace({expression}, '{accented}', '{base}')"
    return f"lower({expression})"


@compiles(_Folded, "postgresql")
def _fold_postgresql(element: _Folded, compiler: SQLCompiler, **kw: Any) -> str:
    column = compiler.process(element.clauses, **kw)
    return f"translate(lower(coalesce({column}, '')), '{_ACCENTED}', '{_BASES}')"


_PHONE_PUNCTUATION = " -.()+/"
_ID = re.compile(r"#?(\d{1,18})")


def folded(column: sa.ColumnElement[Any]) -> sa.ColumnElement[str]:
    """`column` lower-cased without accents, in SQL (NULL: '')."""
    return _Folded(column)


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
