"""Text helpers every part shares, so each has one definition: the accent fold used to
compare what shoppers type, and the language of a locale."""

from __future__ import annotations

import unicodedata


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
