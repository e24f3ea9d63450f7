"""The knowledge base's options (`knowledge_base:` in config.yml)."""

from __future__ import annotations

from pydantic import Field

from relevo.bot.config import Section
from relevo.knowledge_base.clustering import DEFAULT_JOIN_THRESHOLD


class InboxSettings(Section):
    """The unanswered-question inbox (`knowledge_base.inbox`)."""

    # A question joins the most similar open cluster of its language at or above this
    # cosine similarity, else starts a new one (tuned on the shop dev set: README).
    join_threshold: float = Field(DEFAULT_JOIN_THRESHOLD, gt=0, le=1)
    # Ranking: a cluster's count is halved for every this many days since its last question.
    half_life_days: float = Field(7.0, gt=0)


class KnowledgeBaseSettings(Section):
    # Seeds an empty database on the first start; None: the demo shop shipped with relevo.
    content_dir: str | None = None
    inbox: InboxSettings = InboxSettings()
