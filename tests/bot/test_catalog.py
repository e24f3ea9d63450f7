"""The text catalog: one file per language, English as the fallback, shops' overrides;
and every shopper-facing text in every language the shop is configured to speak."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from relevo.app.settings import load_settings
from relevo.bot.catalog import BUILTIN_DIR, Catalog
from relevo.bot.config import ConfigError
from relevo.knowledge_base.articles import DEMO_CONTENT_DIR, load_dir

PLACEHOLDER = re.compile(r"{(\w+)}")
REPO = Path(__file__).resolve().parents[2]
# The languages the shipped config.yml speaks: each must be complete.
CONFIGURED = load_settings(REPO / "config.yml").languages


def test_the_shipped_config_speaks_spanish_and_english() -> None:
    assert set(CONFIGURED) == {"es", "en"}


@pytest.mark.parametrize("language", CONFIGURED)
def test_each_configured_language_has_its_own_catalog_with_every_key(language: str) -> None:
    # Its own file: the English fallback would hide a missing text from this check.
    path = BUILTIN_DIR / f"{language}.yml"
    assert path.is_file(), f"no catalog {path.name} for configured language {language}"
    own = Catalog.load([]).keys(language)
    english = Catalog.load([]).keys("en")
    assert own, f"{path.name} has no texts"
    assert not english - own, f"{path.name} lacks {sorted(english - own)}"
    assert not own - english, f"{path.name} has keys en.yml lacks: {sorted(own - english)}"


@pytest.mark.parametrize("language", CONFIGURED)
def test_every_published_demo_article_speaks_each_configured_language(language: str) -> None:
    published = [a for a in load_dir(DEMO_CONTENT_DIR) if a.is_published]
    assert published
    missing = [
        article.intent for article in published
        if not (
            [q for q in article.questions.get(language, ()) if q.strip()]
            and (article.answer.get(language) or "").strip()
            and (article.title.get(language) or "").strip()
        )
    ]
    assert not missing, f"articles without questions, answer or title in {language}: {missing}"


def test_every_language_has_every_key_with_the_same_placeholders() -> None:
    catalog = Catalog.load()
    assert set(catalog.languages) >= {"en", "es"}
    english = catalog.keys("en")
    for language in catalog.languages:
        assert catalog.keys(language) == english, language
        for key in english:
            ours = set(PLACEHOLDER.findall(catalog.text(key, language)))
            assert ours == set(PLACEHOLDER.findall(catalog.text(key, "en"))), (language, key)


def test_texts_follow_the_language_of_the_locale_and_fill_placeholders() -> None:
    catalog = Catalog.load()
    assert catalog.text("bot.operator_joined", "es-MX", name="Ana") == (
        "Ana se ha unido a la conversación y te ayudará a partir de ahora."
    )
    assert catalog.text("bot.operator_joined", "en_GB", name="Ana").startswith("Ana has joined")


def test_a_language_without_a_text_falls_back_to_english(tmp_path: Path) -> None:
    (tmp_path / "pt.yml").write_text("bot:\n  clarify: Só para ter certeza, qual delas?\n")
    catalog = Catalog.load([tmp_path])
    assert catalog.text("bot.clarify", "pt-BR") == "Só para ter certeza, qual delas?"
    assert catalog.text("bot.clarify_hint", "pt-BR") == catalog.text("bot.clarify_hint", "en")
    assert catalog.text("bot.clarify", None) == catalog.text("bot.clarify", "en")


def test_a_shop_overrides_one_text_and_keeps_the_rest(tmp_path: Path) -> None:
    (tmp_path / "es.yml").write_text("bot:\n  csat_thanks: ¡Mil gracias!\n")
    catalog = Catalog.load([tmp_path])
    assert catalog.text("bot.csat_thanks", "es") == "¡Mil gracias!"
    assert catalog.text("bot.clarify", "es") == Catalog.load().text("bot.clarify", "es")


@pytest.mark.parametrize(
    ("content", "reason"),
    [("- a\n- list\n", "must map keys to texts"), ("bot:\n  n: 3\n", "bot.n must be a text"),
     ("bot: [\n", "cannot read")],
)
def test_a_broken_file_is_one_clear_error(tmp_path: Path, content: str, reason: str) -> None:
    (tmp_path / "fr.yml").write_text(content)
    with pytest.raises(ConfigError, match=re.escape(reason)):
        Catalog.load([tmp_path])


def test_relevo_ships_its_texts_as_files() -> None:
    assert {p.name for p in BUILTIN_DIR.glob("*.yml")} >= {"en.yml", "es.yml"}
