"""The widget's labels come from the catalog: served /widget.js carries every
language's `widget.*` texts, so a shop adds a language by adding a file."""

from __future__ import annotations

import json
import re
from pathlib import Path

from relevo.bot.catalog import Catalog
from relevo.channels.web.routes import widget_script


def served_labels(catalog: Catalog) -> dict[str, dict[str, str]]:
    served = widget_script(catalog).decode("utf-8")
    found = re.search(r"const STRINGS = (\{.*?\});\n", served)
    assert found is not None, "the labels are not in the served widget"
    labels: dict[str, dict[str, str]] = json.loads(found.group(1))
    return labels


def test_the_served_widget_carries_each_languages_labels() -> None:
    labels = served_labels(Catalog.load())
    assert labels["en"]["open"] == "Open chat"
    assert labels["es"]["placeholder"] == "Escribe un mensaje…"
    assert labels["es"]["unread"] == "{count} sin leer"
    assert set(labels["es"]) == set(labels["en"])


def test_a_new_language_file_reaches_the_widget_with_english_for_what_it_lacks(
    tmp_path: Path,
) -> None:
    (tmp_path / "pt.yml").write_text("widget:\n  open: Abrir conversa\n", encoding="utf-8")
    labels = served_labels(Catalog.load([tmp_path]))
    assert labels["pt"]["open"] == "Abrir conversa"
    assert labels["pt"]["send"] == "Send message"
