"""The HTTP vocabulary every router shares: ids and cursors checked against the range
the databases store (a signed 64-bit integer), so an id no row can have is a 422 with
a reason, not a database error.

    conversation_id: RowId                    # a path parameter
    after: Cursor = 0                         # a query parameter, 0 = from the start
    operator_id: BodyId | None = None         # a field of a request body
"""

from __future__ import annotations

from typing import Annotated, TypeGuard

from fastapi import Path, Query
from pydantic import Field

# The largest id either database stores (BIGINT on PostgreSQL, INTEGER on SQLite).
MAX_ROW_ID = 2**63 - 1

RowId = Annotated[int, Path(ge=1, le=MAX_ROW_ID, description="a row id (1 to 2^63-1)")]
Cursor = Annotated[int, Query(ge=0, le=MAX_ROW_ID,
                              description="the last id already seen (0: none)")]
BodyId = Annotated[int, Field(ge=1, le=MAX_ROW_ID)]


def is_row_id(value: object) -> TypeGuard[int]:
    """Could `value` name a stored row? (For ids read outside FastAPI's validation:
    a socket message, a Slack button's value.)"""
    return isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= MAX_ROW_ID
