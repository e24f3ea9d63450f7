"""The inbox's REST routes (`/api/kb/clusters…`, `/api/kb/proposals…`; issue #13's
knowledge-base API): everyone reads clusters and proposes answers (`kb:propose`),
editors resolve and dismiss (`kb:edit`), reviewers decline proposals (`kb:review`)."""

from __future__ import annotations

from collections.abc import Collection
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict

from relevo.bot.http import RowId
from relevo.bot.roles import Scope, Staff, StaffDoor
from relevo.bot.text import language_of
from relevo.bot.types import RefusalKind, Refused
from relevo.knowledge_base import inbox_actions as actions
from relevo.knowledge_base import inbox_views as views
from relevo.knowledge_base.inbox import UnansweredInbox
from relevo.knowledge_base.inbox_actions import Invalid
from relevo.knowledge_base.schema import CLUSTER_STATUSES

_STATUS = {RefusalKind.NOT_FOUND: 404, RefusalKind.CONFLICT: 409,
           RefusalKind.FORBIDDEN: 403, RefusalKind.INVALID: 422}
# Every refusal is the shared `{"detail": reason}` (422 adds `field`).
_ERROR = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}


def _refusals(**descriptions: str) -> dict[int | str, dict[str, Any]]:
    return {int(code[1:]): {"description": text, "content": _ERROR}
            for code, text in descriptions.items()}


_ERRORS = _refusals(s401="nobody signed in",
                    s403="the signed-in person's roles may not do this")
_ONE = {**_ERRORS, **_refusals(s404="no such cluster")}
_WRITE = {**_ONE, **_refusals(s409="the cluster is no longer open",
                              s422="invalid: `{detail, field}`")}


class ResolveBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    article: str | None = None  # the intent of the article that now answers the cluster


class DismissBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str | None = None  # required, at most 500 characters


class ProposalBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    answer: str | None = None
    language: str | None = None  # default: the cluster's


class DeclineBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str | None = None


def _allowed(staff: Staff, scope: Scope) -> None:
    if not staff.may(scope):
        roles = ", ".join(sorted(staff.roles)) or "none"
        raise HTTPException(403, f"your roles ({roles}) may not do this: it needs {scope}")


def _refusal(result: Refused | Invalid) -> JSONResponse:
    if isinstance(result, Invalid):
        return JSONResponse({"detail": f"{result.field}: {result.reason}",
                             "field": result.field}, status_code=422)
    return JSONResponse({"detail": result.reason}, status_code=_STATUS[result.kind])


def inbox_router(inbox: UnansweredInbox, door: StaffDoor, languages: Collection[str]) -> APIRouter:
    """The routes; `door` says who is asking, `languages`: the shop's."""
    router = APIRouter(prefix="/api/kb", tags=["knowledge base: inbox"])
    half_life = inbox.settings.half_life_days
    database = inbox.database

    @router.get("/clusters", summary="Unanswered-question clusters, most pressing first",
                responses=_ERRORS)
    async def list_clusters(
        language: Annotated[str | None, Query(max_length=16)] = None,
        status: Annotated[str, Query(pattern="^(" + "|".join(CLUSTER_STATUSES) + ")$")] = "open",
        limit: Annotated[int, Query(ge=1, le=500)] = 50,
        *, staff: Staff = Depends(door),
    ) -> dict[str, Any]:
        """Ranked by score = size × recency decay (halved every `half_life_days`)."""
        _allowed(staff, Scope.KB_PROPOSE)
        async with database.read() as conn:
            found = await views.cluster_summaries(
                conn, now=inbox.now(), half_life_days=half_life, status=status,
                language=language_of(language), limit=limit)
        return {"clusters": found}

    @router.get("/clusters/{cluster_id}", summary="One cluster: examples, operator "
                "replies, proposals and the prefill for a new article", responses=_ONE)
    async def get_cluster(cluster_id: RowId, staff: Staff = Depends(door)) -> dict[str, Any]:
        _allowed(staff, Scope.KB_PROPOSE)
        async with database.read() as conn:
            found = await views.cluster_detail(conn, cluster_id, now=inbox.now(),
                                               half_life_days=half_life)
        if found is None:
            raise HTTPException(404, f"cluster {cluster_id} does not exist")
        return found

    _closing_routes(router, inbox, door)
    _proposal_routes(router, inbox, door, languages)
    return router


def _closing_routes(router: APIRouter, inbox: UnansweredInbox, door: StaffDoor) -> None:
    database = inbox.database

    async def _detail(cluster_id: int) -> dict[str, Any]:
        async with database.read() as conn:
            found = await views.cluster_detail(conn, cluster_id, now=inbox.now(),
                                               half_life_days=inbox.settings.half_life_days)
        return found or {}

    @router.post("/clusters/{cluster_id}/resolve", summary="Mark a cluster answered by "
                 "an article", responses=_WRITE, response_model=None)
    async def resolve(cluster_id: RowId, body: ResolveBody,
                      staff: Staff = Depends(door)) -> dict[str, Any] | JSONResponse:
        _allowed(staff, Scope.KB_EDIT)
        async with database.write() as conn:
            result = await actions.resolve(conn, cluster_id, body.article, staff, inbox.now())
        if result is not None:
            return _refusal(result)
        inbox.forget(cluster_id)
        return await _detail(cluster_id)

    @router.post("/clusters/{cluster_id}/dismiss", summary="Dismiss a cluster, with a "
                 "reason", responses=_WRITE, response_model=None)
    async def dismiss(cluster_id: RowId, body: DismissBody,
                      staff: Staff = Depends(door)) -> dict[str, Any] | JSONResponse:
        _allowed(staff, Scope.KB_EDIT)
        async with database.write() as conn:
            result = await actions.dismiss(conn, cluster_id, body.reason, staff, inbox.now())
        if result is not None:
            return _refusal(result)
        inbox.forget(cluster_id)
        return await _detail(cluster_id)


def _proposal_routes(
    router: APIRouter, inbox: UnansweredInbox, door: StaffDoor, languages: Collection[str]
) -> None:
    database = inbox.database

    @router.post("/clusters/{cluster_id}/proposals", status_code=201, response_model=None,
                 summary="Propose an answer to a cluster", responses=_WRITE)
    async def propose(cluster_id: RowId, body: ProposalBody,
                      staff: Staff = Depends(door)) -> dict[str, Any] | JSONResponse:
        _allowed(staff, Scope.KB_PROPOSE)
        async with database.write() as conn:
            result = await actions.propose(conn, cluster_id, body.answer, body.language,
                                           staff, inbox.now(), languages)
            if isinstance(result, int):
                return (await views.proposals_of(conn, proposal_id=result))[0]
        return _refusal(result)

    @router.post("/proposals/{proposal_id}/decline", summary="Decline a proposed answer",
                 response_model=None,
                 responses={**_WRITE, **_refusals(s404="no such proposal",
                                                  s409="the proposal is no longer open")})
    async def decline(proposal_id: RowId, body: DeclineBody | None = None,
                      staff: Staff = Depends(door)) -> dict[str, Any] | JSONResponse:
        _allowed(staff, Scope.KB_REVIEW)
        async with database.write() as conn:
            result = await actions.decline(conn, proposal_id, body.reason if body else None)
            if result is None:
                return (await views.proposals_of(conn, proposal_id=proposal_id))[0]
        return _refusal(result)
