"""What the editorial service answers, and its JSON as the REST API gives it
(`/work/briefs/kb-api.md`: ArticleSummary, ArticleDetail, RevisionDetail)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from relevo.bot.types import RefusalKind, Refused
from relevo.knowledge_base.store import ArticleRow, EventRow, RevisionRow


def iso(moment: datetime) -> str:
    return moment.isoformat()


@dataclass(frozen=True, slots=True)
class ArticleView:
    """An article as a list shows it: its row, its head content, its votes."""

    row: ArticleRow
    content: dict[str, Any]
    helpful: int = 0
    not_helpful: int = 0

    @property
    def languages(self) -> list[str]:
        return sorted(self.content.get("answer") or {})

    def summary(self) -> dict[str, Any]:
        row = self.row
        return {
            "intent": row.intent, "status": row.status, "topic": self.content.get("topic"),
            "tags": list(self.content.get("tags") or []),
            "title": dict(self.content.get("title") or {}), "languages": self.languages,
            "owner": None if row.owner is None else row.owner.json(),
            "head_revision": row.head_revision, "published_revision": row.published_revision,
            "updated_at": iso(row.updated_at), "helpful": self.helpful,
            "not_helpful": self.not_helpful,
        }


@dataclass(frozen=True, slots=True)
class ArticleDetail:
    view: ArticleView
    published: dict[str, Any] | None
    events: tuple[EventRow, ...]

    @property
    def intent(self) -> str:
        return self.view.row.intent

    def json(self) -> dict[str, Any]:
        return {
            **self.view.summary(), "content": self.view.content, "published": self.published,
            "events": [{"action": e.action, "revision": e.revision, "actor": e.actor.json(),
                        "note": e.note, "at": iso(e.at)} for e in self.events],
        }


def revision_summary(revision: RevisionRow, published: int | None) -> dict[str, Any]:
    return {"number": revision.number, "author": revision.author.json(),
            "note": revision.note, "created_at": iso(revision.created_at),
            "published": revision.number == published}


def revision_detail(revision: RevisionRow) -> dict[str, Any]:
    return {"number": revision.number, "author": revision.author.json(),
            "note": revision.note, "created_at": iso(revision.created_at),
            "content": revision.content}


# --- refusals that carry more than a reason -----------------------------------------------


@dataclass(frozen=True, slots=True)
class InvalidField(Refused):
    """An invalid article: `field` is the dotted path to fix (`questions.es`)."""

    field: str


@dataclass(frozen=True, slots=True)
class Stale(Refused):
    """A save based on a revision that is no longer the head: nothing was stored."""

    current: RevisionRow


@dataclass(frozen=True, slots=True)
class Regressions(Refused):
    """Publishing would turn right answers wrong; the reviewer must confirm."""

    changes: tuple[dict[str, Any], ...]


def not_found(intent: str) -> Refused:
    return Refused(RefusalKind.NOT_FOUND, f"article '{intent}' does not exist")


def conflict(reason: str) -> Refused:
    return Refused(RefusalKind.CONFLICT, reason)


def invalid(field: str, reason: str) -> InvalidField:
    return InvalidField(RefusalKind.INVALID, f"{field}: {reason}", field)
