"""The safe formatting subset of knowledge-base answers, parsed once and rendered per
channel.

An answer may use `**bold**`, `[label](https://…)` links (http, https and mailto
only), list lines starting `- ` or `1. ` and blank-line paragraphs. Everything else is
text: raw HTML, a `javascript:` link or an unclosed `**` is shown as written, never
interpreted. `problems` lists what an editor wrote that will not become formatting (a
link with another scheme), for the editor's validation; the renderers turn the parsed
answer into each channel's own form:

- `to_plain`: labels followed by their URL, bullets as "•" (SMS-like channels, logs);
- `to_whatsapp`: `*bold*`, "label (url)";
- `to_telegram_html`: Telegram's HTML parse mode (`<b>`, `<a href>`), every other
  character escaped with `html.escape`.

The web widget and the console render the same subset in the browser by building DOM
nodes (`bot/formatting.js`, the same grammar), never markup from the text.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from html import escape
from importlib import resources
from urllib.parse import urlsplit

SCHEMES = ("http", "https", "mailto")

_INLINE = re.compile(
    r"\*\*(?P<bold>[^\s*](?:[^\n]*?[^\s*])?)\*\*"  # **bold**, no space inside the stars
    r"|\[(?P<label>[^\[\]\n]+)\]\((?P<url>(?:[^()\s]|\([^()\s]*\))+)\)"  # [label](url)
)
_BULLET = re.compile(r"^\s{0,3}[-*•]\s+(?P<rest>.*)$")
_NUMBER = re.compile(r"^\s{0,3}(?P<number>\d{1,3})[.)]\s+(?P<rest>.*)$")
_BLANK = re.compile(r"\n[ \t]*\n+")


@dataclass(frozen=True, slots=True)
class Span:
    """A run of text: plain, bold, or a link (`href` checked: http, https or mailto)."""

    text: str
    bold: bool = False
    href: str | None = None


@dataclass(frozen=True, slots=True)
class Line:
    """One line of a paragraph; `marker`: "-" for a bullet, "3." for a numbered item."""

    spans: tuple[Span, ...]
    marker: str | None = None


Paragraph = tuple[Line, ...]


def safe_url(url: str) -> str | None:
    """`url` when it is an absolute http(s) URL with a host, or a mailto: address."""
    if any(ord(c) < 33 or c in "<>\"'`\\" for c in url):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in SCHEMES:
        return None
    if scheme == "mailto":
        return url if "@" in parts.path else None
    return url if parts.netloc and parts.hostname else None


def parse_inline(text: str) -> tuple[Span, ...]:
    spans: list[Span] = []
    at = 0
    for found in _INLINE.finditer(text):
        if found.group("bold") is not None:
            span = Span(found.group("bold"), bold=True)
        else:
            href = safe_url(found.group("url"))
            if href is None:
                continue  # not a link: its source stays text
            span = Span(found.group("label"), href=href)
        if found.start() > at:
            spans.append(Span(text[at:found.start()]))
        spans.append(span)
        at = found.end()
    if at < len(text) or not spans:
        spans.append(Span(text[at:]))
    return tuple(spans)


def parse(text: str) -> tuple[Paragraph, ...]:
    """Paragraphs of lines; list lines carry their marker, their text parsed inline."""
    paragraphs: list[Paragraph] = []
    for block in _BLANK.split(text.replace("\r\n", "\n").strip("\n")):
        if not block.strip():
            continue
        lines: list[Line] = []
        for raw in block.split("\n"):
            if bullet := _BULLET.match(raw):
                lines.append(Line(parse_inline(bullet.group("rest")), "-"))
            elif number := _NUMBER.match(raw):
                lines.append(Line(parse_inline(number.group("rest")),
                                  number.group("number") + "."))
            else:
                lines.append(Line(parse_inline(raw.rstrip())))
        paragraphs.append(tuple(lines))
    return tuple(paragraphs)


def problems(text: str, field: str | None = None) -> list[str]:
    """What in `text` will not be formatting as its author meant: links whose address is
    not http(s) with a host or mailto. With `field` ("answer.es"), each reason starts
    with it. Raw HTML is no problem: it is shown as text."""
    found: list[str] = []
    for match in _INLINE.finditer(text):
        url = match.group("url")
        if url is not None and safe_url(url) is None:
            shown = url if len(url) <= 60 else url[:59] + "…"
            found.append(f"link '{shown}' is not http, https or mailto")
    return [f"{field}: {reason}" for reason in found] if field else found


def _render(
    text: str,
    span: Callable[[Span], str],
    bullet: str,
    escape_text: Callable[[str], str] = lambda t: t,
) -> str:
    out: list[str] = []
    for paragraph in parse(text):
        lines = []
        for line in paragraph:
            body = "".join(span(s) for s in line.spans)
            marker = bullet if line.marker == "-" else line.marker
            lines.append(f"{escape_text(marker)} {body}" if marker else body)
        out.append("\n".join(lines))
    return "\n\n".join(out)


def _link_text(span: Span) -> str:
    if span.href is None:
        return span.text
    address = span.href[len("mailto:"):] if span.href.lower().startswith("mailto:") else span.href
    return address if span.text.strip() in (address, span.href) else f"{span.text} ({address})"


def to_plain(text: str) -> str:
    """No markup at all: "label (url)", bullets as "•"."""
    return _render(text, _link_text, "•")


def to_whatsapp(text: str) -> str:
    """WhatsApp's own formatting: `*bold*`, "label (url)" (WhatsApp links the URL)."""
    def span(s: Span) -> str:
        if s.bold and s.text.strip():
            return f"*{s.text.strip()}*"
        return _link_text(s)

    return _render(text, span, "•")


def to_telegram_html(text: str) -> str:
    """Telegram's HTML parse mode: `<b>`, `<a href>`; every character of the text
    escaped, so nothing an editor (or a shopper) wrote becomes a tag."""
    def span(s: Span) -> str:
        if s.href is not None:
            return f'<a href="{escape(s.href, quote=True)}">{escape(s.text, quote=False)}</a>'
        if s.bold:
            return f"<b>{escape(s.text, quote=False)}</b>"
        return escape(s.text, quote=False)

    return _render(text, span, "•", lambda t: escape(t, quote=False))


def script() -> bytes:
    """`formatting.js`, the same grammar for browsers (`window.RelevoFormat`): the
    widget writes it in, the console and the editor serve it."""
    return resources.files("relevo.bot").joinpath("formatting.js").read_bytes()
