"""The editorial service: articles with immutable revisions and a review workflow.

    draft ──submit──► in_review ──publish──► published ──archive──► archived
      ▲                  │ reject                │ save (a new head: draft)
      └──────────────────┴───────────────────────┘

Every save is a new revision (author, time, note); nothing is overwritten. A save names
the revision it was based on (`base_revision`): when someone saved in between, it is
refused with the newer revision and nothing is stored, so no edit is ever lost. A
published article keeps serving `published_revision` while its newer head is drafted
and reviewed; archiving stops serving it. Publishing runs the injected regression check
first, emits `ArticlePublished` after the commit and asks for a retrain (`on_published`).
Refusals are `Refused` values (`views.InvalidField`, `views.Stale`, `views.Regressions`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from relevo.bot.clock import Clock, utc_now
from relevo.bot.events import NO_CONVERSATION, ArticlePublished
from relevo.bot.protocols import Bus
from relevo.bot.store.db import Database
from relevo.bot.types import RefusalKind, Refused
from relevo.knowledge_base import importing, store
from relevo.knowledge_base.articles import Article, load_dir
from relevo.knowledge_base.revisions import (
    AnswerCheck,
    Invalid,
    article_of,
    content_of,
    diff,
    validate,
)
from relevo.knowledge_base.store import ArticleRow, Person, RevisionRow
from relevo.knowledge_base.views import (
    ArticleDetail,
    ArticleView,
    Regressions,
    Stale,
    conflict,
    invalid,
    iso,
    not_found,
)

log = logging.getLogger("relevo.knowledge_base")

async def published_articles(database: Database) -> list[Article]:
    """What shoppers are served: each article's published revision (not archived)."""
    async with database.read() as conn:
        served = await store.served_contents(conn)
    return [article_of(intent, "published", content) for intent, content in served]


RegressionCheck = Callable[[Article], Awaitable[list[dict[str, Any]]]]
Hook = Callable[[], Awaitable[None]]


