"""The NLU model and the knowledge base in service, as one value swapped whole.

Built at start-up (training takes a moment, so it happens in the lifespan, not in the
constructor of anything), and swapped again when an editor publishes: the next pair is
trained aside while the current one keeps answering, then one reference swap puts it
in service, so nothing waits and no request fails during a publish.
"""

from __future__ import annotations

from dataclasses import dataclass

from relevo.bot.protocols import NLU, KnowledgeBase, LanguageDetector


@dataclass(frozen=True, slots=True)
class Models:
    nlu: NLU | None = None
    knowledge_base: KnowledgeBase | None = None
    # The shop's languages as the knowledge base writes them (bot/language.py reads
    # it), rebuilt with the knowledge base whatever the NLU backend.
    language: LanguageDetector | None = None


class LiveModels:
    def __init__(self, initial: Models | None = None) -> None:
        self._current = initial or Models()

    @property
    def current(self) -> Models:
        return self._current

    def publish(self, models: Models) -> None:
        """Serve `models` from now on (one reference swap: atomic for every reader)."""
        self._current = models
