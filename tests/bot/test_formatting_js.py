"""bot/formatting.js and bot/formatting.py read answers the same way: in Debian's
Chromium, the browser's bold runs, links and list items match the Python parse for every
case of the table (and nothing else becomes an element)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from relevo.bot import formatting
from tests.bot.test_formatting import CASES
from tests.live import chromium

pytestmark = pytest.mark.browser

DRAWN = """(text) => {
  const box = document.createElement("div");
  window.RelevoFormat.render(box, text);
  const tags = [...box.querySelectorAll("*")].map((e) => e.tagName.toLowerCase());
  return {
    bold: [...box.querySelectorAll("strong")].map((e) => e.textContent),
    links: [...box.querySelectorAll("a")].map((e) => [e.textContent, e.getAttribute("href"),
                                                     e.rel]),
    items: [...box.querySelectorAll("li")].map((e) => e.textContent),
    paragraphs: box.querySelectorAll(".relevo-para").length,
    other: tags.filter((t) => !["div", "span", "br", "strong", "a", "ul", "ol", "li"].includes(t)),
  };
}"""


@pytest.fixture(scope="module")
def page() -> Iterator[Any]:
    with chromium() as browser:
        context = browser.new_context()
        opened = context.new_page()
        opened.set_content("<!doctype html><title>formatting</title>")
        opened.add_script_tag(content=formatting.script().decode("utf-8"))
        yield opened
        context.close()


def _expected(text: str) -> dict[str, Any]:
    paragraphs = formatting.parse(text)
    spans = [s for p in paragraphs for line in p for s in line.spans]
    return {
        "bold": [s.text for s in spans if s.bold],
        # the browser normalises an href (a host's case, a missing "/"): these are already
        "links": [[s.text, s.href, "noopener noreferrer"] for s in spans if s.href],
        "items": ["".join(s.text for s in line.spans)
                  for p in paragraphs for line in p if line.marker],
        "paragraphs": len(paragraphs),
        "other": [],
    }


@pytest.mark.parametrize(
    "written",
    [pytest.param(case.values[0], id=case.id) for case in CASES]
    + ["1. one\n2. two\n- three\nafter **the** list", "[a](https://a.example/x_(y)) end"],
)
def test_the_browser_draws_what_python_parses(page: Any, written: str) -> None:
    assert page.evaluate(DRAWN, written) == _expected(written)