class Editorial:
    def __init__(
        self, database: Database, bus: Bus, clock: Clock = utc_now, *,
        check_regressions: RegressionCheck | None = None, on_published: Hook | None = None,
        answer_check: AnswerCheck | None = None,
    ) -> None:
        """`check_regressions`: what publishing an article would turn wrong (the
        replay); `on_published`: asks for a retrain once the served articles changed;
        `answer_check`: the safe formatting subset's refusals (`bot.formatting.problems`)."""
        self._database = database
        self._bus = bus
        self._clock = clock
        self._check_regressions = check_regressions
        self._on_published = on_published
        self._answer_check = answer_check

    # --- reads ------------------------------------------------------------------------

    async def articles(
        self, *, status: str | None = None, topic: str | None = None,
        language: str | None = None, owner_id: int | None = None, query: str | None = None,
    ) -> list[ArticleView]:
        """Every article (head content), filtered, sorted by intent."""
        async with self._database.read() as conn:
            rows = await store.articles_with_heads(conn, status=status, owner_id=owner_id)
            votes = await store.feedback(conn, [row.intent for row, _ in rows])
        needle = (query or "").strip().lower()
        views = []
        for row, content in rows:
            if topic and content.get("topic") != topic:
                continue
            if language and language not in (content.get("answer") or {}):
                continue
            titles = " ".join((content.get("title") or {}).values())
            if needle and needle not in row.intent.lower() and needle not in titles.lower():
                continue
            views.append(ArticleView(row, content, *votes.get(row.intent, (0, 0))))
        return views

    async def article(self, intent: str) -> ArticleDetail | Refused:
        async with self._database.read() as conn:
            row = await store.article(conn, intent)
            if row is None:
                return not_found(intent)
            head = await store.revision(conn, row.id, row.head_revision)
            served = None if row.published_revision is None else \
                await store.revision(conn, row.id, row.published_revision)
            events = await store.events(conn, row.id)
            votes = await store.feedback(conn, [intent])
        assert head is not None  # the head revision is written with the article
        view = ArticleView(row, head.content, *votes.get(intent, (0, 0)))
        return ArticleDetail(view, None if served is None else served.content, tuple(events))

    async def history(self, intent: str) -> tuple[ArticleRow, list[RevisionRow]] | Refused:
        async with self._database.read() as conn:
            row = await store.article(conn, intent)
            if row is None:
                return not_found(intent)
            return row, await store.revisions(conn, row.id)

    async def revision(self, intent: str, number: int) -> RevisionRow | Refused:
        async with self._database.read() as conn:
            row = await store.article(conn, intent)
            if row is None:
                return not_found(intent)
            found = await store.revision(conn, row.id, number)
        if found is None:
            return Refused(RefusalKind.NOT_FOUND,
                           f"article '{intent}' has no revision {number}")
        return found

    async def diff(self, intent: str, before: int, after: int) -> list[dict[str, Any]] | Refused:
        old = await self.revision(intent, before)
        if isinstance(old, Refused):
            return old
        new = await self.revision(intent, after)
        if isinstance(new, Refused):
            return new
        return diff(old.content, new.content, f"revision {before}", f"revision {after}")

    async def published_articles(self) -> list[Article]:
        """What shoppers are served: each article's published revision (not archived)."""
        return await published_articles(self._database)

    async def all_articles(self) -> list[Article]:
        """Every article's head revision with its status (what an export writes)."""
        async with self._database.read() as conn:
            rows = await store.articles_with_heads(conn)
        return [article_of(row.intent, row.status, content) for row, content in rows]

    # --- writing drafts ---------------------------------------------------------------

    async def create(
        self, data: Mapping[str, Any], author: Person, note: str = "",
        proposal: int | None = None,
    ) -> ArticleDetail | Refused:
        """A new article: revision 1, a draft owned by its author."""
        checked = self._validated(data)
        if isinstance(checked, Refused):
            return checked
        now = self._clock()
        async with self._database.write() as conn:
            if await store.article(conn, checked.intent) is not None:
                return conflict(f"article '{checked.intent}' already exists")
            credited = await self._credited(conn, proposal)
            if isinstance(credited, Refused):
                return credited
            article_id = await store.insert_article(conn, checked.intent, "draft", author.id, now)
            await store.insert_revision(conn, article_id, 1, author, note, content_of(checked),
                                        now, credited)
            await store.update_article(conn, article_id, head_revision=1)
            await store.add_event(conn, article_id, 1, "create", author, note, now)
        return await self.article(checked.intent)

    async def save(
        self, intent: str, data: Mapping[str, Any], base_revision: int, author: Person,
        note: str = "", proposal: int | None = None,
    ) -> ArticleDetail | Refused:
        """A new head revision; the article becomes a draft (a published revision keeps
        serving). Refused with the newer revision when `base_revision` is not the head."""
        checked = self._validated({**data, "intent": intent})
        if isinstance(checked, Refused):
            return checked
        return await self._new_head(intent, content_of(checked), base_revision, author,
                                    note, "save", proposal)

    async def restore(
        self, intent: str, number: int, base_revision: int, author: Person
    ) -> ArticleDetail | Refused:
        """Revision `number`'s content as a new head revision (a draft)."""
        old = await self.revision(intent, number)
        if isinstance(old, Refused):
            return old
        return await self._new_head(intent, old.content, base_revision, author,
                                    f"restored revision {number}", "restore", None)

    async def _new_head(
        self, intent: str, content: dict[str, Any], base_revision: int, author: Person,
        note: str, action: str, proposal: int | None,
    ) -> ArticleDetail | Refused:
        now = self._clock()
        async with self._database.write() as conn:
            row = await store.article(conn, intent, lock=True)
            if row is None:
                return not_found(intent)
            if row.head_revision != base_revision:
                return await self._stale(conn, row, base_revision)
            credited = await self._credited(conn, proposal)
            if isinstance(credited, Refused):
                return credited
            number = row.head_revision + 1
            await store.insert_revision(conn, row.id, number, author, note, content, now,
                                        credited)
            await store.update_article(conn, row.id, head_revision=number, status="draft",
                                       updated_at=now)
            await store.add_event(conn, row.id, number, action, author, note, now)
        return await self.article(intent)

    async def _stale(self, conn: Any, row: ArticleRow, base_revision: int) -> Stale:
        current = await store.revision(conn, row.id, row.head_revision)
        assert current is not None
        return Stale(RefusalKind.CONFLICT,
                     f"article '{row.intent}' changed since revision {base_revision}: "
                     f"revision {current.number} by {current.author.name} at "
                     f"{iso(current.created_at)}", current)

    def _validated(self, data: Mapping[str, Any]) -> Article | Refused:
        checked = validate(data, self._answer_check)
        if isinstance(checked, Invalid):
            return invalid(checked.field, checked.reason)
        return checked

    @staticmethod
    async def _credited(conn: Any, proposal: int | None) -> int | Refused | None:
        if proposal is None:
            return None
        operator_id = await store.proposer(conn, proposal)
        if operator_id is None:
            return invalid("proposal", f"proposal {proposal} does not exist")
        return operator_id

    # --- the workflow -----------------------------------------------------------------

    async def submit(self, intent: str, actor: Person, note: str = "") -> ArticleDetail | Refused:
        return await self._move(intent, actor, note, "submit", ("draft",), "in_review")

    async def reject(self, intent: str, actor: Person, note: str) -> ArticleDetail | Refused:
        if not note.strip():
            return invalid("note", "say why the article goes back to its editor")
        return await self._move(intent, actor, note, "reject", ("in_review",), "draft")

    async def archive(self, intent: str, actor: Person, note: str = "") -> ArticleDetail | Refused:
        """Stops serving the article (its revisions stay); a retrain is requested."""
        moved = await self._move(intent, actor, note, "archive",
                                 ("draft", "in_review", "published"), "archived")
        if not isinstance(moved, Refused):
            await self._retrain()
        return moved

    async def _move(
        self, intent: str, actor: Person, note: str, action: str, allowed: tuple[str, ...],
        to: str,
    ) -> ArticleDetail | Refused:
        now = self._clock()
        async with self._database.write() as conn:
            row = await store.article(conn, intent, lock=True)
            if row is None:
                return not_found(intent)
            if row.status not in allowed:
                return conflict(f"article '{intent}' is {row.status}: only an article that "
                                f"is {' or '.join(allowed)} can be {_DONE[action]}")
            values: dict[str, Any] = {"status": to, "updated_at": now}
            if to == "archived":
                values["published_revision"] = None
            await store.update_article(conn, row.id, **values)
            await store.add_event(conn, row.id, row.head_revision, action, actor, note, now)
        return await self.article(intent)

    async def publish(
        self, intent: str, actor: Person, *, revision: int | None = None,
        confirm: bool = False, note: str = "", skip_review: bool = False,
    ) -> ArticleDetail | Refused:
        """Serve the head revision. It must be in review, or a draft when the reviewer
        may also edit (`skip_review`). Regressions refuse it unless `confirm`."""
        async with self._database.read() as conn:
            row = await store.article(conn, intent)
            if row is None:
                return not_found(intent)
            head = await store.revision(conn, row.id, row.head_revision)
        assert head is not None
        refusal = _publishable(row, revision, skip_review)
        if refusal is not None:
            return refusal
        if not confirm and self._check_regressions is not None:
            changes = await self._check_regressions(article_of(intent, "published", head.content))
            wrong = tuple(c for c in changes if c.get("regression", True))
            if wrong:
                return Regressions(RefusalKind.CONFLICT, (
                    f"publishing would change {len(wrong)} right answers into wrong ones: "
                    "confirm to publish anyway"), wrong)
        now = self._clock()
        async with self._database.write() as conn:
            current = await store.article(conn, intent, lock=True)
            if current is None or (current.head_revision, current.status) != \
                    (row.head_revision, row.status):
                return conflict(f"article '{intent}' changed while it was being published: "
                                "reload it and publish again")
            await store.update_article(conn, row.id, status="published",
                                       published_revision=row.head_revision, updated_at=now)
            await store.add_event(conn, row.id, row.head_revision, "publish", actor, note, now)
        await self._announce([(intent, row.head_revision, head.credited_operator_id)], now)
        await self._retrain()
        return await self.article(intent)

    @property
    def retrains(self) -> bool:
        """Whether publishing asks for a retrain (else the next start serves it)."""
        return self._on_published is not None

    async def _announce(
        self, published: Iterable[tuple[str, int, int | None]], now: datetime
    ) -> None:
        for intent, revision, credited in published:
            await self._bus.publish(ArticlePublished(
                conversation_id=NO_CONVERSATION, at=now, intent=intent, revision=revision,
                credited_operator_id=credited))

    async def _retrain(self) -> None:
        if self._on_published is None:
            return
        try:
            await self._on_published()
        except Exception:  # the articles are published; the retrain says why it failed
            log.exception("requesting a retrain after a publish failed")

    # --- import and seed ----------------------------------------------------------------

    async def import_articles(
        self, articles: Iterable[Article], author_name: str, note: str, *, draft: bool = False,
    ) -> importing.Imported:
        """Articles from YAML, in one transaction: each changed one a new revision;
        `draft`: as drafts, else with the status its file gives (published: served)."""
        now = self._clock()
        async with self._database.write() as conn:
            done = await importing.import_into(
                conn, list(articles), Person(None, author_name), note, draft=draft, now=now)
        await self._announce(done.published, now)
        if done.published or done.unpublished:
            await self._retrain()
        return done

    async def seed_from(self, directory: Path) -> int:
        """`seed` with the articles of `directory`, read only when there are none yet."""
        async with self._database.read() as conn:
            if await store.count(conn):
                return 0
        return await self.seed(await asyncio.to_thread(load_dir, directory), "seed")

    async def seed(self, articles: Iterable[Article], author_name: str) -> int:
        """Imports `articles` only when there are no articles yet; how many it did."""
        now = self._clock()
        wanted = list(articles)
        async with self._database.write() as conn:
            await store.lock_seed(conn)
            if await store.count(conn):
                return 0
            await importing.import_into(conn, wanted, Person(None, author_name),
                                        "seeded from the shop's articles", draft=False, now=now)
        return len(wanted)


_DONE = {"submit": "submitted for review", "reject": "sent back to draft",
         "archive": "archived"}


def _publishable(row: ArticleRow, revision: int | None, skip_review: bool) -> Refused | None:
    if revision is not None and revision != row.head_revision:
        return conflict(f"article '{row.intent}' changed since revision {revision}: "
                        f"its head is revision {row.head_revision}")
    if row.status == "in_review" or (row.status == "draft" and skip_review):
        return None
    if row.status == "draft":
        return conflict(f"article '{row.intent}' is a draft: submit it for review first")
    if row.status == "published":
        return conflict(f"article '{row.intent}' revision {row.head_revision} "
                        "is already published")
    return conflict(f"article '{row.intent}' is archived: save it as a draft first")
