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


def first_unstorable(value: Any, path: tuple[str | int, ...] = ()) -> tuple[str, str] | None:
    """(where, why) of the first unstorable string in a decoded JSON value, keys
    included (`where` is a dotted path such as "schedule.mon.0"), or None."""
    if isinstance(value, str):
        reason = unstorable(value)
        return None if reason is None else (_dotted(path), reason)
    if isinstance(value, dict):
        for key, item in value.items():
            where = (*path, key)
            found = first_unstorable(key, where) if isinstance(key, str) else None
            found = found or first_unstorable(item, where)
            if found is not None:
                return found
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found = first_unstorable(item, (*path, index))
            if found is not None:
                return found
    return None


def _dotted(path: tuple[str | int, ...]) -> str:
    # The path goes back to the client in the reason: it must be storable text itself.
    return sanitize(".".join(str(part) for part in path))
