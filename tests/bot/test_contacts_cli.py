"""`relevo contacts export | erase` against the database a running relevo serves: the
command is another process's work (run here in a thread with its own engine), so the
server learns of the erasure only from storage, and still never offers the erased
shopper's waiting conversation to anyone. SQLite and PostgreSQL alike."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from click.testing import Result
from typer.testing import CliRunner

from relevo.app.cli import app as cli
from relevo.bot.types import Role
from tests.bot.privacy_support import MARKER, Shop, dump, marta_everywhere, operator, personal_in
from tests.channels.support import rows, settle
from tests.conftest import started


async def relevo(
    shop: Shop, *args: str, answer: str | None = None, env: dict[str, str] | None = None
) -> Result:
    """`relevo ARGS` on the shop's database, as another process would run it."""
    env = {"RELEVO_DATABASE_URL": shop.app.state.relevo.settings.database_url,
           "RELEVO_TWILIO__MEDIA_DIR": str(shop.media_dir), "RELEVO_NLU__BACKEND": "none",
           **(env or {})}
    return await asyncio.to_thread(CliRunner().invoke, cli, list(args), input=answer, env=env)


async def test_the_cli_exports_and_erases_and_the_server_routes_it_to_nobody(
    shop: Shop, tmp_path: Path
) -> None:
    app = shop.app
    async with started(app) as client:
        admin = await operator(app, Role.ADMIN)
        contact_id = await marta_everywhere(shop, client, admin)
        (waiting,) = await rows(app, "SELECT id FROM conversations WHERE state = 'queued'")
        assert app.state.relevo.handoff.state.queue.get(waiting.id) is not None
        exported = await relevo(shop, "contacts", "export", str(contact_id),
                                "--output", str(tmp_path / "marta.json"))
        kept = await relevo(shop, "contacts", "erase", str(contact_id), answer="n\n")
        erased = await relevo(shop, "contacts", "erase", str(contact_id), "--yes")
        # The server's view still lists the conversation as waiting; storage says closed.
        online = await client.post("/api/operators/me/presence", json={"status": "online"},
                                   headers=admin)
        await settle(app)
        offers = await rows(app, f"SELECT offered_to FROM handoffs WHERE conversation_id = "
                                 f"{waiting.id}")
        queued = (await client.get("/api/conversations?state=queued", headers=admin)).json()
        everything = await dump(app)
        entries = (await client.get("/api/audit?action=contact.", headers=admin)).json()
    assert exported.exit_code == 0, exported.output
    data = json.loads((tmp_path / "marta.json").read_text(encoding="utf-8"))
    assert any(MARKER in m["text"] for m in data["messages"])
    assert kept.exit_code == 1 and "not erased" in kept.output
    assert erased.exit_code == 0, erased.output
    assert f"contact {contact_id} erased" in erased.output
    assert online.status_code == 200
    assert [o.offered_to for o in offers] == [None]
    assert queued["conversations"] == []
    assert app.state.relevo.handoff.state.queue.get(waiting.id) is None
    assert personal_in(everything) == []
    assert [(e["action"], e["actor"]["kind"]) for e in entries["entries"]] == [
        ("contact.erase", "cli"), ("contact.export", "cli")]


async def test_an_unknown_contact_is_one_line_and_exit_1(shop: Shop) -> None:
    async with started(shop.app):
        pass  # the schema exists
    exported = await relevo(shop, "contacts", "export", "424242")
    erased = await relevo(shop, "contacts", "erase", "424242", "--yes")
    too_big = await relevo(shop, "contacts", "export", str(2**64))
    for result in (exported, erased):
        assert result.exit_code == 1
        assert result.output == "relevo: contact 424242 does not exist\n"
    assert too_big.exit_code == 2
