"""The database handle: a read path and a write path over one engine.

SQLite (the embedded default) runs inline: SQLite statements take microseconds,
and handing each one to a helper thread (what aiosqlite does) costs ten times
more than the statement itself, so the SQLite connection is driven synchronously
from the event loop behind the same async API (`InlineConnection`). Writes in one
process queue on an asyncio lock and open their transaction with BEGIN IMMEDIATE,
which also makes a second process wait on `busy_timeout` instead of failing a lock
upgrade. PostgreSQL goes through asyncpg and needs neither.

Because the SQLite pool is synchronous, a checkout from an exhausted pool would block
the event loop's thread, and with it every task that could give a connection back: the
whole process froze (a log-in storm that held connections while hashing passwords did
exactly that, for minutes). So SQLite checkouts first take one of `SQLITE_CONNECTIONS`
asyncio slots: a task that finds none waits without blocking anyone, and gives up
after `CHECKOUT_TIMEOUT_S` like the pool itself would.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine, Result
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from relevo.bot.store.quiet import hide_values

_IMMEDIATE = "relevo_sqlite_immediate"
BUSY_TIMEOUT_MS = 10_000
T = TypeVar("T")
SQLITE_POOL_SIZE, SQLITE_OVERFLOW = 5, 10
SQLITE_CONNECTIONS = SQLITE_POOL_SIZE + SQLITE_OVERFLOW
CHECKOUT_TIMEOUT_S = 30.0


class InlineConnection:
    """The subset of `AsyncConnection` relevo uses, over a synchronous connection."""

    __slots__ = ("sync_connection",)

    def __init__(self, sync_connection: Connection) -> None:
        self.sync_connection = sync_connection

    async def execute(self, statement: Any, parameters: Any = None) -> Result[Any]:
        return self.sync_connection.execute(statement, parameters)

    async def exec_driver_sql(self, statement: str, parameters: Any = None) -> Result[Any]:
        return self.sync_connection.exec_driver_sql(statement, parameters)

    async def scalar(self, statement: Any, parameters: Any = None) -> Any:
        return self.sync_connection.scalar(statement, parameters)

    @asynccontextmanager
    async def begin_nested(self) -> AsyncIterator[InlineConnection]:
        with self.sync_connection.begin_nested():
            yield self

    async def run_sync(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        return fn(self.sync_connection, *args, **kwargs)

    async def commit(self) -> None:
        self.sync_connection.commit()

    async def rollback(self) -> None:
        self.sync_connection.rollback()

    @property
    def dialect(self) -> sa.engine.Dialect:
        return self.sync_connection.dialect


class Database:
    def __init__(self, url: str, *, echo: bool = False, show_values: bool = False) -> None:
        """`show_values`: let errors quote the values of failing statements (the
        shopper's text among them): `log_shopper_text`, for debugging only."""
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        self._write_lock = asyncio.Lock() if self.is_sqlite else None
        self._slots = asyncio.Semaphore(SQLITE_CONNECTIONS)
        self._sync_engine: Engine | None = None
        self._async_engine: AsyncEngine | None = None
        if self.is_sqlite:
            sync_url = sa.engine.make_url(url).set(drivername="sqlite+pysqlite")
            in_memory = sync_url.database in (None, "", ":memory:")
            # A file gets SQLAlchemy's QueuePool, sized here to match `_slots`; an
            # in-memory database its one shared connection (SingletonThreadPool).
            pool: dict[str, Any] = {} if in_memory else {
                "pool_size": SQLITE_POOL_SIZE, "max_overflow": SQLITE_OVERFLOW,
                "pool_timeout": CHECKOUT_TIMEOUT_S,
            }
            self._sync_engine = sa.create_engine(
                sync_url, echo=echo, hide_parameters=not show_values, **pool
            )
            _configure_sqlite(self._sync_engine)
            engine = self._sync_engine
        else:
            self._async_engine = create_async_engine(
                url, echo=echo, pool_size=10, max_overflow=20, pool_pre_ping=True,
                hide_parameters=not show_values,
            )
            engine = self._async_engine.sync_engine
        if not show_values:
            hide_values(engine)

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncConnection]:
        if self._sync_engine is not None:
            async with self._slot():
                with self._sync_engine.connect() as sync:
                    yield InlineConnection(sync)  # type: ignore[misc]
            return
        assert self._async_engine is not None
        async with self._async_engine.connect() as conn:
            yield conn

    @asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncConnection]:
        """A transaction that commits when the block ends and rolls back on error."""
        if self._sync_engine is None:
            assert self._async_engine is not None
            async with self._async_engine.begin() as conn:
                yield conn
            return
        assert self._write_lock is not None
        async with self._write_lock, self._slot():
            with self._sync_engine.connect() as sync:
                sync = sync.execution_options(**{_IMMEDIATE: True})
                with sync.begin():
                    yield InlineConnection(sync)  # type: ignore[misc]

    @asynccontextmanager
    async def _slot(self) -> AsyncIterator[None]:
        """One of the SQLite pool's connections, waited for without blocking the loop."""
        try:
            async with asyncio.timeout(CHECKOUT_TIMEOUT_S):
                await self._slots.acquire()
        except TimeoutError:
            raise sa.exc.TimeoutError(
                f"all {SQLITE_CONNECTIONS} SQLite connections stayed in use for "
                f"{CHECKOUT_TIMEOUT_S:.0f} s"
            ) from None
        try:
            yield
        finally:
            self._slots.release()

    async def run_sync(self, fn: Callable[[Connection], None]) -> None:
        """Run `fn` with a synchronous connection in a transaction (migrations)."""
        if self._sync_engine is not None:
            async with self._slot():
                with self._sync_engine.connect() as sync:
                    fn(sync)
                    sync.commit()
            return
        assert self._async_engine is not None
        async with self._async_engine.begin() as conn:
            await conn.run_sync(fn)

    @asynccontextmanager
    async def scrubbing(self, conn: AsyncConnection) -> AsyncIterator[None]:
        """Within a write transaction: what it deletes or overwrites is zeroed in the
        SQLite file, not merely unlinked (`PRAGMA secure_delete`); `scrub()` after the
        commit moves it out of the write-ahead log. PostgreSQL: VACUUM reclaims it."""
        if not self.is_sqlite:
            yield
            return
        await conn.exec_driver_sql("PRAGMA secure_delete = ON")
        try:
            yield
        finally:
            await conn.exec_driver_sql("PRAGMA secure_delete = OFF")

    async def scrub(self) -> None:
        """SQLite: copy the write-ahead log into the file and empty it, so earlier
        versions of erased rows are gone from both (best effort: a busy reader keeps
        the log for the next checkpoint)."""
        if self._sync_engine is None:
            return
        assert self._write_lock is not None
        async with self._write_lock:
            with self._sync_engine.connect() as sync:
                # Never wait for readers: this runs on the event loop they need.
                sync.exec_driver_sql("PRAGMA busy_timeout = 0")
                try:
                    sync.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
                finally:
                    sync.exec_driver_sql(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")

    async def ping(self) -> None:
        async with self.read() as conn:
            await conn.exec_driver_sql("SELECT 1")

    async def close(self) -> None:
        if self._sync_engine is not None:
            self._sync_engine.dispose()
        if self._async_engine is not None:
            await self._async_engine.dispose()


def _configure_sqlite(engine: Engine) -> None:
    # Take transaction control away from the sqlite3 module (which begins lazily and
    # never IMMEDIATE) and emit BEGIN ourselves: SQLAlchemy's documented recipe.
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        immediate = conn.get_execution_options().get(_IMMEDIATE, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")
