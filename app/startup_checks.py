"""What `relevo run` checks before it spends seconds on migrations and training: that it
can listen where it was told to, and that it can write to its database. Each problem is
one readable sentence (the CLI prints it and exits with code 2).

The port is checked by binding it: the bound socket is what uvicorn then serves on, so
no other process can take the port between the check and the start.
"""

from __future__ import annotations

import errno
import socket
import tempfile
from pathlib import Path


class StartupProblem(Exception):
    """Why relevo cannot start, in one sentence."""


def listening_socket(host: str, port: int) -> socket.socket:
    """A TCP socket bound to host:port (uvicorn listens on it), or StartupProblem."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
    except socket.gaierror as exc:
        raise StartupProblem(f"cannot listen on {host}: {exc.strerror}") from None
    sock = socket.socket(family, kind, proto)
    # As uvicorn does: a port left in TIME_WAIT by a previous run is free to take again
    # (a port another process listens on is still refused).
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(address)
    except OSError as exc:
        sock.close()
        raise StartupProblem(_bind_problem(exc, host, port)) from None
    sock.set_inheritable(True)
    return sock


def _bind_problem(exc: OSError, host: str, port: int) -> str:
    if exc.errno == errno.EADDRINUSE:
        return (f"port {port} on {host} is already in use: stop the other process or "
                "choose another with --port")
    if exc.errno == errno.EACCES:
        return f"no permission to listen on port {port} on {host}: use a port above 1023"
    if exc.errno == errno.EADDRNOTAVAIL:
        return f"cannot listen on {host}: no such address on this machine"
    return f"cannot listen on port {port} on {host}: {exc.strerror}"


def database_problem(url: str) -> str | None:
    """Why the database at `url` cannot be used, or None. SQLite: its directory and file
    must be writable; PostgreSQL: a connection must open (5 s at most)."""
    import sqlalchemy as sa

    parsed = sa.engine.make_url(url)
    shown = parsed.render_as_string(hide_password=True)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database in (None, "", ":memory:"):
            return None
        return _sqlite_problem(Path(parsed.database))
    dsn = parsed.set(drivername="postgresql").render_as_string(hide_password=False)
    return _postgres_problem(dsn, shown)


def _sqlite_problem(path: Path) -> str | None:
    directory = path.resolve().parent
    if not directory.is_dir():
        return f"cannot create the database {path}: directory {directory} does not exist"
    try:
        # SQLite writes its journal (and WAL) files beside the database: a real
        # attempt, because permission bits say nothing for root or read-only mounts.
        with tempfile.TemporaryFile(dir=directory):
            pass
    except OSError:
        return f"cannot write the database {path}: directory {directory} is not writable"
    if path.exists():
        try:
            with path.open("r+b"):
                pass
        except OSError as exc:
            return f"cannot write the database {path}: {exc.strerror}"
    return None


def _postgres_problem(dsn: str, shown: str) -> str | None:
    import asyncio

    import asyncpg

    async def probe() -> None:
        connection = await asyncpg.connect(dsn, timeout=5)
        await connection.close()

    try:
        asyncio.run(probe())
    except (OSError, TimeoutError) as exc:
        reason = getattr(exc, "strerror", None) or type(exc).__name__
        return f"cannot reach the database {shown}: {str(reason).lower()}"
    except asyncpg.PostgresError as exc:
        return f"cannot use the database {shown}: {exc}"
    return None
