"""Roles are given by admins only, never raised by oneself, and every change to an
operator (API or CLI) is in the audit log, written with the change or not at all."""

from __future__ import annotations

import asyncio
import getpass
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi import FastAPI
from typer.testing import CliRunner

from relevo.app.cli import app as cli
from relevo.app.settings import Settings
from relevo.bot.audit import Actor, AuditEntry, entries
from relevo.bot.store.db import Database
from tests.conftest import started
from tests.handoff.helpers import add_operator, build_app, service


async def audit_of(app: FastAPI, operator_id: int) -> list[AuditEntry]:
    async with service(app).database.read() as conn:
        return await entries(conn, target=("operator", operator_id))


async def test_an_admin_gives_roles_and_every_change_is_audited(
    make_settings: Callable[..., Settings],
) -> None:
    app = build_app(make_settings)
    async with started(app) as client:
        ana = await add_operator(app, "Ana", role="admin", email="ana@shop.test")
        created = await client.post("/api/operators", headers=ana.headers, json={
            "name": "Bea", "kind": "outsourced", "role": "manager", "password": "a long secret"})
        bea = created.json()["operator"]["id"]
        taken = await client.patch(f"/api/operators/{bea}", headers=ana.headers,
                                   json={"email": "ana@shop.test", "max_concurrent": 9})
        edited = await client.patch(f"/api/operators/{bea}", headers=ana.headers, json={
            "role": "reviewer", "max_concurrent": 5, "signature": "Bea S."})
        token = {"Authorization": f"Bearer {created.json()['token']}"}
        as_bea = (await client.get("/api/operators/me", headers=token)).json()["operator"]
        removed = await client.delete(f"/api/operators/{bea}", headers=ana.headers)
        log = await audit_of(app, bea)
    assert created.status_code == 201 and created.json()["operator"]["role"] == "manager"
    assert taken.status_code == 409
    assert edited.status_code == 200 and edited.json()["operator"]["role"] == "reviewer"
    assert as_bea["role"] == "reviewer" and "kb:review" in as_bea["scopes"]
    assert removed.status_code == 200
    # Newest first; the refused edit (409) left nothing.
    assert [e.action for e in log] == ["operator.remove", "operator.role", "operator.update",
                                       "operator.create"]
    assert {e.actor for e in log} == {Actor("operator", "Ana", ana.id, "127.0.0.1")}
    remove, role, update, create = log
    assert role.before == {"roles": ["manager"]} and role.after == {"roles": ["reviewer"]}
    assert update.before == {"max_concurrent": 3, "signature": "Bea"}
    assert update.after == {"max_concurrent": 5, "signature": "Bea S."}
    assert create.before is None and create.after["role"] == "manager"
    assert create.after["kind"] == "outsourced" and "token" not in create.after
    assert "a long secret" not in repr(create.after)
    assert remove.before["role"] == "reviewer" and remove.after is None


async def test_nobody_raises_their_own_role_and_only_admins_manage_others(
    make_settings: Callable[..., Settings],
) -> None:
    app = build_app(make_settings)
    async with started(app) as client:
        ana = await add_operator(app, "Ana", role="admin")
        mia = await add_operator(app, "Mia", role="manager")
        olga = await add_operator(app, "Olga", "outsourced")
        asked = {
            "manager raises herself": (mia, "PATCH", mia.id, {"role": "admin"}),
            "manager gives a role": (mia, "PATCH", olga.id, {"role": "manager"}),
            "manager edits another": (mia, "PATCH", olga.id, {"max_concurrent": 9}),
            "manager adds": (mia, "POST", None, {"name": "Eve", "kind": "internal"}),
            "manager removes": (mia, "DELETE", olga.id, None),
            "operator raises herself": (olga, "PATCH", olga.id, {"role": "admin"}),
            "operator changes her kind": (olga, "PATCH", olga.id, {"kind": "internal"}),
            "admin demotes herself": (ana, "PATCH", ana.id, {"role": "operator"}),
            "operator signs": (olga, "PATCH", olga.id, {"signature": "Olga R."}),
            "admin gives a role": (ana, "PATCH", olga.id, {"role": "editor"}),
        }
        answers = {}
        for name, (op, method, target, body) in asked.items():
            url = "/api/operators" + (f"/{target}" if target is not None else "")
            answers[name] = await client.request(method, url, json=body, headers=op.headers)
        roles = {op.id: (await client.get("/api/operators/me", headers=op.headers))
                 .json()["operator"]["role"] for op in (ana, mia, olga)}
        logged = [e.action for op in (ana, mia, olga) for e in await audit_of(app, op.id)]
    assert {name: r.status_code for name, r in answers.items()} == {
        **{name: 403 for name in asked}, "operator signs": 200, "admin gives a role": 200}
    assert "your own role" in answers["operator raises herself"].json()["detail"]
    assert "operators:manage" in answers["manager gives a role"].json()["detail"]
    assert roles == {ana.id: "admin", mia.id: "manager", olga.id: "editor"}
    assert sorted(logged) == ["operator.role", "operator.update"]


def _audit_from_cli(url: str, operator_id: int) -> list[AuditEntry]:
    async def read() -> list[AuditEntry]:
        database = Database(url)
        try:
            async with database.read() as conn:
                return await entries(conn, target=("operator", operator_id))
        finally:
            await database.close()

    return asyncio.run(read())


def test_the_cli_gives_roles_and_records_who_ran_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("RELEVO_DATABASE_URL", url)
    runner = CliRunner()
    added = runner.invoke(cli, ["operators", "add", "--name", "Mia", "--kind", "internal",
                                "--email", "mia@shop.test", "--role", "manager"])
    plain = runner.invoke(cli, ["operators", "add", "--name", "Pau", "--kind", "expert"])
    listed = runner.invoke(cli, ["operators", "list"]).output
    unknown = runner.invoke(cli, ["operators", "edit", "mia@shop.test", "--role", "boss"])
    promoted = runner.invoke(cli, ["operators", "edit", "mia@shop.test", "--role", "admin",
                                   "--max-concurrent", "6"])
    removed = runner.invoke(cli, ["operators", "remove", "mia@shop.test"])
    log = _audit_from_cli(url, 1)
    assert added.exit_code == 0 and plain.exit_code == 0, added.output + plain.output
    assert "manager" in listed and "operator" in listed  # Pau got the default role
    assert unknown.exit_code == 2
    assert promoted.exit_code == 0, promoted.output
    assert removed.exit_code == 0
    assert [e.action for e in log] == ["operator.remove", "operator.role", "operator.update",
                                       "operator.create"]
    assert {e.actor for e in log} == {Actor.cli(getpass.getuser())}
    assert log[1].before == {"roles": ["manager"]} and log[1].after == {"roles": ["admin"]}
    assert log[2].after == {"max_concurrent": 6}
