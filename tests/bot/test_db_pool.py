"""SQLite runs inline on the event loop: an exhausted pool must make a task wait, never
block the loop (which froze the whole server under a log-in storm)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from relevo.bot.store.db import SQLITE_CONNECTIONS, Database
from tests.settle import wait_until


async def test_a_read_waits_for_a_free_connection_while_the_loop_runs(tmp_path: Path) -> None:
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'relevo.db'}")
    release = asyncio.Event()
    held = 0

    async def hold() -> None:
        nonlocal held
        async with database.read():
            held += 1
            await release.wait()

    holders = [asyncio.create_task(hold()) for _ in range(SQLITE_CONNECTIONS)]
    await wait_until(lambda: held == SQLITE_CONNECTIONS, "every connection to be held")
    late = asyncio.create_task(database.ping())
    # The loop is still ours: other tasks run while the late read waits.
    ticks = 0
    for _ in range(20):
        await asyncio.sleep(0)
        ticks += 1
    assert ticks == 20 and not late.done()
    release.set()
    await wait_until(lambda: late.done(), "the late read to get a connection")
    late.result()
    await asyncio.gather(*holders)
    await database.close()
