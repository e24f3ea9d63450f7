"""Retention: each channel keeps a conversation a configured number of days after its
last activity (0, the default: for ever); older ones are erased by the app's hourly
round (driven here by `tick()` with an injected clock, never by waiting) and by
`relevo contacts retention`. Only the configured channel's old conversations go; their
contacts stay. SQLite and PostgreSQL alike."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import sqlalchemy as sa
from fastapi import FastAPI

from relevo.app.settings import Settings
from relevo.bot.store.schema import conversations, messages
from relevo.bot.types import Role
from tests.bot.privacy_support import (
    MARKER,
    make_shop,
    operator,
    personal_in,
    running_fakes,
    shop_settings,
)
from tests.bot.test_contacts_cli import relevo
from tests.channels.support import rows, settle
from tests.channels.whatsapp.support import post, text
from tests.conftest import started
from tests.settle import wait_until

NOW = datetime.now(UTC).replace(microsecond=0)  # the injected clock's fixed time


async def _web_conversation(client: httpx.AsyncClient, words: str) -> dict[str, str]:
    token = (await client.post("/webchat/sessions")).json()["visitor_token"]
    headers = {"Authorization": f"Bearer {token}"}
    sent = await client.post("/webchat/messages", json={"text": words}, headers=headers)
    assert sent.status_code == 202
    return headers


async def _age(app: FastAPI, conversation_id: int, days: float, *,
               messages_days: float | None = None, resolved: bool = False) -> None:
    """Pretend the conversation last changed `days` before NOW, and its messages were
    written `messages_days` before (default: the same)."""
    then = NOW - timedelta(days=days)
    written = NOW - timedelta(days=days if messages_days is None else messages_days)
    values: dict[str, object] = {"created_at": then, "updated_at": then}
    if resolved:
        values.update(state="resolved", resolved_at=then)
    async with app.state.relevo.database.write() as conn:
        await conn.execute(sa.update(conversations).where(conversations.c.id == conversation_id)
                           .values(**values))
        await conn.execute(sa.update(messages).where(messages.c.conversation_id == conversation_id)
                           .values(created_at=written))


async def _conversations(app: FastAPI, client: httpx.AsyncClient) -> dict[str, int]:
    """On the web: one idle for 40 days (open), one closed 40 days ago, one whose
    conversation row is old but whose last message is 20 days old. On WhatsApp: one idle
    for 40 days."""
    old_visitor = await _web_conversation(client, f"shipping? {MARKER} old web")
    await _web_conversation(client, f"shipping? {MARKER} closed web")
    await _web_conversation(client, "shipping? recent web")
    await post(client, text(f"How long does shipping take? {MARKER} old whatsapp"))
    await settle(app)
    found = await rows(app, "SELECT id FROM conversations ORDER BY id")
    ids = dict(zip(("old_web", "closed_web", "recent_web", "old_whatsapp"),
                   (row.id for row in found), strict=True))
    await _age(app, ids["old_web"], 40)
    await _age(app, ids["closed_web"], 40, resolved=True)
    await _age(app, ids["recent_web"], 40, messages_days=20)
    await _age(app, ids["old_whatsapp"], 40)
    app.state.old_visitor = old_visitor
    return ids


async def test_the_round_erases_only_the_configured_channels_old_conversations(
    make_settings: Callable[..., Settings], tmp_path: Path
) -> None:
    with running_fakes() as (telegram, twilio):
        settings = shop_settings(make_settings, telegram, twilio, tmp_path / "media",
                                 retention={"web": 30})
        app = make_shop(settings, twilio, tmp_path / "media").app
        async with started(app) as client:
            relevo_app = app.state.relevo
            # The round the app runs at start-up, before there is anything old.
            await wait_until(lambda: relevo_app.retention.last_round, "the start-up round")
            ids = await _conversations(app, client)
            relevo_app.privacy.set_clock(lambda: NOW)
            first = await relevo_app.retention.tick()
            second = await relevo_app.retention.tick()
            texts = {r.conversation_id: r.text for r in await rows(
                app, "SELECT conversation_id, text FROM messages WHERE direction = 'inbound'")}
            states = {r.id: r.state for r in await rows(app, "SELECT id, state FROM conversations")}
            again = await client.post("/webchat/messages", json={"text": "me again"},
                                      headers=app.state.old_visitor)
            admin = await operator(app, Role.ADMIN)
            logged = (await client.get("/api/audit?action=retention.erase",
                                       headers=admin)).json()["entries"]
    assert first.erased == {"web": (ids["old_web"], ids["closed_web"])}
    assert second.erased == {"web": ()}
    assert texts[ids["old_web"]] == texts[ids["closed_web"]] == ""
    assert MARKER in texts[ids["old_whatsapp"]]  # WhatsApp keeps its conversations
    assert texts[ids["recent_web"]] == "shipping? recent web"
    assert states[ids["old_web"]] == "resolved"  # it was with the bot: closed for good
    assert again.status_code == 202  # the contact stays: a new conversation starts
    (entry,) = logged
    assert entry["target"] == {"kind": "channel", "id": "web"}
    assert entry["actor"]["label"] == "retention"
    assert entry["after"]["conversations"] == [ids["old_web"], ids["closed_web"]]
    assert not personal_in(str(entry))


async def test_the_cli_lists_then_erases_and_retention_is_off_by_default(
    make_settings: Callable[..., Settings], tmp_path: Path
) -> None:
    with running_fakes() as (telegram, twilio):
        settings = shop_settings(make_settings, telegram, twilio, tmp_path / "media")
        shop = make_shop(settings, twilio, tmp_path / "media")
        async with started(shop.app) as client:
            assert shop.app.state.relevo.retention is None  # off by default
            ids = await _conversations(shop.app, client)
            off = await relevo(shop, "contacts", "retention")
            env = {"RELEVO_RETENTION__WEB": "30"}
            listed = await relevo(shop, "contacts", "retention", "--dry-run", env=env)
            untouched = await rows(shop.app, "SELECT COUNT(*) AS n FROM messages WHERE text = ''")
            erased = await relevo(shop, "contacts", "retention", env=env)
            blank = await rows(shop.app, "SELECT DISTINCT conversation_id FROM messages "
                                         "WHERE text = ''")
    assert off.exit_code == 0 and "retention is off" in off.output
    assert listed.exit_code == 0, listed.output
    old = f"{ids['old_web']}, {ids['closed_web']}"
    assert f"web (30 days): would erase 2 conversations: {old}" in listed.output
    assert untouched[0].n == 0
    assert erased.exit_code == 0, erased.output
    assert f"web (30 days): erased 2 conversations: {old}" in erased.output
    assert {r.conversation_id for r in blank} == {ids["old_web"], ids["closed_web"]}
