"""Unanswered-question inbox benchmark: file and cluster 10,000 questions the way the
running app does (one `BotMissed` at a time through `UnansweredInbox.file`, each its own
transaction on a fresh SQLite file, or an empty PostgreSQL database with
--database-url), and report
questions/s, clusters formed and how pure they are.

    .venv/bin/python bench/kb_inbox.py [--questions 10000] [--seed 13]
                                       [--database-url URL] [--json]

The questions are the shop dev set's messages (knowledge_base/eval/shop_dev.yml: 752
in-scope, 950 off-topic, Spanish and English split with relevo.nlu.langid), each asked
again with light random changes a shopper makes (case, a dropped or added filler word,
a typo, missing accents, punctuation, two words swapped). Figures:

- purity: share of questions whose cluster's majority label is their own, labelling
  in-scope questions by article and language and each off-topic message as its own
  topic; in-scope purity: the in-scope questions alone (the dev set's messages of one
  article are deliberately different phrasings: the hard case).
- clusters per intent / per source message: fragmentation (1.0: all of an article's,
  or all of one message's variants, in one cluster).
- questions/s stored (the app's path, one transaction per question) and in memory
  (the clustering alone).

`main()` returns the figures (bench/kb.py calls it); run alone it prints them.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import tempfile
import time
import unicodedata
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import sqlalchemy as sa  # noqa: E402

from relevo.app.migrations import PACKAGE_MIGRATIONS  # noqa: E402
from relevo.bot.events import BotMissed  # noqa: E402
from relevo.bot.store.db import Database  # noqa: E402
from relevo.bot.store.migrate import upgrade  # noqa: E402
from relevo.bot.store.schema import contacts, conversations, messages  # noqa: E402
from relevo.knowledge_base.articles import DEMO_CONTENT_DIR  # noqa: E402
from relevo.knowledge_base.clustering import (  # noqa: E402
    Candidate,
    Clusters,
    joined,
    purity,
    vector,
)
from relevo.knowledge_base.config import InboxSettings  # noqa: E402
from relevo.knowledge_base.inbox import UnansweredInbox  # noqa: E402
from relevo.knowledge_base.training import examples_from_dir  # noqa: E402
from relevo.nlu.langid import LanguageDetector  # noqa: E402
from relevo.nlu.yaml_io import load_examples  # noqa: E402

SHOP_DEV = DEMO_CONTENT_DIR.parent / "eval" / "shop_dev.yml"
OOS = "out_of_scope"
FILLERS = {"es": ["hola", "oye", "porfa", "una pregunta", "gracias"],
           "en": ["hi", "hey", "please", "quick question", "thanks"]}


# A dev-set message: (source id, intent, language, text)
Source = tuple[int, str, str, str]


def sources() -> list[Source]:
    detector = LanguageDetector.fit(examples_from_dir(), languages={"es", "en"})
    return [(i, e.intent, detector.detect(e.text), e.text)
            for i, e in enumerate(load_examples(SHOP_DEV))]


def perturbed(text: str, language: str, rng: random.Random) -> str:
    """`text` as a shopper might type it again."""
    words = text.split()
    for _ in range(rng.randint(1, 2)):
        change = rng.randrange(7)
        if change == 0:
            text = text.lower() if rng.random() < 0.5 else text.upper()
            words = text.split()
        elif change == 1 and len(words) > 3:
            del words[rng.randrange(len(words))]
        elif change == 2:
            words.insert(0, rng.choice(FILLERS[language]))
        elif change == 3 and words:
            at = rng.randrange(len(words))
            word = words[at]
            if len(word) > 3:
                cut = rng.randrange(1, len(word) - 1)
                words[at] = word[:cut] + word[cut + 1:]  # a letter missed
        elif change == 4:
            bare = unicodedata.normalize("NFKD", " ".join(words))
            words = "".join(c for c in bare if not unicodedata.combining(c)).split()
        elif change == 5:
            words.append(rng.choice(["?", "??", "!", "..."]))
        elif change == 6 and len(words) > 2:
            at = rng.randrange(len(words) - 1)
            words[at], words[at + 1] = words[at + 1], words[at]
    return " ".join(words) or text


def questions(count: int, seed: int) -> list[tuple[Source, str]]:
    rng = random.Random(seed)
    pool = sources()
    return [(source, perturbed(source[3], source[2], rng))
            for source in (rng.choice(pool) for _ in range(count))]


async def _stored(database: Database, asked: list[tuple[Source, str]]) -> list[int]:
    """The shoppers' messages, stored as the inbox finds them; their ids."""
    start = datetime.now(UTC) - timedelta(days=1)
    async with database.write() as conn:
        contact = (await conn.execute(sa.insert(contacts).values(
            tags=[], created_at=start).returning(contacts.c.id))).scalar_one()
        conversation = (await conn.execute(sa.insert(conversations).values(
            contact_id=contact, state="resolved", channel="web", bot_misses=0,
            created_at=start, updated_at=start).returning(conversations.c.id))).scalar_one()
        await conn.execute(sa.insert(messages), [{
            "conversation_id": conversation, "contact_id": contact, "direction": "in",
            "author_kind": "shopper", "channel": "web", "text": text, "locale": source[2],
            "delivery_status": "delivered", "processed": True,
            "created_at": start + timedelta(seconds=i),
        } for i, (source, text) in enumerate(asked)])
        ids = (await conn.execute(sa.select(messages.c.id, messages.c.conversation_id)
                                  .order_by(messages.c.id))).all()
    return [int(row.id) for row in ids]


