"""What every operator route shares: who is asking (`Me`), what their role and kind let
them reach (`requires`, `conversation_guard`), and the one place where a desk's `Refused`
becomes an HTTP status (`{"detail": reason}` like every 4xx).

Authentication: `Authorization: Bearer <operator API token>`, or the console's session
cookie (then unsafe methods also need the `X-Relevo-Console: 1` header, which a
cross-site form cannot send).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Annotated, TypeVar

from fastapi import Depends, Header, HTTPException, Request

from relevo.bot.audit import Actor
from relevo.bot.http import RowId
from relevo.bot.roles import Scope, has_scope, refusal
from relevo.bot.text import language_of
from relevo.bot.types import OperatorRef, RefusalKind, Refused, Surface
from relevo.handoff.desk import HandoffDesk
from relevo.handoff.operators import OperatorState
from relevo.handoff.service import Handoff
from relevo.handoff.visibility import may_note, may_see, whereabouts

T = TypeVar("T")

SESSION_COOKIE = "relevo_console"
CSRF_HEADER = "x-relevo-console"

REFUSAL_STATUS = {
    RefusalKind.NOT_FOUND: 404,
    RefusalKind.CONFLICT: 409,
    RefusalKind.FORBIDDEN: 403,
    RefusalKind.INVALID: 422,
}


def accepted(result: T | Refused) -> T:
    """The desk's result, or its refusal as the HTTP error it is."""
    if isinstance(result, Refused):
        raise HTTPException(REFUSAL_STATUS[result.kind], result.reason)
    return result


def reader_language(request: Request, languages: Sequence[str]) -> str | None:
    """The first language of the request's `Accept-Language` that the shop speaks (what
    badges are named in); None: none of them."""
    for part in request.headers.get("accept-language", "").split(","):
        language = language_of(part.split(";", 1)[0].strip())
        if language in languages:
            return language
    return None


CurrentOperator = Callable[..., Awaitable[OperatorState]]


def operator_dependency(desk: HandoffDesk, handoff: Handoff) -> CurrentOperator:
    """The dependency that answers "who is asking?" for the routes built with this desk:
    routes take `operator: OperatorState = Depends(current)`."""

    async def current_operator(
        request: Request, authorization: Annotated[str | None, Header()] = None
    ) -> OperatorState:
        """The operator making the request (Bearer token, or console cookie + header)."""
        scheme, _, token = (authorization or "").partition(" ")
        bearer = token.strip() if scheme.lower() == "bearer" else None
        cookie = request.cookies.get(SESSION_COOKIE)
        if not bearer and not cookie:
            raise HTTPException(401, "missing operator token: send Authorization: Bearer <token>")
        if not bearer and request.method not in ("GET", "HEAD") and \
                request.headers.get(CSRF_HEADER) != "1":
            raise HTTPException(403, f"console requests need the {CSRF_HEADER} header")
        if bearer:
            found = await desk.find_operator(Surface.API_TOKEN, bearer)
        else:
            found = await desk.find_operator(Surface.CONSOLE_SESSION, cookie or "")
        operator = (handoff.state.operators.get(found.id)
                    if isinstance(found, OperatorRef) else None)
        if operator is None:
            raise HTTPException(401, "unknown operator token or expired session")
        await desk.seen(operator.id)
        return operator

    return current_operator


def requires(current: CurrentOperator, scope: Scope) -> CurrentOperator:
    """A dependency like `current`, that also refuses (403) an operator whose roles lack
    `scope`: `operator: OperatorState = Depends(requires(current, Scope.AUDIT_READ))`."""

    # `= Depends(current)`, not `Annotated[…]`: with postponed annotations the closure's
    # `current` could not be resolved from the string.
    async def scoped_operator(operator: OperatorState = Depends(current)) -> OperatorState:
        if not has_scope(operator.roles, scope):
            raise HTTPException(403, refusal(operator.roles, scope))
        return operator

    return scoped_operator


def conversation_guard(
    current: CurrentOperator, handoff: Handoff, *, to_note: bool = False
) -> CurrentOperator:
    """A dependency like `current` for the routes under `/conversations/{conversation_id}`:
    404 for a conversation out of the operator's reach (`relevo.handoff.visibility`), in
    the words used for one that does not exist; with `to_note`, 403 for one they may see
    but not annotate."""

    async def guarded(
        conversation_id: RowId, operator: OperatorState = Depends(current)
    ) -> OperatorState:
        async with handoff.database.read() as conn:
            where = await whereabouts(conn, conversation_id)
        if where is None or not may_see(operator, where):
            raise HTTPException(404, f"conversation {conversation_id} does not exist")
        if to_note and not may_note(operator, where):
            raise HTTPException(
                403, f"conversation {conversation_id} is not assigned to you: only its "
                     "operator (or a manager) adds notes to it")
        return operator

    return guarded


def operator_actor(operator: OperatorState, request: Request) -> Actor:
    """Who did it, for the audit log: the operator, from the client's address."""
    return Actor("operator", operator.name, operator.id,
                 source=request.client.host if request.client else None)
