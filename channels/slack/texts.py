"""Every sentence an operator reads in Slack: the catalog's `slack.*` texts, in the
language of the Slack team (`slack.locale`)."""

from __future__ import annotations

from dataclasses import dataclass

from relevo.bot.catalog import Catalog


@dataclass(frozen=True, slots=True)
class SlackTexts:
    catalog: Catalog
    locale: str

    def __call__(self, key: str, **values: object) -> str:
        return self.catalog.text(f"slack.{key}", self.locale, **values)
