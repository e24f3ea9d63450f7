"""The WhatsApp channel's own Alembic branch, on SQLite and PostgreSQL: it applies to
a fresh database and to one created before the channel owned its table (core head
0004, where core revision 0003 made `channel_opt_outs`), and the table works after."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa

from relevo.app.migrations import PACKAGE_MIGRATIONS
from relevo.bot.store.db import Database
from relevo.bot.store.migrate import upgrade
from relevo.channels.whatsapp import store

ADDRESS = "whatsapp:+34600111222"


async def _revisions(database: Database) -> set[str]:
    async with database.read() as conn:
        found = await conn.execute(sa.text("SELECT version_num FROM alembic_version"))
        return {row[0] for row in found}


async def _opt_out_round_trip(database: Database) -> tuple[bool, bool]:
    async with database.write() as conn:
        await store.set_opt_out(conn, ADDRESS, keyword="STOP", now=datetime.now(UTC))
    async with database.read() as conn:
        stopped = await store.opted_out(conn, ADDRESS)
    async with database.write() as conn:
        await store.set_opt_out(conn, ADDRESS, keyword=None, now=datetime.now(UTC))
    async with database.read() as conn:
        return stopped, await store.opted_out(conn, ADDRESS)


# Alembic records the heads no applied revision depends on.
HEADS = {"0012", "kb_0001", "slack_0002", "whatsapp_0001"}


async def test_a_fresh_database_gets_the_core_and_the_whatsapp_branch(database_url: str) -> None:
    database = Database(database_url)
    try:
        await upgrade(database, locations=PACKAGE_MIGRATIONS)
        assert await _revisions(database) == HEADS
        assert await _opt_out_round_trip(database) == (True, False)
    finally:
        await database.close()


async def test_a_database_at_the_old_core_head_keeps_its_opt_outs(database_url: str) -> None:
    database = Database(database_url)
    try:
        await upgrade(database)  # as relevo made it before the channel had a branch
        assert await _revisions(database) == {"0012"}  # the core alone
        async with database.write() as conn:
            await store.set_opt_out(conn, ADDRESS, keyword="BAJA", now=datetime.now(UTC))
        await upgrade(database, locations=PACKAGE_MIGRATIONS)
        assert await _revisions(database) == HEADS
        async with database.read() as conn:
            assert await store.opted_out(conn, ADDRESS)
        await upgrade(database, locations=PACKAGE_MIGRATIONS)  # nothing left to do
        assert await _opt_out_round_trip(database) == (True, False)
    finally:
        await database.close()


async def test_the_branch_creates_the_table_where_the_core_history_did_not(
    database_url: str,
) -> None:
    database = Database(database_url)
    try:
        await upgrade(database)
        async with database.write() as conn:
            await conn.execute(sa.text("DROP TABLE channel_opt_outs"))
        await upgrade(database, locations=PACKAGE_MIGRATIONS)
        assert await _opt_out_round_trip(database) == (True, False)
    finally:
        await database.close()
