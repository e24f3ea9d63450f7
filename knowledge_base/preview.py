"""Preview before publishing: what the bot answers now and what it would answer with a
draft in the knowledge base, and the regression replay that lists every answer a draft
would change.

The draft's models are the published articles with the draft put in (replacing its
intent, as if published), built like a publish builds them and kept in a small LRU by
content, so repeated previews of one draft train once. Decisions are the engine's own
(`bot.deciding.from_parse`), so a preview says what the bot will really do.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections import OrderedDict
from typing import Any

import sqlalchemy as sa

from relevo.bot import deciding
from relevo.bot.deciding import EngineSettings
from relevo.bot.intents import FALLBACK_INTENTS
from relevo.bot.language import ShopLanguages
from relevo.bot.models import LiveModels, Models
from relevo.bot.store.db import Database
from relevo.bot.store.schema import messages
from relevo.bot.text import fold
from relevo.knowledge_base.articles import Article
from relevo.knowledge_base.publishing import Build, PublishedArticles, fingerprint

DEFAULT_REPLAY_LIMIT = 200
DRAFT_CACHE_SIZE = 3


@dataclasses.dataclass(frozen=True, slots=True)
class Question:
    text: str
    locale: str
    source: str  # article | shopper
    expected: str | None  # the intent a right answer names


class Previewer:
    def __init__(
        self,
        models: LiveModels,
        database: Database,
        *,
        build: Build,
        published_articles: PublishedArticles,
        settings: EngineSettings,
        cache_size: int = DRAFT_CACHE_SIZE,
    ) -> None:
        self._models = models
        self._db = database
        self._build = build
        self._published_articles = published_articles
        self._settings = settings
        self._languages = ShopLanguages(settings.languages, settings.default_locale)
        self._cache: OrderedDict[str, asyncio.Task[Models]] = OrderedDict()
        self._cache_size = cache_size

    async def preview(
        self, text: str, locale: str | None, draft: Article | None
    ) -> dict[str, Any]:
        """{"current": Reply, "draft": Reply | None} for one shopper message."""
        current = self._models.current
        locale = locale or self._languages.likeliest(text, current.language)
        after = None
        if draft is not None:
            after = await reply(await self.draft_models(draft), text, locale, self._settings)
        return {"current": await reply(current, text, locale, self._settings), "draft": after}

    async def replay(self, draft: Article, limit: int = DEFAULT_REPLAY_LIMIT) -> dict[str, Any]:
        """{"checked": n, "changes": [Change]}: the draft's own questions and the latest
        `limit` shopper questions that hit the affected intents, current vs draft."""
        current = self._models.current
        own = [Question(q, locale, "article", draft.intent)
               for locale, texts in sorted(draft.questions.items()) for q in texts]
        affected = {draft.intent}
        befores = [await reply(current, q.text, q.locale, self._settings) for q in own]
        for before in befores:
            if before["intent"] is not None:
                affected.add(before["intent"])
        shoppers = await self._shopper_questions(affected, limit, {(fold(q.text), q.locale)
                                                                     for q in own})
        befores += [await reply(current, q.text, q.locale, self._settings) for q in shoppers]
        target = await self.draft_models(draft)
        changes = []
        for question, before in zip([*own, *shoppers], befores, strict=True):
            after = await reply(target, question.text, question.locale, self._settings)
            if (before["decision"], before["intent"]) != (after["decision"], after["intent"]):
                changes.append(_change(question, before, after))
        return {"checked": len(own) + len(shoppers), "changes": changes}

    async def regressions(self, draft: Article) -> list[dict[str, Any]]:
        """The replay's changes that turn a right answer wrong (publishing asks to confirm)."""
        return [c for c in (await self.replay(draft))["changes"] if c["regression"]]

    async def draft_models(self, draft: Article) -> Models:
        """The models with `draft` published in (built once per content, LRU)."""
        published = [a for a in await self._published_articles() if a.intent != draft.intent]
        articles = [*published, dataclasses.replace(draft, status="published")]
        key = fingerprint(articles)
        task = self._cache.get(key)
        if task is None or (task.done() and task.exception() is not None):
            task = asyncio.ensure_future(self._build(articles))
            self._cache[key] = task
        self._cache.move_to_end(key)
        while len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)
        return await asyncio.shield(task)

    async def _shopper_questions(
        self, intents: set[str], limit: int, seen: set[tuple[str, str]]
    ) -> list[Question]:
        """The latest `limit` shopper messages whose stored parse named one of `intents`
        (distinct texts; `seen`: the article's own questions, not repeated)."""
        parsed = messages.c.meta[("parse", "intent")].as_string()
        query = (
            sa.select(messages.c.text, messages.c.locale, messages.c.meta)
            .where(messages.c.author_kind == "shopper", parsed.in_(sorted(intents)))
            .order_by(messages.c.id.desc())
            .limit(limit * 2)
        )
        async with self._db.read() as conn:
            rows = (await conn.execute(query)).all()
        found: list[Question] = []
        for text, locale, meta in rows:
            parse = (meta or {}).get("parse") or {}
            language = parse.get("locale") or locale or self._languages.default
            key = (fold(text or ""), language)
            if not text or key in seen:
                continue
            seen.add(key)
            found.append(Question(text, language, "shopper", parse.get("intent")))
            if len(found) >= limit:
                break
        return found


async def reply(
    models: Models, text: str, locale: str, settings: EngineSettings
) -> dict[str, Any]:
    """Reply {"decision", "intent", "confidence", "title", "text"}: what the bot says
    to `text` with `models`, by the engine's rule (a handoff or a miss is a fallback)."""
    nlu, kb = models.nlu, models.knowledge_base
    result = await nlu.parse(text, locale) if nlu is not None else None
    confidence = round(result.intent.confidence, 4) if result is not None else 0.0
    fallback = {"decision": "fallback", "intent": None, "confidence": confidence,
                "title": None, "text": ""}
    if result is None or deciding.asks_for_person(fold(text)):
        return fallback
    decision = deciding.from_parse(result, kb, locale, settings)
    if decision.kind == "answer":
        intent = str(decision.meta["intent"])
    elif decision.kind == "clarify":
        intent = str(decision.meta["clarify"][0])
    else:
        fallback["text"] = decision.text
        return fallback
    title = kb.title(intent, locale) if kb is not None else None
    return {"decision": decision.kind, "intent": intent, "confidence": confidence,
            "title": title, "text": decision.text}


def _change(question: Question, before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    right_before = before["decision"] == "answer" and before["intent"] == question.expected
    right_after = after["decision"] == "answer" and after["intent"] == question.expected
    expected = question.expected if question.expected not in FALLBACK_INTENTS else None
    return {
        "text": question.text, "locale": question.locale, "source": question.source,
        "expected": expected,
        "before": {k: before[k] for k in ("decision", "intent", "confidence")},
        "after": {k: after[k] for k in ("decision", "intent", "confidence")},
        "regression": right_before and not right_after,
    }

