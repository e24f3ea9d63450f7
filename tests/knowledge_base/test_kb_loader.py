"""Loading, validating, dumping and exporting article files."""

from __future__ import annotations

from pathlib import Path

import pytest

from relevo.knowledge_base.articles import (
    DEMO_CONTENT_DIR,
    ArticleError,
    dump_article,
    export_dir,
    load_article,
    load_article_text,
    load_dir,
)

VALID = """\
intent: shipping_times
topic: shipping
tags: [shipping, delivery]
status: published
title:
  en: Shipping times
  es: Plazos de envío
questions:
  en:
    - How long does delivery take?
    - When will it arrive?
  es:
    - ¿Cuánto tarda en llegar?
    - ¿Cuándo llega?
answer:
  en: |
    One to three business days.
  es: |
    De uno a tres días laborables.
"""


def _write(directory: Path, name: str, text: str) -> Path:
    path = directory / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_valid_article_loads(tmp_path: Path) -> None:
    article = load_article(_write(tmp_path, "shipping_times.yml", VALID))
    assert article.intent == "shipping_times"
    assert article.tags == ("shipping", "delivery")
    assert article.questions["es"] == ("¿Cuánto tarda en llegar?", "¿Cuándo llega?")
    assert article.answer["en"] == "One to three business days."
    assert article.is_published
    assert article.source == tmp_path / "shipping_times.yml"


def test_yaml_syntax_error_names_file_and_line(tmp_path: Path) -> None:
    broken = VALID.replace("  es: Plazos de envío", "  es: [Plazos de envío")
    path = _write(tmp_path, "broken.yml", broken)
    with pytest.raises(ArticleError) as info:
        load_article(path)
    assert str(path) in str(info.value)
    assert info.value.line is not None
    assert f"{path}:{info.value.line}:" in str(info.value)
    assert "YAML syntax error" in str(info.value)


def test_bad_indentation_reports_its_line(tmp_path: Path) -> None:
    broken = VALID.replace("    - When will it arrive?", "  - When will it arrive?")
    path = _write(tmp_path, "indent.yml", broken)
    with pytest.raises(ArticleError) as info:
        load_article(path)
    assert info.value.line == 11


def test_duplicate_key_is_an_error_with_its_line(tmp_path: Path) -> None:
    path = _write(tmp_path, "dup.yml", VALID + "topic: orders\n")
    with pytest.raises(ArticleError, match="duplicate key 'topic'") as info:
        load_article(path)
    assert info.value.line == 20


@pytest.mark.parametrize(
    ("old", "new", "problem"),
    [
        ("topic: shipping\n", "", "missing field(s): topic"),
        ("status: published\n", "", "missing field(s): status"),
        ("status: published", "status: live", "unknown status 'live'"),
        ("topic: shipping", "topic: logistics", "unknown topic 'logistics'"),
        ("intent: shipping_times", "intent: Shipping Times", "must be lower snake_case"),
        ("tags: [shipping, delivery]", "tags: shipping", "'tags' must be a list"),
        ("status: published", "status: published\nauthor: ana", "unknown field(s): author"),
        (
            "  es: |\n    De uno a tres días laborables.\n",
            "",
            "locale 'es' has questions but no answer",
        ),
        (
            "  es:\n    - ¿Cuánto tarda en llegar?\n    - ¿Cuándo llega?\n",
            "",
            "locale 'es' has an answer but no questions",
        ),
        (
            "  es:\n    - ¿Cuánto tarda en llegar?\n    - ¿Cuándo llega?\n",
            "  es: []\n",
            "questions.es is empty",
        ),
        (
            "  es:\n    - ¿Cuánto tarda en llegar?\n    - ¿Cuándo llega?\n",
            "  es:\n",
            "questions.es is empty",
        ),
        ("    - ¿Cuándo llega?", "    - ¿cuánto  tarda en llegar?", "repeats"),
        ("    - When will it arrive?", "    - ''", "must be a non-empty string"),
        ("  en: Shipping times\n", "", "locale 'en' has an answer but no title"),
        ("  en: |\n    One to three business days.\n", "  en: ' '\n", "answer.en must be"),
    ],
)
def test_validation_names_the_problem_and_the_file(
    tmp_path: Path, old: str, new: str, problem: str
) -> None:
    assert old in VALID
    path = _write(tmp_path, "bad.yml", VALID.replace(old, new, 1))
    with pytest.raises(ArticleError) as info:
        load_article(path)
    assert problem in str(info.value)
    assert str(info.value).startswith(str(path))


