"""Roles are given by admins only, never raised by oneself, and every change to an
operator (API or CLI) is in the audit log, written with the change or not at all.

A person holds a list of roles (`editor` + `reviewer`): their scopes add up, the list is
stored and read back on both databases, given through the API and the CLI, and audited as
lists; taking a role away takes its powers away on the next request."""

from __future__ import annotations

import asyncio
import getpass
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from typer.testing import CliRunner

from relevo.app.cli import app as cli
from relevo.app.settings import Settings
from relevo.bot.audit import Actor, AuditEntry, entries
from relevo.bot.store import operators as operator_store
from relevo.bot.store.db import Database
from relevo.bot.store.schema import operators
from relevo.bot.types import OperatorKind, Role
from tests.conftest import started
from tests.handoff.helpers import Op, add_operator, build_app, service


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


async def _me(client: httpx.AsyncClient, op: Op) -> dict[str, Any]:
    response = await client.get("/api/operators/me", headers=op.headers)
    assert response.status_code == 200, response.text
    return dict(response.json()["operator"])


async def test_a_person_holds_several_roles_and_their_scopes_add_up(
    make_settings: Callable[..., Settings],
) -> None:
    app = build_app(make_settings)
    async with started(app) as client:
        ana = await add_operator(app, "Ana", role="admin")
        created = await client.post("/api/operators", headers=ana.headers, json={
            "name": "Rita", "kind": "internal", "roles": ["reviewer", "editor"]})
        rita_id = created.json()["operator"]["id"]
        rita = Op(rita_id, created.json()["token"],
                  {"Authorization": f"Bearer {created.json()['token']}"})
        both = await _me(client, rita)
        edited = await client.patch(f"/api/operators/{rita_id}", headers=ana.headers,
                                    json={"roles": ["operator", "editor"]})
        editing = await _me(client, rita)
        single = await client.patch(f"/api/operators/{rita_id}", headers=ana.headers,
                                    json={"role": "manager"})
        listed = (await client.get("/api/operators", headers=ana.headers)).json()["operators"]
        log = await audit_of(app, rita_id)
    assert created.status_code == 201, created.text
    assert created.json()["operator"]["roles"] == ["editor", "reviewer"]
    assert created.json()["operator"]["role"] == "editor"  # the highest, for one-role readers
    assert {"kb:propose", "kb:edit", "kb:review"} <= set(both["scopes"])
    assert "operators:manage" not in both["scopes"] and "conversations:all" not in both["scopes"]
    assert edited.status_code == 200 and edited.json()["operator"]["roles"] == [
        "editor", "operator"]
    assert "kb:edit" in editing["scopes"] and "kb:review" not in editing["scopes"]
    # The single-role form replaces every role held.
    assert single.status_code == 200 and single.json()["operator"]["roles"] == ["manager"]
    assert [o["roles"] for o in listed if o["id"] == rita_id] == [["manager"]]
    roles = [(e.before, e.after) for e in log if e.action == "operator.role"]
    assert roles == [  # newest first
        ({"roles": ["editor", "operator"]}, {"roles": ["manager"]}),
        ({"roles": ["editor", "reviewer"]}, {"roles": ["editor", "operator"]}),
    ]
    assert log[-1].action == "operator.create"
    assert log[-1].after["roles"] == ["editor", "reviewer"]


async def test_bad_roles_are_refused_with_the_field_and_nobody_changes_their_own(
    make_settings: Callable[..., Settings],
) -> None:
    app = build_app(make_settings)
    async with started(app) as client:
        ana = await add_operator(app, "Ana", role="admin")
        eve = await add_operator(app, "Eve", role="editor")
        asked = {
            "no role": (ana, eve.id, {"roles": []}),
            "null roles": (ana, eve.id, {"roles": None}),
            "role not among roles": (ana, eve.id, {"role": "admin", "roles": ["editor"]}),
            "unknown role": (ana, eve.id, {"roles": ["editor", "boss"]}),
            "editor adds reviewer to herself": (eve, eve.id, {"roles": ["editor", "reviewer"]}),
            "admin drops her own admin": (ana, ana.id, {"roles": ["editor"]}),
        }
        answers = {name: await client.patch(f"/api/operators/{target}", json=body,
                                            headers=op.headers)
                   for name, (op, target, body) in asked.items()}
        made = await client.post("/api/operators", headers=ana.headers, json={
            "name": "Zoe", "kind": "expert", "roles": []})
        still = (await _me(client, eve))["roles"], (await _me(client, ana))["roles"]
        logged = [e.action for op in (ana, eve) for e in await audit_of(app, op.id)]
    assert {name: r.status_code for name, r in answers.items()} == {
        "no role": 422, "null roles": 422, "role not among roles": 422, "unknown role": 422,
        "editor adds reviewer to herself": 403, "admin drops her own admin": 403}
    assert answers["no role"].json()["detail"] == "roles: give at least one role"
    assert answers["null roles"].json()["detail"] == "roles: must not be null"
    assert answers["role not among roles"].json()["detail"] == "role: admin is not among roles"
    assert "your own roles" in answers["editor adds reviewer to herself"].json()["detail"]
    assert made.status_code == 422 and made.json()["detail"] == "roles: give at least one role"
    assert still == (["editor"], ["admin"])
    assert logged == []


