"""What the bot itself says (not knowledge-base answers), per locale: the `bot.*` texts
of the catalog (`bot/locales/<language>.yml`)."""

from __future__ import annotations

from functools import cache

from relevo.bot.catalog import Catalog


@cache
def _builtin() -> Catalog:
    # Transitional: parts not yet handed the app's Catalog read relevo's own texts.
    return Catalog.load()


def text(key: str, locale: str | None) -> str:
    return _builtin().text(f"bot.{key}", locale)


def has(key: str) -> bool:
    """Whether relevo has a `bot.<key>` text (in English at least)."""
    return _builtin().has(f"bot.{key}")
