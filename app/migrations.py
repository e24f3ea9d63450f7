"""Every folder of Alembic revisions beyond the core's: one per package that owns
tables. `relevo run` and every CLI command that opens the database apply them all."""

from __future__ import annotations

from pathlib import Path

from relevo.channels.slack.migrations import MIGRATIONS_DIR as SLACK_MIGRATIONS
from relevo.channels.whatsapp.migrations import MIGRATIONS_DIR as WHATSAPP_MIGRATIONS
from relevo.knowledge_base.migrations import MIGRATIONS_DIR as KB_MIGRATIONS

# Add a package's `migrations/` folder here when it starts owning tables.
PACKAGE_MIGRATIONS: tuple[Path, ...] = (SLACK_MIGRATIONS, WHATSAPP_MIGRATIONS, KB_MIGRATIONS)
