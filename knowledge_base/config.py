"""The knowledge base's options (`knowledge_base:` in config.yml)."""

from __future__ import annotations

from relevo.bot.config import Section


class KnowledgeBaseSettings(Section):
    # Seeds an empty database on the first start; None: the demo shop shipped with relevo.
    content_dir: str | None = None
