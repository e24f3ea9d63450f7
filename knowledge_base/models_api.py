"""`/api/kb/preview`, `/api/kb/replay` and `/api/kb/models`: what the bot would answer
with a draft, which answers a draft would change, and the model versions (retrain now).

Every route takes the signed-in person from the `StaffDoor` and checks a scope:
kb:propose to read and preview, kb:review to ask for a retrain.
"""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa
from fastapi import APIRouter, Depends, HTTPException
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from relevo.bot.roles import Scope, Staff, StaffDoor
from relevo.bot.store.db import Database
from relevo.knowledge_base.articles import Article, ArticleError, article_from_mapping
from relevo.knowledge_base.preview import DEFAULT_REPLAY_LIMIT, Previewer
from relevo.knowledge_base.publishing import Publisher
from relevo.knowledge_base.schema import kb_models

HISTORY = 20
MAX_REPLAY_LIMIT = 1000
_FIELD = re.compile(r"\b((?:questions|answer|title)\.[A-Za-z_-]+)")
_MISSING = re.compile(r"locale '([^']+)' has .* but no (answer|questions|title)")
_NAMED = re.compile(r"\b(intent|topic|tags|tag|title|questions|answer)\b")


class ArticleContent(BaseModel):
    """An article's content, as the editor holds it (saved or not)."""

    intent: str
    topic: str
    tags: list[str] = Field(default_factory=list)
    title: dict[str, str]
    questions: dict[str, list[str]]
    answer: dict[str, str]


class PreviewBody(BaseModel):
    text: str = Field(min_length=1, max_length=2000)
    locale: str | None = Field(default=None, max_length=16)
    article: ArticleContent | None = None


class ReplayBody(BaseModel):
    article: ArticleContent
    limit: int = Field(default=DEFAULT_REPLAY_LIMIT, ge=0, le=MAX_REPLAY_LIMIT)


def draft_article(content: ArticleContent) -> Article | JSONResponse:
    """The content as an `Article` (the YAML import's rules), else the 422 answer
    naming the field."""
    try:
        return article_from_mapping({**content.model_dump(), "status": "draft"})
    except ArticleError as exc:
        field = _field_of(exc.problem)
        return JSONResponse({"detail": f"{field}: {exc.problem}", "field": field},
                            status_code=422)


def _field_of(problem: str) -> str:
    """The dotted field an `ArticleError`'s problem is about ("locale 'en' has an answer
    but no title" is about title.en)."""
    missing = _MISSING.search(problem)
    if missing is not None:
        return f"{missing.group(2)}.{missing.group(1)}"
    found = _FIELD.search(problem) or _NAMED.search(problem)
    if found is None:
        return "article"
    name = found.group(1)
    return "tags" if name == "tag" else name


def refuse_unless(staff: Staff, scope: Scope) -> None:
    if not staff.may(scope):
        roles = ", ".join(sorted(staff.roles)) or "none"
        raise HTTPException(403, f"your roles ({roles}) may not do this: it needs {scope.value}")


def models_api(
    database: Database, publisher: Publisher, previewer: Previewer, door: StaffDoor
) -> APIRouter:
    router = APIRouter(prefix="/api/kb", tags=["knowledge base"])

    @router.post("/preview", summary="What the bot answers now, and with a draft article",
                 response_model=None)
    async def preview(
        body: PreviewBody, staff: Staff = Depends(door)
    ) -> dict[str, Any] | JSONResponse:
        refuse_unless(staff, Scope.KB_PROPOSE)
        draft = draft_article(body.article) if body.article is not None else None
        if isinstance(draft, JSONResponse):
            return draft
        return await previewer.preview(body.text, body.locale, draft)

    @router.post("/replay", summary="Every answer a draft article would change",
                 response_model=None)
    async def replay(
        body: ReplayBody, staff: Staff = Depends(door)
    ) -> dict[str, Any] | JSONResponse:
        refuse_unless(staff, Scope.KB_PROPOSE)
        draft = draft_article(body.article)
        if isinstance(draft, JSONResponse):
            return draft
        return await previewer.replay(draft, body.limit)

    @router.get("/models", summary="The served model version, training and history")
    async def models(staff: Staff = Depends(door)) -> dict[str, Any]:
        refuse_unless(staff, Scope.KB_PROPOSE)
        return await model_status(database, publisher)

    @router.post("/models", status_code=202, summary="Retrain from the published articles now")
    async def retrain(staff: Staff = Depends(door)) -> JSONResponse:
        refuse_unless(staff, Scope.KB_REVIEW)
        publisher.request(staff.name)
        return JSONResponse({"requested": True}, status_code=202)

    return router


async def model_status(database: Database, publisher: Publisher) -> dict[str, Any]:
    """GET /api/kb/models's answer: the version this process serves, whether it is
    training, the latest failure not followed by a ready version, the last 20."""
    async with database.read() as conn:
        rows = (await conn.execute(
            sa.select(kb_models).order_by(kb_models.c.version.desc()).limit(HISTORY)
        )).mappings().all()
        served = publisher.served_version
        serving = None if served is None else (await conn.execute(
            sa.select(kb_models).where(kb_models.c.version == served))).mappings().first()
    history = [_version(row) for row in rows]
    failure = None
    for row in rows:
        if row["status"] == "ready":
            break
        if row["status"] == "failed":
            failure = {"version": row["version"], "error": row["error"],
                       "at": _iso(row["finished_at"] or row["created_at"])}
            break
    return {
        "serving": None if serving is None else {
            key: value for key, value in _version(serving).items()
            if key in ("version", "articles", "examples", "train_seconds", "created_at")},
        "training": publisher.training,
        "last_failure": failure,
        "history": history,
    }


def _version(row: Any) -> dict[str, Any]:
    return {
        "version": row["version"], "status": row["status"], "articles": row["articles"],
        "examples": row["examples"], "train_seconds": row["train_seconds"],
        "error": row["error"], "created_at": _iso(row["created_at"]),
        "finished_at": _iso(row["finished_at"]),
    }


def _iso(value: Any) -> str | None:
    return None if value is None else value.isoformat()
