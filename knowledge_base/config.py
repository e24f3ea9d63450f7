"""The knowledge base's options (`knowledge_base:` in config.yml)."""

from __future__ import annotations

from relevo.bot.config import Section


class KnowledgeBaseSettings(Section):
    content_dir: str | None = None  # None: the demo shop's articles shipped with relevo