def test_not_a_mapping(tmp_path: Path) -> None:
    with pytest.raises(ArticleError, match="must be a YAML mapping"):
        load_article(_write(tmp_path, "list.yml", "- just\n- a list\n"))


def test_intent_defined_twice_names_both_files(tmp_path: Path) -> None:
    first = _write(tmp_path, "a/shipping_times.yml", VALID)
    second = _write(tmp_path, "b/copy.yml", VALID)
    with pytest.raises(ArticleError, match="defined twice") as info:
        load_dir(tmp_path)
    assert str(first) in str(info.value)
    assert str(second) in str(info.value)


def test_yes_no_on_stay_strings() -> None:
    text = (
        VALID.replace("    - When will it arrive?", "    - yes\n    - no\n    - on")
        .replace("tags: [shipping, delivery]", "tags: [on, off]")
        .replace("  es: Plazos de envío", "  es: Plazos de envío\n  no: Leveringstid")
        .replace("  es: |\n", "  no: |\n    En til tre dager.\n  es: |\n")
        .replace("  es:\n    - ¿Cuánto", "  no:\n    - Hvor lenge?\n  es:\n    - ¿Cuánto")
    )
    article = load_article_text(text, "inline.yml")
    assert article.questions["en"] == ("How long does delivery take?", "yes", "no", "on")
    assert article.tags == ("on", "off")
    assert article.answer["no"] == "En til tre dager."
    assert load_article_text(dump_article(article)) == article


def test_load_dir_is_recursive_sorted_and_reads_yaml_suffix(tmp_path: Path) -> None:
    _write(tmp_path, "z/shipping_times.yaml", VALID)
    _write(tmp_path, "returns.yml", VALID.replace("shipping_times", "returns_policy"))
    _write(tmp_path, "notes.txt", "not an article")
    assert [a.intent for a in load_dir(tmp_path)] == ["returns_policy", "shipping_times"]


def test_load_dir_missing_path(tmp_path: Path) -> None:
    with pytest.raises(ArticleError, match="no such file"):
        load_dir(tmp_path / "nowhere")


def test_dump_writes_the_authoring_format() -> None:
    article = load_article_text(VALID)
    dumped = dump_article(article)
    assert dumped.startswith("intent: shipping_times\ntopic: shipping\n")
    assert "tags: [shipping, delivery]\n" in dumped
    assert "  en: |\n    One to three business days.\n" in dumped
    assert load_article_text(dumped) == article


def test_round_trip_export_and_import_of_the_demo(tmp_path: Path) -> None:
    original = load_dir(DEMO_CONTENT_DIR)
    written = export_dir(original, tmp_path / "out")
    assert len(written) == len(original)
    reloaded = load_dir(tmp_path / "out")
    assert reloaded == original
    # Dumping is stable: a second export writes the same bytes.
    again = export_dir(reloaded, tmp_path / "again")
    assert [p.read_text() for p in again] == [p.read_text() for p in written]


def test_demo_files_are_written_exactly_as_dump_article_writes_them() -> None:
    # So `relevo kb export` of the demo shop produces no diff against git.
    for article in load_dir(DEMO_CONTENT_DIR):
        assert article.source is not None
        assert dump_article(article) == article.source.read_text(encoding="utf-8"), article.intent
