"""`relevo run` serves the database's published articles: a first start seeds the database
from `knowledge_base.content_dir`; later starts serve what editors published, drafts
never, whatever the folder says by then. Both databases."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from relevo.app import create_app
from relevo.app.settings import Settings
from relevo.bot.types import Role
from tests.conftest import started
from tests.handoff.helpers import add_operator

ARTICLE = """\
intent: {intent}
topic: orders
status: {status}
title: {{en: {intent}, es: {intent}}}
questions: {{en: ["{intent} please?"], es: ["¿{intent}?"]}}
answer: {{en: "{answer}", es: "{answer}"}}
"""


def write(folder: Path, intent: str, answer: str, status: str = "published") -> None:
    folder.mkdir(exist_ok=True)
    (folder / f"{intent}.yml").write_text(
        ARTICLE.format(intent=intent, answer=answer, status=status), encoding="utf-8")


async def test_a_first_start_seeds_the_folder_and_later_starts_serve_what_was_published(
    make_settings: Callable[..., Settings], tmp_path: Path
) -> None:
    shop = tmp_path / "shop"
    write(shop, "gift_wrapping", "Yes, for 2 euros.")
    write(shop, "gift_cards", "Soon.", status="draft")
    settings = make_settings(knowledge_base={"content_dir": str(shop)})
    app = create_app(settings)
    async with started(app) as client:
        kb = app.state.relevo.knowledge_base
        assert kb.answer("gift_wrapping", "en") == "Yes, for 2 euros."
        assert kb.answer("gift_cards", "en") is None  # a draft is not served
        admin = await add_operator(app, "Ada", role=Role.ADMIN)
        listed = await client.get("/api/kb/articles", headers=admin.headers)
        assert [(a["intent"], a["status"]) for a in listed.json()["articles"]] == [
            ("gift_cards", "draft"), ("gift_wrapping", "published")]
        saved = await client.put("/api/kb/articles/gift_wrapping", headers=admin.headers, json={
            "topic": "orders", "title": {"en": "Wrapping", "es": "Envolver"},
            "questions": {"en": ["wrap it?"], "es": ["¿envolver?"]},
            "answer": {"en": "Yes, for 3 euros.", "es": "Sí, por 3 euros."},
            "base_revision": 1})
        assert saved.status_code == 200, saved.text
        # Saved, not yet published: shoppers still get revision 1.
        assert kb.answer("gift_wrapping", "en") == "Yes, for 2 euros."
        published = await client.post("/api/kb/articles/gift_wrapping/publish",
                                       headers=admin.headers, json={})
        assert published.status_code == 200, published.text
    write(shop, "gift_wrapping", "The folder changed after the seed.")
    restarted = create_app(settings)
    async with started(restarted):
        kb = restarted.state.relevo.knowledge_base
        assert kb.answer("gift_wrapping", "es") == "Sí, por 3 euros."
        assert kb.answer("gift_cards", "en") is None
