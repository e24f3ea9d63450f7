"""Bad configuration stops start-up naming the rule and field; console log-in, cookie
sessions, the live WebSocket; the operators CLI."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from pathlib import Path

import pytest
import websockets
from typer.testing import CliRunner

from relevo.app.cli import app as cli
from relevo.app.settings import Settings, load_settings
from relevo.bot.config import ConfigError
from relevo.handoff.auth import hash_password
from tests.conftest import started
from tests.handoff.helpers import add_operator, build_app, new_shopper, say, service
from tests.serve import serving
from tests.settle import DEADLINE_S


@pytest.mark.parametrize(
    ("yaml_text", "expected"),
    [
        ("handoff:\n  rules:\n    - name: nights\n      when: {hours: '25:00-06:00'}\n"
         "      pool: {kinds: [expert]}\n",
         "handoff.rules: Value error, rule 'nights' (#1), field when.hours:"),
        ("handoff:\n  rules:\n    - name: a\n      pool: {kinds: [internal]}\n"
         "    - name: b\n      when: {colour: red}\n",
         "rule 'b' (#2), field when.colour: unknown field"),
        ("handoff:\n  rules:\n    - name: a\n      pool: {kinds: [robot]}\n",
         "rule 'a' (#1), field pool.kinds.0:"),
        ("handoff:\n  rules:\n    - name: a\n      when: {days: [someday]}\n",
         "rule 'a' (#1), field when.days.0:"),
        ("handoff:\n  rules:\n    - name: only_priority\n      priority: 5\n",
         "no rule names a pool"),
        ("handoff:\n  business_hours: {mon: ['9-18']}\n", "handoff.business_hours: "),
        ("handoff:\n  business_hours: {monday: ['09:00-18:00']}\n", "unknown weekday 'monday'"),
        ("handoff:\n  timezone: Mars/Olympus\n", "handoff.timezone: "),
        ("handoff:\n  sla:\n    offer_seconds: 0\n", "handoff.sla.offer_seconds: "),
    ],
)
def test_bad_handoff_config_names_the_rule_and_field(
    tmp_path: Path, yaml_text: str, expected: str
) -> None:
    config = tmp_path / "config.yml"
    config.write_text(yaml_text)
    with pytest.raises(ConfigError) as caught:
        load_settings(config)
    assert expected in str(caught.value)
    assert "\n" not in str(caught.value)


async def test_console_login_session_and_live_socket(
    make_settings: Callable[..., Settings],
) -> None:
    app = build_app(make_settings)
    async with started(app) as client:
        ana = await add_operator(app, "Ana", email="ana@shop.test")
        handoff = service(app)
        from relevo.bot.store import operators as operator_store

        async with handoff.database.write() as conn:
            await operator_store.set_password_hash(conn, ana.id,
                                                   await hash_password("a long password"))
        page = await client.get("/console")
        assert page.status_code == 200
        assert "default-src 'self'" in page.headers["content-security-policy"]
        wrong = await client.post("/console/session",
                                  json={"email": "ana@shop.test", "password": "nope nope"})
        unknown = await client.post("/console/session",
                                    json={"email": "who@shop.test", "password": "nope nope"})
        assert (wrong.status_code, unknown.status_code) == (401, 401)
        assert wrong.json() == unknown.json()
        ok = await client.post("/console/session",
                               json={"email": "ANA@shop.test", "password": "a long password"})
        assert ok.status_code == 200
        cookie = ok.headers["set-cookie"]
        assert "HttpOnly" in cookie and "SameSite=strict" in cookie
        me = await client.get("/api/operators/me")  # the cookie, no token
        assert me.json()["operator"]["name"] == "Ana"
        # Unsafe requests with the cookie need the console header (no cross-site forms).
        forged = await client.post("/api/operators/me/presence", json={"status": "online"})
        assert forged.status_code == 403
        online = await client.post("/api/operators/me/presence", json={"status": "online"},
                                   headers={"X-Relevo-Console": "1"})
        assert online.status_code == 200
        session = client.cookies["relevo_console"]
        async with serving(app, lifespan=False) as address, websockets.connect(
            f"ws://{address}/api/ws", additional_headers={"Cookie": f"relevo_console={session}"}
        ) as socket:
            hello = json.loads(await socket.recv())
            shopper = await new_shopper(client)
            cid = await say(app, client, shopper, "I want a person")
            notices = [hello]
            async with asyncio.timeout(DEADLINE_S):
                while notices[-1].get("type") != "offered":
                    notices.append(json.loads(await socket.recv()))
        out = await client.delete("/console/session")
        assert out.status_code == 200
        client.cookies.clear()
        after = await client.get("/api/operators/me")
    assert hello["type"] == "hello" and hello["operator"]["name"] == "Ana"
    assert {"type": "offered", "conversation_id": cid} in [
        {k: n[k] for k in ("type", "conversation_id") if k in n} for n in notices
    ]
    assert after.status_code == 401


def test_operators_cli_edit_remove_and_password(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("RELEVO_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}")
    runner = CliRunner()
    added = runner.invoke(cli, ["operators", "add", "--name", "Lucía", "--kind", "expert",
                                "--email", "lucia@shop.test", "--skills", "product"])
    assert added.exit_code == 0 and added.output.startswith("rlv_")
    bad = runner.invoke(cli, ["operators", "edit", "lucia@shop.test", "--schedule",
                              '{"sat": ["20:00-26:00"]}'])
    assert bad.exit_code == 1 and "schedule: sat:" in bad.output
    edited = runner.invoke(cli, ["operators", "edit", "lucia@shop.test", "--timezone",
                                 "Europe/Madrid", "--schedule", '{"sat": ["20:00-02:00"]}',
                                 "--max-concurrent", "5", "--languages", "es,en"])
    assert edited.exit_code == 0, edited.output
    short = runner.invoke(cli, ["operators", "set-password", "1", "--password-stdin"],
                          input="short\n")
    assert short.exit_code == 2
    prompted = runner.invoke(cli, ["operators", "set-password", "1"],
                             input="a long password\na long password\n")
    assert prompted.exit_code == 0, prompted.output
    listed = runner.invoke(cli, ["operators", "list"])
    assert "es,en" in listed.output and "5" in listed.output
    missing = runner.invoke(cli, ["operators", "remove", "99"])
    assert missing.exit_code == 1 and "no operator 99" in missing.output
    removed = runner.invoke(cli, ["operators", "remove", "lucia@shop.test"])
    assert removed.exit_code == 0
    assert "Lucía" not in runner.invoke(cli, ["operators", "list"]).output
