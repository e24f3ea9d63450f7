"""How an operator signs their replies, per language: "Lucía · experta" to a shopper
writing in Spanish, "Lucía · expert" in English.

Each operator may set, per configured language, a name and a title
(`operators.signatures`: `{"es": {"name": "Lucía", "title": "experta"}}`, both keys
optional). What is not set comes from the operator's display name (`signature`) and a
title for their kind from the catalog (`bot.operator_kind_*`), whose Spanish titles are
gender-neutral ("especialista", "agente") so a default never misgenders anyone; an
operator who prefers "experta" sets it as their own title.

The signature is chosen by the conversation's language and stored with each message
as its author name, so the web chat, Telegram, WhatsApp and the Slack mirror all show
the one the shopper saw.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from relevo.bot import replies
from relevo.bot.text import language_of
from relevo.bot.types import OperatorKind

MAX_NAME = 60
MAX_TITLE = 60
SEPARATOR = " · "


@dataclass(frozen=True, slots=True)
class Signature:
    name: str | None = None
    title: str | None = None

    def as_json(self) -> dict[str, str]:
        return {key: value for key, value in (("name", self.name), ("title", self.title))
                if value}


def kind_title(kind: OperatorKind, locale: str | None) -> str:
    return replies.text(f"operator_kind_{kind.value}", locale)


def signed(name: str, title: str) -> str:
    return f"{name}{SEPARATOR}{title}" if title else name


def author_name(
    display_name: str, kind: OperatorKind, own: Mapping[str, Signature], locale: str | None
) -> str:
    """The signature for a conversation in `locale`: the operator's own for its language,
    what they left unset filled from their display name and their kind's title."""
    language = language_of(locale)
    mine = own.get(language) if language else None
    name = mine.name if mine is not None and mine.name else display_name
    title = mine.title if mine is not None and mine.title else kind_title(kind, locale)
    return signed(name, title)


def from_json(value: Any) -> dict[str, Signature]:
    """A stored column back to signatures (anything malformed is skipped: the defaults
    then apply; every write is validated by `parse`)."""
    if not isinstance(value, dict):
        return {}
    found = {}
    for language, fields in value.items():
        if isinstance(language, str) and isinstance(fields, dict):
            name, title = fields.get("name"), fields.get("title")
            found[language] = Signature(name if isinstance(name, str) else None,
                                        title if isinstance(title, str) else None)
    return found


def to_json(signatures: Mapping[str, Signature]) -> dict[str, dict[str, str]]:
    return {language: sig.as_json() for language, sig in sorted(signatures.items())
            if sig.as_json()}


def parse(value: Mapping[str, Any], languages: Collection[str]) -> dict[str, Signature]:
    """Signatures from a request or the CLI, or ValueError naming the problem: only the
    configured `languages`, names ≤ 60 and titles ≤ 60 characters, no control
    characters. An empty or null entry removes that language's signature."""
    parsed: dict[str, Signature] = {}
    for language, fields in value.items():
        if language not in languages:
            raise ValueError(f"signatures.{language}: not a configured language "
                             f"({', '.join(sorted(languages))})")
        if fields is None:
            continue
        if not isinstance(fields, Mapping):
            raise ValueError(f"signatures.{language}: give an object with name and title")
        unknown = sorted(set(fields) - {"name", "title"})
        if unknown:
            raise ValueError(f"signatures.{language}.{unknown[0]}: unknown field")
        signature = Signature(
            _clean(fields.get("name"), f"signatures.{language}.name", MAX_NAME),
            _clean(fields.get("title"), f"signatures.{language}.title", MAX_TITLE),
        )
        if signature.name or signature.title:
            parsed[language] = signature
    return parsed


def _clean(value: Any, where: str, limit: int) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValueError(f"{where}: must be text")
    if any(unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn") for ch in value):
        raise ValueError(f"{where}: must not contain control characters")
    text = " ".join(value.split())
    if len(text) > limit:
        raise ValueError(f"{where}: at most {limit} characters")
    return text or None


def previews(
    display_name: str, kind: OperatorKind, own: Mapping[str, Signature],
    languages: Collection[str],
) -> dict[str, str]:
    """What shoppers see in each configured language."""
    return {language: author_name(display_name, kind, own, language)
            for language in sorted(languages)}
