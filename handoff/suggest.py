"""Knowledge-base answers suggested to the operator for the shopper's latest question:
only intents the NLU is at least `handoff.console.suggestion_min_confidence` sure of (a
0-1% guess is noise), best first, in the shopper's language."""

from __future__ import annotations

from typing import Any

from relevo.bot.intents import FALLBACK_INTENTS, HANDOFF_INTENT
from relevo.bot.store import messages as message_store
from relevo.bot.types import AuthorKind
from relevo.handoff.service import Handoff

# Nothing the knowledge base could answer.
NOT_ANSWERABLE = FALLBACK_INTENTS | {HANDOFF_INTENT}


async def suggestions(
    handoff: Handoff, conversation_id: int, limit: int = 3
) -> list[dict[str, Any]]:
    nlu, kb = handoff.nlu(), handoff.knowledge_base()
    if nlu is None or kb is None:
        return []
    async with handoff.database.read() as conn:
        history = await message_store.for_conversation(conn, conversation_id)
    questions = [m for m in history if m.author.kind == AuthorKind.SHOPPER]
    if not questions:
        return []
    latest = questions[-1]
    locale = latest.locale or "en"
    try:
        parsed = await nlu.parse(latest.text, latest.locale)
    except Exception:  # suggestions are a convenience: never fail the console for them
        return []
    ranking = parsed.intent_ranking or (parsed.intent,)
    threshold = handoff.settings.console.suggestion_min_confidence
    found: list[dict[str, Any]] = []
    for prediction in ranking:
        if prediction.name in NOT_ANSWERABLE or prediction.confidence < threshold:
            continue
        answer = kb.answer(prediction.name, locale)
        if answer is None:
            continue
        found.append({
            "intent": prediction.name,
            "title": kb.title(prediction.name, locale) or prediction.name,
            "answer": answer,
            "confidence": round(prediction.confidence, 3),
        })
        if len(found) >= limit:
            break
    return found
