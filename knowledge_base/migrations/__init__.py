"""The knowledge base's Alembic branch (`kb`): articles, revisions, models, the inbox."""

from __future__ import annotations

from pathlib import Path

MIGRATIONS_DIR = Path(__file__).parent
