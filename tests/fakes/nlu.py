"""A scripted NLU and knowledge base for engine tests (the real ones are in nlu/ and
knowledge_base/): keywords decide the intent, so each test states what it expects."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from relevo.bot.nlu_types import IntentPrediction, ParseResult, TrainingExample


class KeywordNLU:
    def __init__(self, rules: dict[str, list[tuple[str, float]]]) -> None:
        # keyword -> ranking [(intent, confidence), ...]
        self.rules = rules
        self.calls: list[str] = []

    async def parse(self, text: str, locale: str | None = None) -> ParseResult:
        self.calls.append(text)
        lowered = text.lower()
        for keyword, ranking in self.rules.items():
            if keyword in lowered:
                predictions = tuple(IntentPrediction(n, c) for n, c in ranking)
                top = predictions[0]
                if top.confidence < 0.5:
                    top = IntentPrediction("nlu_fallback", 0.5)
                return ParseResult(text, top, predictions, (), locale or "en")
        return ParseResult(text, IntentPrediction("nlu_fallback", 0.5), (), (), locale or "en")

    async def train(self, examples: Sequence[TrainingExample]) -> None:
        return None


class DictKnowledgeBase:
    def __init__(self, articles: dict[str, dict[str, tuple[str, str]]]) -> None:
        # intent -> locale -> (title, answer)
        self._articles = articles

    def answer(self, intent: str, locale: str) -> str | None:
        entry = self._articles.get(intent, {})
        found = entry.get(locale) or entry.get("en")
        return found[1] if found else None

    def title(self, intent: str, locale: str) -> str | None:
        entry = self._articles.get(intent, {})
        found = entry.get(locale) or entry.get("en")
        return found[0] if found else None

    def topic(self, intent: str) -> str | None:
        return "product" if intent in self._articles else None


def shop_nlu() -> KeywordNLU:
    return KeywordNLU(
        {
            "shipping": [("shipping_times", 0.92), ("shipping_costs", 0.05)],
            "envío": [("shipping_times", 0.9), ("shipping_costs", 0.06)],
            "return": [("returns_policy", 0.88)],
            "charger": [("charger_compatibility", 0.42), ("fast_charging", 0.40)],
            "weather": [("out_of_scope", 0.95)],
        }
    )


def shop_kb() -> DictKnowledgeBase:
    return DictKnowledgeBase(
        {
            "shipping_times": {
                "en": ("Shipping times", "Orders arrive in 2-3 working days."),
                "es": ("Plazos de envío", "Los pedidos llegan en 2-3 días laborables."),
            },
            "shipping_costs": {"en": ("Shipping costs", "Shipping is free over 50 euros.")},
            "returns_policy": {"en": ("Returns", "You have 30 days to return any item.")},
            "charger_compatibility": {
                "en": ("Charger compatibility", "Our USB-C chargers work with any USB-C phone.")
            },
            "fast_charging": {"en": ("Fast charging", "Fast charging needs a 20 W adapter.")},
        }
    )


class StuckNLU:
    """An NLU that never answers: the engine is left mid-message, as a crash leaves it
    (the message stored, not yet handled)."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    async def parse(self, text: str, locale: str | None = None) -> ParseResult:
        self.calls.append(text)
        await asyncio.Event().wait()
        raise AssertionError("unreachable")

    async def train(self, examples: Sequence[TrainingExample]) -> None:
        return None
