"""`/api/kb/articles…`: the articles' REST API (list, read, write drafts, revisions, diff,
restore, and the review workflow), for the editor page and any script.

Authenticated like the operator API (a `StaffDoor` from the composition root); each
route checks one scope: `kb:propose` reads, `kb:edit` writes drafts and submits them,
`kb:review` publishes, rejects and archives. Refusals: 403 names the roles and the scope,
404 the article, 409 a conflict (a stale save carries the `current` revision, a publish
that would turn right answers wrong its `regressions`), 422 the `field` and the reason.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Path, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from relevo.bot.http import BodyId
from relevo.bot.roles import Scope, Staff, StaffDoor
from relevo.bot.types import RefusalKind, Refused
from relevo.knowledge_base.editorial import Editorial
from relevo.knowledge_base.store import Person
from relevo.knowledge_base.views import (
    ArticleDetail,
    InvalidField,
    Regressions,
    Stale,
    invalid,
    revision_detail,
    revision_summary,
)

STATUS = {RefusalKind.NOT_FOUND: 404, RefusalKind.CONFLICT: 409,
          RefusalKind.FORBIDDEN: 403, RefusalKind.INVALID: 422}
Intent = Annotated[str, Path(max_length=100, description="the article's intent")]
Number = Annotated[int, Path(ge=1, le=2**31 - 1, description="a revision number")]
Note = Annotated[str, Field(max_length=2000)]
Status = Literal["draft", "in_review", "published", "archived"]
Responses = dict[int | str, dict[str, Any]]
_ERROR = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
CONFLICT: Responses = {409: {"description": "the article's state or head revision does "
                             "not allow it (a stale save: `current`, the newer revision)",
                             "content": _ERROR}}
INVALID: Responses = {422: {"description": "invalid article: `field` names what to fix",
                            "content": _ERROR}}
REGRESSIONS: Responses = {409: {"description": "not publishable now, or it would turn right "
                                "answers wrong (`regressions`): confirm to publish anyway",
                                "content": _ERROR}}


class Content(BaseModel):
    """An article's content: the YAML article's fields but intent and status."""

    model_config = ConfigDict(extra="forbid")
    topic: str
    tags: list[str] = []
    title: dict[str, str]
    questions: dict[str, list[str]]
    answer: dict[str, str]


class NewArticle(Content):
    intent: str = Field(max_length=100)
    note: Note = ""
    proposal: BodyId | None = Field(None, description="the community proposal it comes from")


class SavedArticle(Content):
    intent: str | None = Field(None, description="optional: the path's intent (no renames)")
    base_revision: int = Field(ge=1, description="the head revision this edit started from")
    note: Note = ""
    proposal: BodyId | None = None


class NoteBody(BaseModel):
    note: Note = ""


class RejectBody(BaseModel):
    note: Annotated[str, Field(min_length=1, max_length=2000)]


class RestoreBody(BaseModel):
    revision: int = Field(ge=1)
    base_revision: int = Field(ge=1)


class PublishBody(BaseModel):
    revision: int | None = Field(None, ge=1, description="the head revision being approved")
    confirm: bool = False
    note: Note = ""


def answered(result: Any | Refused) -> Any:
    """The service's result, or its refusal as the HTTP answer the spec gives."""
    if not isinstance(result, Refused):
        return result
    body: dict[str, Any] = {"detail": result.reason}
    if isinstance(result, InvalidField):
        body["field"] = result.field
    elif isinstance(result, Stale):
        body["current"] = revision_detail(result.current)
    elif isinstance(result, Regressions):
        body["regressions"] = list(result.changes)
    if len(body) == 1:
        raise HTTPException(STATUS[result.kind], result.reason)
    return JSONResponse(body, status_code=STATUS[result.kind])


def _detail(result: ArticleDetail | Refused, status: int = 200, **extra: Any) -> Any:
    shown = answered(result)
    if not isinstance(shown, ArticleDetail):
        return shown
    return JSONResponse({**shown.json(), **extra}, status_code=status)


def _content(body: Content) -> dict[str, Any]:
    return body.model_dump(include={"topic", "tags", "title", "questions", "answer"})


