"""The audit log keeps every entry as written: newest first, secrets hidden, and no
statement (not even a hand-written one) can change or delete an entry. SQLite and
PostgreSQL alike."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from relevo.app.migrations import PACKAGE_MIGRATIONS
from relevo.bot.audit import Actor, entries, record
from relevo.bot.store import migrate
from relevo.bot.store.db import Database
from relevo.bot.store.schema import audit_log

NOW = datetime(2026, 11, 28, 21, 0, tzinfo=UTC)


async def test_entries_come_back_newest_first_with_secrets_hidden(database_url: str) -> None:
    database = Database(database_url)
    await migrate.upgrade(database, locations=PACKAGE_MIGRATIONS)
    ana = Actor("operator", "Ana", 7, "203.0.113.9")
    try:
        async with database.write() as conn:
            await record(conn, actor=ana, action="auth.login", at=NOW)
            await record(
                conn, actor=Actor.cli("root"), action="operator.update", at=NOW + timedelta(1),
                target=("operator", 3),
                before={"role": "operator", "password_hash": "$argon2id$…"},
                after={"role": "manager", "password": "hunter2hunter2", "skills": ["a"]},
            )
        async with database.read() as conn:
            found = await entries(conn)
            logins = await entries(conn, action="auth.")
            about_3 = await entries(conn, target=("operator", 3))
    finally:
        await database.close()
    assert [entry.action for entry in found] == ["operator.update", "auth.login"]
    update = found[0].public()
    assert update["actor"] == {"kind": "cli", "id": None, "label": "root", "source": "cli"}
    assert update["target"] == {"kind": "operator", "id": "3"}
    assert update["before"] == {"role": "operator", "password_hash": "***"}
    assert update["after"] == {"role": "manager", "password": "***", "skills": ["a"]}
    assert [entry.actor for entry in logins] == [ana]
    assert [entry.action for entry in about_3] == ["operator.update"]


@pytest.mark.parametrize("statement", [
    sa.update(audit_log).values(action="nothing.happened"),
    sa.delete(audit_log),
])
async def test_an_entry_can_be_neither_changed_nor_deleted(
    database_url: str, statement: sa.Executable
) -> None:
    database = Database(database_url)
    await migrate.upgrade(database, locations=PACKAGE_MIGRATIONS)
    try:
        async with database.write() as conn:
            await record(conn, actor=Actor.system(), action="contact.erase", at=NOW,
                         target=("contact", 1))
        with pytest.raises(sa.exc.DBAPIError, match="append-only"):
            async with database.write() as conn:
                await conn.execute(statement)
        async with database.read() as conn:
            kept = await entries(conn)
    finally:
        await database.close()
    assert [entry.action for entry in kept] == ["contact.erase"]
