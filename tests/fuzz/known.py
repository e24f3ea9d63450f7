"""Failures the fuzzers find that issue #10's table already tracks (branch `edge` fixes
them). Each is an xfail that does not insist (`strict=False`): when the fix lands the
test passes, and the entry goes. Nothing else may be listed here: any other 5xx is
fixed where it is found."""

from __future__ import annotations

import pytest

ROW_3 = pytest.mark.xfail(
    reason="issue #10 row 3: text with a NUL gets a 500 on PostgreSQL (branch edge)",
    strict=False,
)
ROW_3_4 = pytest.mark.xfail(
    reason="issue #10 rows 3 and 4: NUL (PostgreSQL) and lone surrogates get a 500 "
           "(branch edge)",
    strict=False,
)
ROW_5 = pytest.mark.xfail(
    reason="issue #10 row 5: ids above 2^63 get a 500 (branch edge)", strict=False
)
ROW_3_5 = pytest.mark.xfail(
    reason="issue #10 rows 3 and 5: NUL on PostgreSQL and ids above 2^63 get a 500 "
           "(branch edge)",
    strict=False,
)

# Operations whose ids or cursors above 2^63 reach the database (both databases).
_ROW_5 = (
    "GET /webchat/messages",
    "GET /api/conversations/{conversation_id}",
    "GET /api/conversations/{conversation_id}/suggestions",
    "POST /api/conversations/{conversation_id}/claim",
    "POST /api/conversations/{conversation_id}/messages",
    "POST /api/conversations/{conversation_id}/notes",
    "POST /api/conversations/{conversation_id}/resolve",
    "POST /api/conversations/{conversation_id}/return-to-bot",
)
# Operations that store text they are given (PostgreSQL refuses a NUL in it).
_ROW_3 = (
    "POST /webchat/messages",
    "POST /api/conversations/{conversation_id}/messages",
    "POST /api/conversations/{conversation_id}/notes",
    "POST /api/operators",
    "PATCH /api/operators/{operator_id}",
)


def openapi_mark(label: str, database: str) -> pytest.MarkDecorator | None:
    """The known row of a schemathesis operation (`POST /webchat/messages`), if any."""
    nul = database == "postgres" and label in _ROW_3
    if label in _ROW_5:
        return ROW_3_5 if nul else ROW_5
    return ROW_3 if nul else None
