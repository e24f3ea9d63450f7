"""Slack's tables migrate on their own Alembic branch. A database made when Slack's
revision 0004 was the core's head (stamped 0004) upgrades: 0004 still resolves, it
counts as being at core 0003, and pending Slack posts move to the outbox. A fresh
database gets the same heads. On SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from alembic.script import ScriptDirectory

from relevo.app.migrations import PACKAGE_MIGRATIONS
from relevo.bot.store import contacts as contact_store
from relevo.bot.store import conversations as conversation_store
from relevo.bot.store.db import Database
from relevo.bot.store.migrate import alembic_config, upgrade
from relevo.channels.slack.migrations import MIGRATIONS_DIR

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
# Alembic stores only the heads no other applied revision depends on: the core's 0009,
# slack_0002 (which stands for the 0004 it follows) and WhatsApp's branch.
APPLIED = ["0012", "kb_0001", "slack_0002", "whatsapp_0001"]


def old_layout(folder: Path) -> Path:
    """Revision 0004 as it was: the core's fourth revision, after 0003."""
    text = (MIGRATIONS_DIR / "0004_slack.py").read_text(encoding="utf-8")
    text = text.replace('down_revision = None', 'down_revision = "0003"')
    text = text.replace('branch_labels = ("slack",)', "branch_labels = None")
    text = text.replace('depends_on = "0003"', "depends_on = None")
    assert 'down_revision = "0003"' in text and "depends_on = None" in text
    (folder / "0004_slack.py").write_text(text, encoding="utf-8")
    return folder


async def versions(database: Database) -> list[str]:
    async with database.read() as conn:
        rows = await conn.execute(sa.text("SELECT version_num FROM alembic_version"))
        return sorted(r.version_num for r in rows)


async def tables(database: Database) -> set[str]:
    def names(conn: sa.Connection) -> set[str]:
        return set(sa.inspect(conn).get_table_names())

    async with database.read() as conn:
        return await conn.run_sync(names)


async def test_a_database_stamped_0004_upgrades_and_keeps_its_pending_posts(
    database_url: str, tmp_path: Path
) -> None:
    database = Database(database_url)
    try:
        await upgrade(database, locations=[old_layout(tmp_path)], revision="0004")
        assert await versions(database) == ["0004"]
        async with database.write() as conn:
            identity = await contact_store.resolve_identity(conn, "web", "u1", now=NOW)
            conversation, _ = await conversation_store.open_for_contact(
                conn, identity.contact_id, channel="web", locale="en", now=NOW)
            await conn.execute(sa.text(
                "INSERT INTO slack_posts (conversation_id, kind, ref_id, data, status, attempts,"
                " next_attempt_at, created_at, updated_at) VALUES (:c, 'notice', NULL,"
                " :data, 'pending', 2, :now, :now, :now)"
            ), {"c": conversation.id, "data": '{"text": "Queued again"}', "now": NOW})

        await upgrade(database, locations=PACKAGE_MIGRATIONS)

        assert await versions(database) == APPLIED
        assert {"slack_threads", "slack_events"} <= await tables(database)
        assert "slack_posts" not in await tables(database)
        async with database.read() as conn:
            moved = (await conn.execute(sa.text(
                "SELECT channel, recipient, kind, payload, attempts, message_id FROM outbox"
            ))).all()
            origins = (await conn.execute(sa.text(
                "SELECT origin_surface, origin_key FROM messages"))).all()
    finally:
        await database.close()
    [post] = moved
    payload = post.payload if isinstance(post.payload, dict) else json.loads(post.payload)
    assert (post.channel, post.recipient, post.kind, post.attempts, post.message_id) == (
        "slack", f"conversation:{conversation.id}", "notice", 2, None)
    assert payload == {"conversation_id": conversation.id, "text": "Queued again"}
    assert origins == []


def test_the_core_and_slack_are_two_branches() -> None:
    scripts = ScriptDirectory.from_config(alembic_config("sqlite://", PACKAGE_MIGRATIONS))
    assert set(scripts.get_heads()) == {"0012", "kb_0001", "slack_0002", "whatsapp_0001"}
    assert scripts.get_revision("0004").dependencies == "0003"
    assert scripts.get_revision("0005").down_revision == "0003"


async def test_a_fresh_database_gets_the_core_and_slack_heads(database_url: str) -> None:
    database = Database(database_url)
    try:
        await upgrade(database, locations=PACKAGE_MIGRATIONS)
        assert await versions(database) == APPLIED
        await upgrade(database, locations=PACKAGE_MIGRATIONS)  # nothing left to do
        assert await versions(database) == APPLIED
        present = await tables(database)
    finally:
        await database.close()
    assert {"slack_threads", "slack_events", "outbox", "messages"} <= present
    assert "slack_posts" not in present
