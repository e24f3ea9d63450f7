"""Who is making an operator API request: the `Me` dependency shared by the operator
API and the operator admin routes.

Its own module so both import it at module level: under `from __future__ import
annotations` FastAPI resolves `operator: Me` from the route module's globals, and a
function-local import left it unresolved (every admin request answered 422 and
`/openapi.json` answered 500).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, HTTPException, Request

from relevo.handoff.operators import OperatorState
from relevo.handoff.service import Handoff

SESSION_COOKIE = "relevo_console"
CSRF_HEADER = "x-relevo-console"


async def current_operator(
    request: Request, authorization: Annotated[str | None, Header()] = None
) -> OperatorState:
    """The operator making the request (Bearer token, or console cookie + header)."""
    handoff: Handoff = request.app.state.relevo.extras["handoff"]
    scheme, _, token = (authorization or "").partition(" ")
    bearer = token.strip() if scheme.lower() == "bearer" else None
    cookie = request.cookies.get(SESSION_COOKIE)
    if not bearer and not cookie:
        raise HTTPException(401, "missing operator token: send Authorization: Bearer <token>")
    if not bearer and request.method not in ("GET", "HEAD") and \
            request.headers.get(CSRF_HEADER) != "1":
        raise HTTPException(403, f"console requests need the {CSRF_HEADER} header")
    operator = await handoff.authenticate(bearer, None if bearer else cookie)
    if operator is None:
        raise HTTPException(401, "unknown operator token or expired session")
    await handoff.seen(operator)
    return operator


Me = Annotated[OperatorState, Depends(current_operator)]
