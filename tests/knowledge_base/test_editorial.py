"""The editorial service on both databases: immutable revisions, the stale-save conflict
carrying the newer revision, diff, restore, the workflow and its refusals, a published
revision serving while a newer draft is reviewed, archive, regressions, import, seed."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from relevo.app.migrations import PACKAGE_MIGRATIONS
from relevo.bot.events import ArticlePublished
from relevo.bot.store.db import Database
from relevo.bot.store.migrate import upgrade
from relevo.bot.types import Event, RefusalKind, Refused
from relevo.knowledge_base.articles import Article, load_article_text
from relevo.knowledge_base.editorial import Editorial
from relevo.knowledge_base.schema import kb_revisions
from relevo.knowledge_base.store import Person
from relevo.knowledge_base.views import ArticleDetail, InvalidField, Regressions, Stale

ANA, BEA, REX = Person(None, "Ana"), Person(None, "Bea"), Person(None, "Rex")
GIFT: dict[str, Any] = {
    "intent": "gift_wrapping", "topic": "orders", "tags": ["gifts"],
    "title": {"en": "Gift wrapping", "es": "Envolver para regalo"},
    "questions": {"en": ["Can you gift wrap my order?"],
                  "es": ["¿Podéis envolverlo para regalo?"]},
    "answer": {"en": "Yes, for 2 euros.", "es": "Sí, por 2 euros."},
}


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 29, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now


class Recorder:
    def __init__(self) -> None:
        self.events: list[Event] = []
        self.retrains = 0

    async def publish(self, event: Event) -> None:
        self.events.append(event)

    def subscribe(self, handler: Any, *, name: str) -> Any:
        raise NotImplementedError

    async def retrain(self) -> None:
        self.retrains += 1


@pytest.fixture
async def database(database_url: str) -> AsyncIterator[Database]:
    database = Database(database_url)
    await upgrade(database, locations=PACKAGE_MIGRATIONS)
    yield database
    await database.close()


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def editorial(database: Database, recorder: Recorder) -> Editorial:
    return Editorial(database, recorder, Clock(), on_published=recorder.retrain)


def ok(result: ArticleDetail | Refused) -> ArticleDetail:
    assert isinstance(result, ArticleDetail), result
    return result


def edited(answer_en: str) -> dict[str, Any]:
    content = {k: v for k, v in GIFT.items() if k != "intent"}
    return {**content, "answer": {**GIFT["answer"], "en": answer_en}}


async def test_every_save_is_a_new_revision_and_old_ones_never_change(
    editorial: Editorial, database: Database
) -> None:
    first = ok(await editorial.create(GIFT, ANA, "first"))
    ok(await editorial.save("gift_wrapping", edited("Yes, 3 euros."), 1, BEA, "price"))
    one = await editorial.revision("gift_wrapping", 1)
    assert not isinstance(one, Refused)
    assert (first.view.row.status, first.view.row.head_revision) == ("draft", 1)
    assert one.content["answer"]["en"] == "Yes, for 2 euros."
    assert (one.author.name, one.note) == ("Ana", "first")
    history = await editorial.history("gift_wrapping")
    assert not isinstance(history, Refused)
    assert [(r.number, r.author.name) for r in history[1]] == [(2, "Bea"), (1, "Ana")]
    async with database.read() as conn:
        assert await conn.scalar(sa.select(sa.func.count()).select_from(kb_revisions)) == 2


async def test_a_stale_save_is_refused_with_the_newer_revision_and_stores_nothing(
    editorial: Editorial,
) -> None:
    ok(await editorial.create(GIFT, ANA))
    ok(await editorial.save("gift_wrapping", edited("Bea's answer."), 1, BEA, "mine"))
    stale = await editorial.save("gift_wrapping", edited("Ana's answer."), 1, ANA)
    assert isinstance(stale, Stale)
    assert stale.kind is RefusalKind.CONFLICT
    assert stale.reason.startswith("article 'gift_wrapping' changed since revision 1: "
                                   "revision 2 by Bea at 2026-11-29T09:00")
    assert stale.current.content["answer"]["en"] == "Bea's answer."
    detail = ok(await editorial.article("gift_wrapping"))
    assert detail.view.row.head_revision == 2
    assert detail.view.content["answer"]["en"] == "Bea's answer."


async def test_diff_lists_changed_fields_with_unified_lines(editorial: Editorial) -> None:
    ok(await editorial.create(GIFT, ANA))
    changed = {**edited("Yes, for 3 euros."), "tags": ["gifts", "wrapping"]}
    ok(await editorial.save("gift_wrapping", changed, 1, ANA))
    changes = await editorial.diff("gift_wrapping", 1, 2)
    assert not isinstance(changes, Refused)
    assert [c["field"] for c in changes] == ["tags", "answer.en"]
    answer = changes[1]
    assert (answer["before"], answer["after"]) == ("Yes, for 2 euros.", "Yes, for 3 euros.")
    assert "-Yes, for 2 euros." in answer["diff"] and "+Yes, for 3 euros." in answer["diff"]
    assert changes[0]["after"] == ["gifts", "wrapping"]


async def test_restore_writes_a_new_head_with_the_old_content(editorial: Editorial) -> None:
    ok(await editorial.create(GIFT, ANA))
    ok(await editorial.save("gift_wrapping", edited("Wrong."), 1, BEA))
    restored = ok(await editorial.restore("gift_wrapping", 1, 2, ANA))
    assert restored.view.row.head_revision == 3
    assert restored.view.content["answer"]["en"] == "Yes, for 2 euros."
    three = await editorial.revision("gift_wrapping", 3)
    assert not isinstance(three, Refused) and three.note == "restored revision 1"
    assert isinstance(await editorial.restore("gift_wrapping", 1, 2, ANA), Stale)


async def test_the_workflow_moves_and_refuses_what_its_state_forbids(
    editorial: Editorial, recorder: Recorder
) -> None:
    ok(await editorial.create(GIFT, ANA))
    draft_publish = await editorial.publish("gift_wrapping", REX)
    assert isinstance(draft_publish, Refused) and draft_publish.kind is RefusalKind.CONFLICT
    assert isinstance(await editorial.reject("gift_wrapping", REX, "no"), Refused)
    assert ok(await editorial.submit("gift_wrapping", ANA)).view.row.status == "in_review"
    assert isinstance(await editorial.submit("gift_wrapping", ANA), Refused)
    assert isinstance(await editorial.reject("gift_wrapping", REX, " "), InvalidField)
    assert ok(await editorial.reject("gift_wrapping", REX, "add prices")).view.row.status \
        == "draft"
    ok(await editorial.submit("gift_wrapping", ANA))
    published = ok(await editorial.publish("gift_wrapping", REX, note="fine"))
    assert (published.view.row.status, published.view.row.published_revision) == (
        "published", 1)
    assert [e.action for e in published.events] == [
        "create", "submit", "reject", "submit", "publish"]
    (event,) = recorder.events
    assert isinstance(event, ArticlePublished) and (event.intent, event.revision) == (
        "gift_wrapping", 1)
    assert recorder.retrains == 1
    assert isinstance(await editorial.publish("gift_wrapping", REX), Refused)
    missing = await editorial.submit("nope", ANA)
    assert isinstance(missing, Refused) and missing.kind is RefusalKind.NOT_FOUND


async def test_a_published_revision_keeps_serving_while_a_new_draft_is_reviewed(
    editorial: Editorial,
) -> None:
    ok(await editorial.create(GIFT, ANA))
    ok(await editorial.publish("gift_wrapping", REX, skip_review=True))
    saved = ok(await editorial.save("gift_wrapping", edited("Draft answer."), 1, ANA))
    ok(await editorial.submit("gift_wrapping", ANA))
    (served,) = await editorial.published_articles()
    assert (saved.view.row.status, saved.view.row.published_revision) == ("draft", 1)
    assert saved.published is not None and saved.published["answer"]["en"] == \
        "Yes, for 2 euros."
    assert served.answer["en"] == "Yes, for 2 euros." and served.is_published
    ok(await editorial.publish("gift_wrapping", REX))
    (served,) = await editorial.published_articles()
    assert served.answer["en"] == "Draft answer."


async def test_archive_stops_serving_and_asks_for_a_retrain(
    editorial: Editorial, recorder: Recorder
) -> None:
    ok(await editorial.create(GIFT, ANA))
    ok(await editorial.publish("gift_wrapping", REX, skip_review=True))
    archived = ok(await editorial.archive("gift_wrapping", REX, "season over"))
    assert (archived.view.row.status, archived.view.row.published_revision) == (
        "archived", None)
    assert await editorial.published_articles() == []
    assert recorder.retrains == 2
    assert isinstance(await editorial.archive("gift_wrapping", REX), Refused)
    again = ok(await editorial.save("gift_wrapping", edited("Back."), 1, ANA))
    assert again.view.row.status == "draft"


async def test_regressions_refuse_a_publish_unless_confirmed(
    database: Database, recorder: Recorder
) -> None:
    checked: list[Article] = []

    async def replay(article: Article) -> list[dict[str, Any]]:
        checked.append(article)
        return [{"text": "gift?", "regression": True}, {"text": "wrap?", "regression": False}]

    editorial = Editorial(database, recorder, Clock(), check_regressions=replay)
    ok(await editorial.create(GIFT, ANA))
    refused = await editorial.publish("gift_wrapping", REX, skip_review=True)
    assert isinstance(refused, Regressions)
    assert refused.reason == ("publishing would change 1 right answers into wrong ones: "
                              "confirm to publish anyway")
    assert [c["text"] for c in refused.changes] == ["gift?"]
    assert checked[0].intent == "gift_wrapping" and checked[0].is_published
    assert await editorial.published_articles() == []
    ok(await editorial.publish("gift_wrapping", REX, skip_review=True, confirm=True))
    assert len(await editorial.published_articles()) == 1


async def test_an_invalid_article_names_the_field(editorial: Editorial) -> None:
    cases = {
        "questions.es": {**GIFT, "questions": {**GIFT["questions"], "es": []}},
        "answer.en": {**GIFT, "answer": {**GIFT["answer"], "en": "  "}},
        "intent": {**GIFT, "intent": "Gift Wrapping"},
        "topic": {**GIFT, "topic": "weather"},
        "tags": {**GIFT, "tags": ["Not Ok"]},
        "title.es": {**GIFT, "title": {"en": "Gift wrapping"}},
    }
    for field, data in cases.items():
        refused = await editorial.create(data, ANA)
        assert isinstance(refused, InvalidField), (field, refused)
        assert refused.field == field and refused.reason.startswith(f"{field}: ")


IMPORTED = """\
intent: gift_wrapping
topic: orders
status: {status}
title: {{en: Gift wrapping}}
questions: {{en: [Can you gift wrap?]}}
answer: {{en: "{answer}"}}
"""


def yaml_article(answer: str, status: str = "published") -> Article:
    return load_article_text(IMPORTED.format(answer=answer, status=status))


async def test_import_writes_revisions_only_for_changes_and_publishes(
    editorial: Editorial,
) -> None:
    first = await editorial.import_articles([yaml_article("Yes.")], "import", "from a/")
    same = await editorial.import_articles([yaml_article("Yes.")], "import", "from a/")
    drafted = await editorial.import_articles([yaml_article("Yes, 2 €.")], "import", "b",
                                              draft=True)
    assert (first.created, same.unchanged, drafted.revised) == (
        ["gift_wrapping"], ["gift_wrapping"], ["gift_wrapping"])
    detail = ok(await editorial.article("gift_wrapping"))
    assert (detail.view.row.head_revision, detail.view.row.published_revision) == (2, 1)
    assert detail.view.row.status == "draft"
    (served,) = await editorial.published_articles()
    assert served.answer["en"] == "Yes."
    history = await editorial.history("gift_wrapping")
    assert not isinstance(history, Refused)
    assert [(r.author.name, r.note) for r in history[1]] == [("import", "b"),
                                                              ("import", "from a/")]


async def test_seed_imports_only_into_an_empty_knowledge_base(editorial: Editorial) -> None:
    assert await editorial.seed([yaml_article("Seeded.")], "seed") == 1
    assert await editorial.seed([yaml_article("Again.")], "seed") == 0
    (served,) = await editorial.published_articles()
    assert served.answer["en"] == "Seeded."