def kb_articles_router(editorial: Editorial, door: StaffDoor) -> APIRouter:
    """Every `/api/kb/articles` route (kb-api.md, "Articles")."""
    router = APIRouter(prefix="/api/kb", tags=["knowledge base"])

    def allowed(scope: Scope) -> Any:
        async def scoped(staff: Staff = Depends(door)) -> Staff:
            if not staff.may(scope):
                roles = ", ".join(sorted(role.value for role in staff.roles)) or "none"
                raise HTTPException(403, f"your roles ({roles}) may not do this: "
                                         f"it needs {scope.value}")
            return staff

        return Depends(scoped)

    reader, editor, reviewer = (allowed(Scope.KB_PROPOSE), allowed(Scope.KB_EDIT),
                                allowed(Scope.KB_REVIEW))
    _reading_routes(router, editorial, reader)

    @router.post("/articles", status_code=201, summary="Create an article (a draft)",
                 responses={**CONFLICT, **INVALID})
    async def create(body: NewArticle, staff: Staff = editor) -> Any:
        return _detail(await editorial.create(
            {"intent": body.intent, **_content(body)}, _person(staff), body.note,
            body.proposal), 201)

    @router.put("/articles/{intent}", summary="Save a new revision (optimistic: base_revision)",
                responses={**CONFLICT, **INVALID})
    async def save(intent: Intent, body: SavedArticle, staff: Staff = editor) -> Any:
        if body.intent not in (None, intent):
            return answered(invalid("intent", f"an article cannot be renamed ('{intent}')"))
        return _detail(await editorial.save(intent, _content(body), body.base_revision,
                                            _person(staff), body.note, body.proposal))

    @router.post("/articles/{intent}/restore", summary="Restore a revision as a new draft",
                 responses=CONFLICT)
    async def restore(intent: Intent, body: RestoreBody, staff: Staff = editor) -> Any:
        return _detail(await editorial.restore(intent, body.revision, body.base_revision,
                                               _person(staff)))

    _workflow_routes(router, editorial, editor, reviewer)
    return router


def _workflow_routes(router: APIRouter, editorial: Editorial, editor: Any, reviewer: Any) -> None:
    @router.post("/articles/{intent}/submit", summary="Submit a draft for review",
                 responses=CONFLICT)
    async def submit(intent: Intent, body: NoteBody | None = None,
                     staff: Staff = editor) -> Any:
        return _detail(await editorial.submit(intent, _person(staff), _note(body)))

    @router.post("/articles/{intent}/reject", summary="Send an article in review back",
                 responses=CONFLICT)
    async def reject(intent: Intent, body: RejectBody, staff: Staff = reviewer) -> Any:
        return _detail(await editorial.reject(intent, _person(staff), body.note))

    @router.post("/articles/{intent}/publish", summary="Approve and publish the head revision",
                 responses=REGRESSIONS)
    async def publish(intent: Intent, body: PublishBody | None = None,
                      staff: Staff = reviewer) -> Any:
        asked = body or PublishBody()
        done = await editorial.publish(
            intent, _person(staff), revision=asked.revision, confirm=asked.confirm,
            note=asked.note, skip_review=staff.may(Scope.KB_EDIT))
        return _detail(done, model={"requested": editorial.retrains})

    @router.post("/articles/{intent}/archive", summary="Archive: stop serving the article",
                 responses=CONFLICT)
    async def archive(intent: Intent, body: NoteBody | None = None,
                      staff: Staff = reviewer) -> Any:
        return _detail(await editorial.archive(intent, _person(staff), _note(body)))


def _reading_routes(router: APIRouter, editorial: Editorial, reader: Any) -> None:
    @router.get("/articles", summary="List articles (filters: status, topic, language, owner)")
    async def articles(
        status: Status | None = None,
        topic: Annotated[str | None, Query(max_length=100)] = None,
        language: Annotated[str | None, Query(max_length=16)] = None,
        owner: Annotated[str | None, Query(pattern=r"^(me|[1-9][0-9]{0,18})$",
                                           description="an operator id, or `me`")] = None,
        q: Annotated[str | None, Query(max_length=200)] = None,
        staff: Staff = reader,
    ) -> dict[str, Any]:
        owner_id = None if owner is None else staff.id if owner == "me" else int(owner)
        found = await editorial.articles(status=status, topic=topic, language=language,
                                         owner_id=owner_id, query=q)
        return {"articles": [view.summary() for view in found]}

    @router.get("/articles/{intent}", summary="An article: head, published revision, events")
    async def article(intent: Intent, staff: Staff = reader) -> Any:
        return _detail(await editorial.article(intent))

    @router.get("/articles/{intent}/revisions", summary="An article's revisions, newest first")
    async def revisions(intent: Intent, staff: Staff = reader) -> dict[str, Any]:
        row, found = answered(await editorial.history(intent))
        return {"revisions": [revision_summary(r, row.published_revision) for r in found]}

    @router.get("/articles/{intent}/revisions/{number}", summary="One revision's content")
    async def revision(intent: Intent, number: Number, staff: Staff = reader) -> dict[str, Any]:
        return revision_detail(answered(await editorial.revision(intent, number)))

    @router.get("/articles/{intent}/diff", summary="What changed between two revisions")
    async def diff(
        intent: Intent,
        before: Annotated[int, Query(alias="from", ge=1, le=2**31 - 1)],
        after: Annotated[int, Query(alias="to", ge=1, le=2**31 - 1)],
        staff: Staff = reader,
    ) -> dict[str, Any]:
        changes = answered(await editorial.diff(intent, before, after))
        return {"from": before, "to": after, "changes": changes}


def _person(staff: Staff) -> Person:
    return Person(staff.id, staff.name)


def _note(body: NoteBody | None) -> str:
    return "" if body is None else body.note