async def stored_run(asked: list[tuple[Source, str]], url: str | None) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as folder:
        database = Database(url or f"sqlite+aiosqlite:///{folder}/inbox.db")
        try:
            await upgrade(database, locations=PACKAGE_MIGRATIONS)
            ids = await _stored(database, asked)
            inbox = UnansweredInbox(database, None, InboxSettings())
            cluster_of: list[int] = []
            started = time.perf_counter()
            for message_id, (source, _) in zip(ids, asked, strict=True):
                filed = await inbox.file(BotMissed(
                    conversation_id=0, at=datetime.now(UTC), message_id=message_id,
                    channel="web", language=source[2], kind="miss"))
                cluster_of.append(filed.cluster_id if filed else -1)
            seconds = time.perf_counter() - started
        finally:
            await database.close()
    return {"seconds": seconds, "clusters": cluster_of}


def memory_run(asked: list[tuple[Source, str]]) -> dict[str, Any]:
    per_language: dict[str, Clusters] = defaultdict(Clusters)
    cluster_of: list[int] = []
    started = time.perf_counter()
    for source, text in asked:
        question = vector(text)
        clusters = per_language[source[2]]
        hit = clusters.nearest(question) if question else None
        candidate = (Candidate(len(cluster_of) + 1, question, text, 1) if hit is None
                     else joined(hit[0], question, text))
        clusters.put(candidate)
        cluster_of.append(candidate.id)
    return {"seconds": time.perf_counter() - started, "clusters": cluster_of}


def figures(asked: list[tuple[Source, str]], cluster_of: list[int]) -> dict[str, float]:
    """Purity with each in-scope question labelled by its article and language, each
    off-topic one by its source message (two off-topic messages are two topics)."""
    pairs = list(zip(asked, cluster_of, strict=True))
    labelled = purity((f"{s[1]}/{s[2]}" if s[1] != OOS else f"oos/{s[0]}", c)
                      for (s, _), c in pairs)
    by_intent = purity((f"{s[1]}/{s[2]}", c) for (s, _), c in pairs if s[1] != OOS)
    by_source = purity((f"{s[0]}", c) for (s, _), c in pairs)
    return {"purity": round(labelled[0], 3),
            "in_scope_purity": round(by_intent[0], 3),
            "clusters_per_intent": round(by_intent[1], 2),
            "clusters_per_source_message": round(by_source[1], 2)}


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--questions", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args([] if argv is None else argv)  # None: a caller's defaults
    asked = questions(args.questions, args.seed)
    stored = asyncio.run(stored_run(asked, args.database_url))
    memory = memory_run(asked)
    result: dict[str, Any] = {
        "questions": len(asked),
        "sources": len({s[0] for s, _ in asked}),
        "stored_questions_per_s": round(len(asked) / stored["seconds"], 1),
        "memory_questions_per_s": round(len(asked) / memory["seconds"], 1),
        "clusters": len(set(stored["clusters"]) - {-1}),
        **figures(asked, stored["clusters"]),
    }
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print("| inbox clustering | value |\n|---|---|")
        for key, value in result.items():
            print(f"| {key.replace('_', ' ')} | {value} |")
    return result


if __name__ == "__main__":
    main(sys.argv[1:])
