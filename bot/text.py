"""Text helpers every part shares, so each has one definition: the accent fold used to
compare what shoppers type, the language of a locale, and the one rule for text that
cannot be stored.

Unstorable text: a NUL character (PostgreSQL refuses it in `text` and `jsonb`) and a
lone surrogate (U+D800–U+DFFF on its own: JSON can carry it as an escape, `"\\ud800"`,
but it is not Unicode, so neither database driver can encode it). Our own APIs refuse
such text with a reason (`unstorable`); what a provider sent is stored sanitised
(`sanitize`), since the provider would retry a refusal forever.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

REPLACEMENT = "\ufffd"

_NUL = "\x00"
# In a Python str, a surrogate is always lone: json.loads joins escaped pairs.
_SURROGATE = re.compile("[\ud800-\udfff]")
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def fold(text: str) -> str:
    """Case- and accent-insensitive form for comparisons: "Sí, GRACIAS" → "si, gracias"."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def language_of(locale: str | None) -> str | None:
    """The language part of a locale: "es-MX" → "es", "pt_BR" → "pt", "" → None."""
    if not locale:
        return None
    language = locale.replace("_", "-").split("-", 1)[0].strip().lower()
    return language or None


def sanitize(text: str) -> str:
    """`text` made storable: NUL characters removed, lone surrogates replaced by U+FFFD."""
    if _UNSTORABLE.search(text) is None:  # the usual case: no copy
        return text
    return _SURROGATE.sub(REPLACEMENT, text.replace(_NUL, ""))


def sanitize_json(value: Any) -> Any:
    """`sanitize` applied to every string (keys too) of a decoded JSON value."""
    if isinstance(value, str):
        return sanitize(value)
    if isinstance(value, dict):
        return {sanitize(k) if isinstance(k, str) else k: sanitize_json(v)
                for k, v in value.items()}
    if isinstance(value, list):
        return [sanitize_json(v) for v in value]
    return value


def unstorable(text: str) -> str | None:
    """Why `text` cannot be stored, or None when it can."""
    found = _UNSTORABLE.search(text)
    if found is None:
        return None
    if found.group() == _NUL:
        return "contains a NUL character (U+0000), which cannot be stored"
    return (f"contains a lone surrogate (U+{ord(found.group()):04X}), which is not valid "
            "Unicode")


def first_unstorable(value: Any) -> tuple[str, str] | None:
    """(where, why) of the first unstorable string in a decoded JSON value, keys
    included (`where` is a dotted path such as "schedule.mon.0"), or None. Walks
    without recursion: a body nested a thousand deep is no error here."""
    pending: list[tuple[tuple[str | int, ...], Any]] = [((), value)]
    while pending:
        path, item = pending.pop()
        if isinstance(item, str):
            reason = unstorable(item)
            if reason is not None:
                return _dotted(path), reason
        elif isinstance(item, dict):
            for key in item:
                reason = unstorable(key) if isinstance(key, str) else None
                if reason is not None:
                    return _dotted((*path, key)), reason
            pending.extend(((*path, k), v) for k, v in reversed(item.items()))
        elif isinstance(item, list):
            pending.extend(((*path, i), v) for i, v in reversed(list(enumerate(item))))
    return None


def _dotted(path: tuple[str | int, ...]) -> str:
    # The path goes back to the client in the reason: it must be storable text itself.
    return sanitize(".".join(str(part) for part in path))
