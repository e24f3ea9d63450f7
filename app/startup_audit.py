"""What a start-up records in the audit log, when it differs from what was recorded
before: the effective settings (`settings.change`) and the articles published to
shoppers (`kb.publish`).

The state recorded so far is the fold of every earlier entry of the kind: the first
entry holds all of it, each later one only what changed (`before`: the old values of
changed and removed keys; `after`: the new values of changed and added keys). Secrets
never take part: secret settings (and anything named like one) are left out, and the
database URL's password is masked. On PostgreSQL an advisory lock makes N processes
starting together record a change once.
"""

from __future__ import annotations

import hashlib
import socket
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from relevo.app.settings import SECRET_KEYS, Settings
from relevo.bot import audit
from relevo.bot.store.db import Database
from relevo.knowledge_base.articles import Article, dump_article

SETTINGS_TARGET = ("settings", "effective")
ARTICLES_TARGET = ("knowledge_base", "served")
_URL_KEYS = ("database_url", "redis_url")
_LOCK_KEY = 0x72656C65766F  # "relevo": one advisory lock for these start-up records


def effective_settings(settings: Settings) -> dict[str, Any]:
    """Dotted key → value, secrets left out."""
    flat: dict[str, Any] = {}
    _flatten(settings.model_dump(mode="json"), "", flat)
    for key in _URL_KEYS:
        if flat.get(key):
            flat[key] = sa.engine.make_url(flat[key]).render_as_string(hide_password=True)
    return {
        key: value for key, value in flat.items()
        if key not in SECRET_KEYS and not any(word in key.lower() for word in audit.SECRET_WORDS)
    }


def _flatten(value: Mapping[str, Any], prefix: str, into: dict[str, Any]) -> None:
    for key, item in value.items():
        dotted = f"{prefix}{key}"
        if isinstance(item, Mapping) and item:
            _flatten(item, dotted + ".", into)
        else:
            into[dotted] = item


def article_versions(articles: Iterable[Article]) -> dict[str, str]:
    """Intent → a short hash of the published article's content."""
    return {
        article.intent: hashlib.sha256(dump_article(article).encode()).hexdigest()[:16]
        for article in articles if article.is_published
    }


async def record_startup(
    database: Database, settings: Settings, articles: Iterable[Article] | None, now: datetime
) -> None:
    actor = audit.Actor("system", "relevo", source=socket.gethostname()[:64] or None)
    async with database.write() as conn:
        if conn.dialect.name == "postgresql":
            await conn.execute(sa.select(sa.func.pg_advisory_xact_lock(_LOCK_KEY)))
        await _record_settings(conn, effective_settings(settings), actor, now)
        if articles is not None:
            await _record_articles(conn, article_versions(articles), actor, now)


async def _history(conn: AsyncConnection, action: str, target: tuple[str, str]) -> list[Any]:
    newest_first = await audit.entries(conn, action=action, target=target, limit=100_000)
    return list(reversed(newest_first))


async def _record_settings(
    conn: AsyncConnection, current: dict[str, Any], actor: audit.Actor, now: datetime
) -> None:
    history = await _history(conn, "settings.change", SETTINGS_TARGET)
    known: dict[str, Any] = {}
    for entry in history:
        for key in entry.before or {}:
            known.pop(key, None)
        known.update(entry.after or {})
    before, after = _diff(known, current)
    if history and not before and not after:
        return
    await audit.record(conn, actor=actor, action="settings.change", at=now,
                       target=SETTINGS_TARGET, before=before if history else None, after=after)


async def _record_articles(
    conn: AsyncConnection, current: dict[str, str], actor: audit.Actor, now: datetime
) -> None:
    # Intents are listed as [intent, version] pairs, not as keys: an intent named like a
    # secret ("reset_password") must not have its version hidden by the audit log.
    history = await _history(conn, "kb.publish", ARTICLES_TARGET)
    known: dict[str, str] = {}
    for entry in history:
        for intent in (entry.after or {}).get("removed", ()):
            known.pop(intent, None)
        known.update((intent, version) for intent, version in
                     (entry.after or {}).get("published", ()))
    published = sorted((i, v) for i, v in current.items() if known.get(i) != v)
    removed = sorted(set(known) - set(current))
    if history and not published and not removed:
        return
    await audit.record(conn, actor=actor, action="kb.publish", at=now, target=ARTICLES_TARGET,
                       after={"published": [list(pair) for pair in published],
                              "removed": removed, "count": len(current)})


def _diff(old: dict[str, Any], new: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    changed = {key for key in old.keys() & new.keys() if old[key] != new[key]}
    before = {key: old[key] for key in sorted(changed | (old.keys() - new.keys()))}
    after = {key: new[key] for key in sorted(changed | (new.keys() - old.keys()))}
    return before, after
