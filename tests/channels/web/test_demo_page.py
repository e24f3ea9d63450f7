"""The demo shop page (served at `/`) promises only what the bot's knowledge base says:
every figure in a `data-promise="<intent>"` element (cut-off hour, delivery days,
return days, free-shipping threshold, warranty years…) is in that article's answer,
in Spanish and in English."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from importlib import resources
from pathlib import Path

import pytest
import yaml

CONTENT = Path(__file__).resolve().parents[3] / "knowledge_base" / "content"
# 14:00 · 1–3 · 24/7 · 49 · 3,95 (a range, a time, a price or a count)
FIGURE = re.compile(r"\d+(?:[:–/.,]\d+)?")


class _Promises(HTMLParser):
    """(intent, text) for each element carrying `data-promise`, its nested text included."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, str]] = []
        self._open: list[tuple[str | None, list[str]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._open.append((dict(attrs).get("data-promise"), []))

    def handle_endtag(self, tag: str) -> None:
        if not self._open:
            return
        intent, parts = self._open.pop()
        text = "".join(parts)
        if self._open:
            self._open[-1][1].append(text)
        if intent:
            self.found.append((intent, " ".join(text.split())))

    def handle_data(self, data: str) -> None:
        if self._open:
            self._open[-1][1].append(data)


def figures(text: str) -> set[str]:
    return {f.rstrip(".,") for f in FIGURE.findall(text)}


def page_promises() -> list[tuple[str, str]]:
    html = resources.files("relevo.channels.web.static").joinpath("index.html").read_text("utf-8")
    parser = _Promises()
    parser.feed(html)
    return parser.found


def kb_answer(intent: str, language: str) -> str:
    article = yaml.safe_load((CONTENT / f"{intent}.yml").read_text("utf-8"))
    return str(article["answer"][language])


def test_the_page_makes_the_shipping_returns_and_warranty_promises() -> None:
    intents = {intent for intent, _ in page_promises()}
    assert {"shipping_times", "shipping_costs", "returns_policy", "warranty"} <= intents


@pytest.mark.parametrize("language", ["es", "en"])
@pytest.mark.parametrize(("intent", "promise"), page_promises())
def test_each_figure_the_page_promises_is_in_the_kb_answer(
    intent: str, promise: str, language: str
) -> None:
    promised = figures(promise)
    assert promised, f"a promise without a figure to check: {promise!r}"
    stated = figures(kb_answer(intent, language))
    assert promised <= stated, (
        f"the page promises {promise!r} but the {language} answer of {intent} says "
        f"{kb_answer(intent, language)!r}"
    )


def test_the_old_promises_would_be_caught() -> None:
    # "24 h delivery, order before 18:00" is what the page said before the KB changed.
    assert not figures("24 h delivery. Order before 18:00") <= figures(
        kb_answer("shipping_times", "en"))