async def test_taking_a_role_away_takes_its_powers_away_at_once(
    make_settings: Callable[..., Settings],
) -> None:
    app = build_app(make_settings)
    reply = {"language": "es", "shortcut": "hola", "title": "Hola", "text": "¡Hola!"}
    async with started(app) as client:
        ana = await add_operator(app, "Ana", role="admin")
        mia = await add_operator(app, "Mia")
        given = await client.patch(f"/api/operators/{mia.id}", headers=ana.headers,
                                   json={"roles": ["operator", "manager"]})
        as_manager = await client.post("/api/saved-replies", json=reply, headers=mia.headers)
        taken = await client.patch(f"/api/operators/{mia.id}", headers=ana.headers,
                                   json={"roles": ["operator"]})
        as_operator = await client.post("/api/saved-replies", headers=mia.headers,
                                        json={**reply, "shortcut": "adios"})
        scopes = (await _me(client, mia))["scopes"]
    assert given.status_code == 200 and taken.status_code == 200
    assert as_manager.status_code == 201, as_manager.text
    assert as_operator.status_code == 403
    assert as_operator.json()["detail"] == (
        "your roles (operator) may not do this: it needs saved_replies:manage")
    assert scopes == ["conversations:own", "kb:propose"]


async def test_roles_round_trip_through_storage_and_old_rows_read_as_their_one_role(
    make_settings: Callable[..., Settings],
) -> None:
    app = build_app(make_settings)
    async with started(app):
        database = service(app).database
        async with database.write() as conn:
            row, _ = await operator_store.add(
                conn, name="Rita", kind=OperatorKind.INTERNAL, email=None, languages=["es"],
                skills=[], max_concurrent=3, now=service(app).now(),
                roles=[Role.REVIEWER, Role.EDITOR])
        async with database.read() as conn:
            read = await operator_store.get(conn, row.id)
            stored = (await conn.execute(sa.select(operators.c.role, operators.c.roles)
                                         .where(operators.c.id == row.id))).one()
        async with database.write() as conn:  # as rows written before 0011 look
            await conn.execute(sa.update(operators).where(operators.c.id == row.id)
                               .values(role="reviewer", roles=None))
        async with database.read() as conn:
            old = await operator_store.get(conn, row.id)
        async with database.write() as conn:  # a role a later version may add
            await conn.execute(sa.update(operators).where(operators.c.id == row.id)
                               .values(roles=["editor", "translator"]))
        async with database.write() as conn:
            unknown = await operator_store.get(conn, row.id)
            single = await operator_store.update(conn, row.id, role=Role.ADMIN)
            several = await operator_store.update(conn, row.id, roles=["operator", "manager"])
    assert read is not None
    assert row.roles == read.roles == frozenset({Role.EDITOR, Role.REVIEWER})
    assert tuple(stored) == ("editor", ["editor", "reviewer"])
    assert old is not None and old.roles == frozenset({Role.REVIEWER})
    assert unknown is not None and unknown.roles == frozenset({Role.EDITOR})
    assert single is not None and single.public()["roles"] == ["admin"]
    assert several is not None and several.public()["roles"] == ["manager", "operator"]
    assert several.role == Role.MANAGER


def test_the_cli_gives_several_roles_on_both_databases(
    live_database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("RELEVO_DATABASE_URL", live_database_url)
    monkeypatch.setenv("COLUMNS", "200")  # `list` is a table: wide enough not to wrap
    runner = CliRunner()

    def run(*args: str) -> tuple[int, str, str]:
        done = runner.invoke(cli, ["operators", *args])
        return done.exit_code, done.stdout, done.stderr

    repeated = run("add", "--name", "Rita", "--kind", "internal", "--email", "rita@shop.test",
                   "--role", "reviewer", "--role", "editor")
    listed = run("add", "--name", "Eli", "--kind", "expert", "--roles", "editor,reviewer")
    unknown = run("add", "--name", "Bob", "--kind", "expert", "--roles", "editor,boss")
    table = run("list")[1]
    edited = run("edit", "rita@shop.test", "--roles", "operator,editor")
    single = run("edit", "rita@shop.test", "--role", "admin")
    log = _audit_from_cli(live_database_url, 1)
    assert repeated[0] == 0 and listed[0] == 0, repeated[2] + listed[2]
    assert unknown[0] == 2
    assert unknown[2] == "relevo: --roles: unknown role 'boss': one of admin, manager, " \
        "editor, reviewer, operator\n"
    assert table.count("editor,reviewer") == 2 and "Bob" not in table
    assert edited[0] == 0 and single[0] == 0, edited[2] + single[2]
    assert [(e.before, e.after) for e in log if e.action == "operator.role"] == [
        ({"roles": ["editor", "operator"]}, {"roles": ["admin"]}),
        ({"roles": ["editor", "reviewer"]}, {"roles": ["editor", "operator"]}),
    ]
    assert log[-1].after["roles"] == ["editor", "reviewer"]
