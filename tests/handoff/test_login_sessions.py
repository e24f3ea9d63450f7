"""Log-in without stalls (issue #10, row 1), sessions ended by a password change, and the
log-in audit trail — through HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from relevo.app.cli import app as cli
from relevo.app.settings import Settings
from relevo.bot.audit import entries
from tests.conftest import started
from tests.handoff.helpers import ManualClock, service
from tests.handoff.login_helpers import (
    PASSWORD,
    WRONG,
    log_in,
    login_app,
    operator_with_password,
    unique_email,
    unique_ips,
)
from tests.settle import wait_until


class HeldHashing:
    """Stands in for Argon2's check: each call blocks its thread until `release`."""

    def __init__(self) -> None:
        self.entered = 0
        self._lock = threading.Lock()
        self._go = threading.Event()

    def __call__(self, password_hash: str, password: str) -> bool:
        with self._lock:
            self.entered += 1
        self._go.wait(60)
        return False

    def release(self) -> None:
        self._go.set()


@pytest.fixture
def held_hashing(monkeypatch: pytest.MonkeyPatch) -> Iterator[HeldHashing]:
    held = HeldHashing()
    monkeypatch.setattr("relevo.handoff.passwords.check_password", held)
    yield held
    held.release()


async def test_the_server_answers_while_forty_log_ins_are_being_hashed(
    make_settings: Callable[..., Settings], held_hashing: HeldHashing
) -> None:
    # More log-ins mid-hash than either database pool has connections (15 / 30).
    app = login_app(make_settings, ManualClock(), login={"hashing_workers": 40})
    ips = unique_ips(40)
    async with started(app) as client:
        storm = [asyncio.create_task(log_in(client, unique_email(), WRONG, ip)) for ip in ips]
        await wait_until(lambda: held_hashing.entered == 40, "40 log-ins to be hashing")
        health = await client.get("/healthz")
        visitor = (await client.post("/webchat/sessions")).json()["visitor_token"]
        message = await client.post("/webchat/messages", json={"text": "hello"},
                                    headers={"Authorization": f"Bearer {visitor}"})
        held_hashing.release()
        statuses = [response.status_code for response in await asyncio.gather(*storm)]
    assert health.status_code == 200
    assert message.status_code == 202
    assert statuses == [401] * 40


async def test_a_log_in_that_finds_no_hashing_slot_is_told_to_come_back(
    make_settings: Callable[..., Settings], held_hashing: HeldHashing
) -> None:
    app = login_app(make_settings, ManualClock(),
                    login={"hashing_workers": 1, "hashing_wait_seconds": 0.1})
    first_ip, second_ip = unique_ips(2)
    async with started(app) as client:
        first = asyncio.create_task(log_in(client, unique_email(), WRONG, first_ip))
        await wait_until(lambda: held_hashing.entered == 1, "the first log-in to be hashing")
        busy = await log_in(client, unique_email(), WRONG, second_ip)
        held_hashing.release()
        assert (await first).status_code == 401
        again = await log_in(client, unique_email(), WRONG, second_ip)
    assert busy.status_code == 503
    assert busy.headers["retry-after"] == "1"
    assert busy.json() == {"detail": "too many log-ins at once: try again shortly"}
    assert again.status_code == 401


def session(cookie: str) -> dict[str, str]:
    return {"Cookie": f"relevo_console={cookie}"}


async def test_a_password_change_over_the_api_ends_every_console_session(
    make_settings: Callable[..., Settings],
) -> None:
    app = login_app(make_settings, ManualClock())
    email = unique_email()
    async with started(app) as client:
        ana = await operator_with_password(app, email)
        assert (await log_in(client, email, PASSWORD)).status_code == 200
        laptop = client.cookies["relevo_console"]
        assert (await log_in(client, email, PASSWORD)).status_code == 200
        phone = client.cookies["relevo_console"]
        client.cookies.clear()
        before = await client.get("/api/operators/me", headers=session(laptop))
        changed = await client.patch(f"/api/operators/{ana.id}", headers=ana.headers,
                                     json={"password": "a brand new password"})
        after = [(await client.get("/api/operators/me", headers=session(cookie))).status_code
                 for cookie in (laptop, phone)]
        new_password = await log_in(client, email, "a brand new password")
        renamed = await client.patch(f"/api/operators/{ana.id}", headers=ana.headers,
                                     json={"signature": "Ana M."})
        kept = await client.get("/api/operators/me")  # the new session survives an edit
    assert before.status_code == 200
    assert changed.status_code == 200
    assert after == [401, 401]
    assert new_password.status_code == 200
    assert renamed.status_code == 200 and kept.status_code == 200


async def test_a_password_set_from_the_cli_ends_the_console_sessions(
    make_settings: Callable[..., Settings], database_url: str, tmp_path: Path
) -> None:
    app = login_app(make_settings, ManualClock())
    email = unique_email()
    config = tmp_path / "config.yml"
    config.write_text(json.dumps({"database_url": database_url}))
    async with started(app) as client:
        await operator_with_password(app, email)
        assert (await log_in(client, email, PASSWORD)).status_code == 200
        before = await client.get("/api/operators/me")
        result = await asyncio.to_thread(
            CliRunner().invoke, cli,
            ["operators", "set-password", email, "--password-stdin", "--config", str(config)],
            input="a brand new password\n",
        )
        after = await client.get("/api/operators/me")
    assert result.exit_code == 0, result.output
    assert "console sessions ended" in result.output
    assert before.status_code == 200 and after.status_code == 401


async def test_log_ins_log_outs_and_lockouts_are_audited_without_passwords(
    make_settings: Callable[..., Settings],
) -> None:
    app = login_app(make_settings, ManualClock())
    email, unknown, (ip,) = unique_email(), unique_email("who"), unique_ips(1)
    async with started(app) as client:
        ana = await operator_with_password(app, email)
        await log_in(client, email, WRONG, ip)
        await log_in(client, unknown, WRONG, ip)
        assert (await log_in(client, email, PASSWORD, ip)).status_code == 200
        assert (await client.delete("/console/session",
                                    headers={"X-Forwarded-For": ip})).status_code == 200
        statuses = [(await log_in(client, unknown, WRONG, ip)).status_code for _ in range(8)]
        async with service(app).database.read() as conn:
            trail = list(reversed(await entries(conn, action="auth.")))
    assert statuses == [401, 401, 401, 429, 429, 429, 429, 429]
    actions = [entry.action for entry in trail]
    assert actions == ["auth.login_failed", "auth.login_failed", "auth.login", "auth.logout",
                       "auth.login_failed", "auth.login_failed", "auth.login_failed",
                       "auth.login_throttled"]  # five refused attempts, one entry
    failed_known, failed_unknown, login, logout = trail[:4]
    assert (failed_known.target_kind, failed_known.target_id) == ("operator", str(ana.id))
    assert failed_known.actor.id is None and failed_known.after["email"] == email
    assert failed_unknown.target_id is None and failed_unknown.after["email"] == unknown
    assert (login.actor.kind, login.actor.id, login.actor.source) == ("operator", ana.id, ip)
    assert (logout.actor.id, logout.actor.source) == (ana.id, ip)
    assert trail[-1].after["limit"] == "login.ip" and trail[-1].actor.source == ip
    assert all(WRONG not in json.dumps(e.public()) and PASSWORD not in json.dumps(e.public())
               for e in trail)
