"""The Slack package's Alembic branch (`slack`): its tables, its revisions."""

from __future__ import annotations

from pathlib import Path

MIGRATIONS_DIR = Path(__file__).parent
