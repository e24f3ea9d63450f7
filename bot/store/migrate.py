"""Apply Alembic migrations programmatically (`relevo db upgrade`, `relevo run`).

The core's revisions live in `migrations/versions`. A package that owns tables (a
channel, say) keeps its revisions in a folder of its own, as an Alembic branch whose
first revision `depends_on` the core revision it builds on; the composition root passes
those folders here, so the core never names a package.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Connection

from relevo.bot.store.db import Database

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def alembic_config(url: str, locations: Sequence[Path] = ()) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("path_separator", "os")
    folders = [MIGRATIONS_DIR / "versions", *locations]
    config.set_main_option("version_locations", os.pathsep.join(str(f) for f in folders))
    config.set_main_option("sqlalchemy.url", url)
    return config


async def upgrade(
    database: Database, *, locations: Sequence[Path] = (), revision: str = "heads"
) -> None:
    """Bring the schema up to date: the core's revisions plus those in `locations`."""
    config = alembic_config(database.url, locations)

    def _upgrade(connection: Connection) -> None:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)

    await database.run_sync(_upgrade)
