"""`relevo run` refuses to start, in one line and with exit code 2, before migrations or
training, when it cannot listen or cannot write to its database."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

from tests.conftest import free_port
from tests.live import REPO_ROOT, relevo_env


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "relevo.app.cli", "run", *args], cwd=REPO_ROOT, env=env,
        capture_output=True, text=True, timeout=60, check=False,
    )


def test_a_busy_port_is_one_line_and_exit_code_2(tmp_path: Path) -> None:
    env = {**relevo_env(tmp_path), "RELEVO_NLU__BACKEND": "embedded"}
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run(env, "--host", "127.0.0.1", "--port", str(port))
    assert result.returncode == 2, result.stderr
    assert result.stderr == (f"relevo: port {port} on 127.0.0.1 is already in use: stop the "
                             "other process or choose another with --port\n")
    assert result.stdout == ""
    assert not (tmp_path / "relevo.db").exists()  # no migration ran


def test_an_sqlite_file_in_a_read_only_directory_is_refused(tmp_path: Path) -> None:
    # /proc takes no new files, whoever runs the test (permission bits do not stop root).
    env = {**relevo_env(tmp_path), "RELEVO_DATABASE_URL": "sqlite+aiosqlite:////proc/relevo.db"}
    result = run(env, "--port", str(free_port()))
    assert result.returncode == 2, result.stderr
    assert result.stderr == ("relevo: cannot write the database /proc/relevo.db: directory "
                             "/proc is not writable\n")


def test_an_sqlite_file_in_a_missing_directory_is_refused(tmp_path: Path) -> None:
    missing = tmp_path / "no" / "such"
    env = {**relevo_env(tmp_path),
           "RELEVO_DATABASE_URL": f"sqlite+aiosqlite:///{missing / 'relevo.db'}"}
    result = run(env, "--port", str(free_port()))
    assert result.returncode == 2, result.stderr
    assert result.stderr == (f"relevo: cannot create the database {missing / 'relevo.db'}: "
                             f"directory {missing} does not exist\n")


def test_a_postgresql_server_that_refuses_is_one_line_without_the_password(
    tmp_path: Path,
) -> None:
    nobody = free_port()  # nothing listens there
    env = {**relevo_env(tmp_path),
           "RELEVO_DATABASE_URL": f"postgresql+asyncpg://relevo:s3cret@127.0.0.1:{nobody}/shop"}
    result = run(env, "--port", str(free_port()))
    assert result.returncode == 2, result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith(
        f"relevo: cannot reach the database postgresql+asyncpg://relevo:***@127.0.0.1:{nobody}"
        "/shop: "), result.stderr
    assert "s3cret" not in result.stderr
