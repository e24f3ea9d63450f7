"""The WhatsApp channel's Alembic branch (label `whatsapp`): version files only; the
core's `env.py` runs them (`relevo.bot.store.migrate.upgrade(locations=…)`)."""

from __future__ import annotations

from pathlib import Path

MIGRATIONS_DIR = Path(__file__).parent
