"""Database errors that never quote what was stored: the shopper's text reaches the
database as statement parameters, and a failing statement's error (logged with its
traceback) would otherwise carry it three ways: SQLAlchemy's `[parameters: …]`, the
driver's own message (asyncpg: "invalid input for query argument $1: '<text>'") and
PostgreSQL's DETAIL line ("Failing row contains (…)").

`hide_values(engine)` hooks SQLAlchemy's `handle_error` event, so every error raised
through the engine is cleaned where it is made, whoever logs it later. The engine is
also created with `hide_parameters=True`. Both are skipped when `log_shopper_text` is
on (debugging).
"""

from __future__ import annotations

import re

from sqlalchemy import event
from sqlalchemy.engine import Engine, ExceptionContext

# "…: '<a value>' (…)" or ': "<a value>"': a value quoted after a colon, to the line's end.
_QUOTED_VALUE = re.compile(r"(:\s+)['\"].*$")
HIDDEN = "[value hidden: log_shopper_text is off]"


def without_values(message: str) -> str:
    """The first line of a database error's message, without a quoted value in it
    (PostgreSQL's DETAIL and HINT lines, which quote rows and keys, are dropped)."""
    first = message.strip().split("\n", 1)[0]
    return _QUOTED_VALUE.sub(lambda m: m.group(1) + HIDDEN, first)


def hide_values(engine: Engine) -> None:
    event.listen(engine, "handle_error", _quiet)


def _quiet(context: ExceptionContext) -> None:
    wrapped = context.sqlalchemy_exception
    if wrapped is not None:
        wrapped.hide_parameters = True
        if wrapped.args and isinstance(wrapped.args[0], str):
            wrapped.args = (without_values(wrapped.args[0]),)
    original = context.original_exception
    if original.args and isinstance(original.args[0], str):
        original.args = (without_values(original.args[0]), *original.args[1:])
    # The driver's own exception (asyncpg's, with its DETAIL) is the cause of the one
    # SQLAlchemy wraps; a traceback would print it: the chain stops here.
    original.__cause__ = None
    original.__suppress_context__ = True
