"""GDPR through the operator API: an admin exports everything stored about a shopper
known on three channels, and erases it: no word they wrote, no name, number or file
stays anywhere in the database or on disk, while the anonymous counts do; erasing
twice answers the same; the shopper's next message makes a new contact. SQLite and
PostgreSQL alike."""

from __future__ import annotations

import base64
from pathlib import Path

from relevo.bot.types import Role
from tests.bot.privacy_support import (
    JPEG,
    MARKER,
    PERSONAL,
    Shop,
    dump,
    marta_everywhere,
    operator,
    personal_in,
)
from tests.channels.support import rows, settle
from tests.channels.whatsapp.support import post, text
from tests.conftest import started


async def test_the_export_holds_everything_about_the_shopper_on_every_channel(
    shop: Shop,
) -> None:
    async with started(shop.app) as client:
        admin = await operator(shop.app, Role.ADMIN)
        contact_id = await marta_everywhere(shop, client, admin)
        answer = await client.get(f"/api/contacts/{contact_id}/export", headers=admin)
        logged = (await client.get("/api/audit?action=contact.export", headers=admin)).json()
    assert answer.status_code == 200, answer.text
    assert "attachment" in answer.headers["content-disposition"]
    data = answer.json()
    assert {i["channel"] for i in data["identities"]} == {"telegram", "web", "whatsapp"}
    assert len(data["contacts"]) == 3  # the merged ones come along
    # The same person's words on two channels after linking, in one export.
    marked = {m["channel"] for m in data["messages"] if MARKER in m["text"]}
    assert marked == {"web", "whatsapp"}
    assert any(m["author_kind"] == "operator" and MARKER in m["text"] for m in data["messages"])
    (photo,) = data["media_files"]
    assert base64.b64decode(photo["content_base64"]) == JPEG
    assert {(a["value"], a["source"]) for a in data["verified_addresses"]} == {
        ("+34600111222", "telegram"), ("+34600111222", "whatsapp")}
    assert data["link_codes"] and all("code_hash" not in c for c in data["link_codes"])
    assert data["web_sessions"] and all("token_hash" not in s for s in data["web_sessions"])
    moves = [(t["from_state"], t["to_state"]) for c in data["conversations"]
             for t in c["transitions"]]
    assert ("bot", "queued") in moves and ("assigned", "resolved") in moves
    assert [n["text"] for n in data["operator_notes"]] == [f"{MARKER}: Marta's box was crushed"]
    assert [r["score"] for r in data["csat_ratings"]] == [5]
    assert data["handoffs"] and data["routing_decisions"]
    assert [o["keyword"] for o in data["whatsapp_opt_outs"]] == ["STOP"]
    assert data["slack_threads"] == []
    assert data["orders"] == []
    (entry,) = logged["entries"]
    assert entry["target"] == {"kind": "contact", "id": str(contact_id)}
    assert entry["after"]["contacts"] == [c["id"] for c in data["contacts"]]
    assert not personal_in(str(entry))


async def test_erasure_leaves_no_personal_data_and_keeps_the_counts(shop: Shop) -> None:
    app = shop.app
    async with started(app) as client:
        admin = await operator(app, Role.ADMIN)
        contact_id = await marta_everywhere(shop, client, admin)
        before = await _counts(app)
        assert personal_in(await dump(app)) == list(PERSONAL)  # the check can see them
        assert list(shop.media_dir.iterdir())
        first = await client.post(f"/api/contacts/{contact_id}/erase", headers=admin)
        await settle(app)
        files = _sqlite_files(app)
        after = await _counts(app)
        everything = await dump(app)
        again = await client.post(f"/api/contacts/{contact_id}/erase", headers=admin)
        still_open = await client.get("/api/conversations?state=open", headers=admin)
        erasures = (await client.get("/api/audit?action=contact.erase", headers=admin)).json()
    assert first.status_code == 200, first.text
    assert personal_in(everything) == []
    assert list(shop.media_dir.iterdir()) == []
    # On SQLite, not even the file's free pages or its write-ahead log keep them.
    assert [word for word in PERSONAL if word.encode() in files] == []
    assert after == before  # conversations, messages by direction, ratings: still counted
    assert again.status_code == 200
    assert again.json() == first.json()
    assert first.json()["messages"] == before["messages"]
    assert still_open.json()["conversations"] == []
    assert app.state.relevo.handoff.state.queue.entries == {}
    assert [e["action"] for e in erasures["entries"]] == ["contact.erase"] * 2
    assert erasures["entries"][1]["after"]["removed"]["identities"] == 3
    assert erasures["entries"][0]["after"]["removed"]["identities"] == 0


async def test_the_shoppers_next_message_makes_a_new_contact(shop: Shop) -> None:
    app = shop.app
    async with started(app) as client:
        admin = await operator(app, Role.ADMIN)
        contact_id = await marta_everywhere(shop, client, admin)
        erased = await client.post(f"/api/contacts/{contact_id}/erase", headers=admin)
        await settle(app)
        await post(client, text("How long does shipping take?", sid="SM" + "8" * 32))
        await settle(app)
        contacts = await rows(app, "SELECT id, erased_at FROM contacts "
                                   "WHERE merged_into_id IS NULL ORDER BY id")
        newest = await rows(app, "SELECT contact_id, conversation_id, text FROM messages "
                                 "ORDER BY id DESC LIMIT 2")
        old_conversations = await rows(
            app, f"SELECT state FROM conversations WHERE contact_id = {contact_id}")
    assert erased.status_code == 200
    (old, new) = contacts
    assert old.id == contact_id and old.erased_at is not None
    assert new.erased_at is None
    assert {m.contact_id for m in newest} == {new.id}
    assert newest[1].text == "How long does shipping take?"
    assert {c.state for c in old_conversations} == {"resolved"}


async def test_only_admins_export_erase_and_read_the_audit_log(shop: Shop) -> None:
    app = shop.app
    async with started(app) as client:
        admin = await operator(app, Role.ADMIN)
        contact_id = await marta_everywhere(shop, client, admin)
        refused = []
        for role in (Role.OPERATOR, Role.MANAGER, Role.EDITOR, Role.REVIEWER):
            headers = await operator(app, role)
            refused += [
                await client.get(f"/api/contacts/{contact_id}/export", headers=headers),
                await client.post(f"/api/contacts/{contact_id}/erase", headers=headers),
                await client.get("/api/audit", headers=headers),
            ]
        anonymous = await client.get(f"/api/contacts/{contact_id}/export")
        unknown = [await client.get("/api/contacts/999999/export", headers=admin),
                   await client.post("/api/contacts/999999/erase", headers=admin)]
        out_of_range = [await client.get(f"/api/contacts/{2**64}/export", headers=admin),
                        await client.post("/api/contacts/0/erase", headers=admin)]
        texts = await rows(app, "SELECT text FROM messages WHERE text != ''")
    assert {r.status_code for r in refused} == {403}
    assert all("contacts:" in r.json()["detail"] or "audit:read" in r.json()["detail"]
               for r in refused)
    assert anonymous.status_code == 401
    assert [r.status_code for r in unknown] == [404, 404]
    assert unknown[0].json() == {"detail": "contact 999999 does not exist"}
    assert [r.status_code for r in out_of_range] == [422, 422]
    assert any(MARKER in t.text for t in texts)  # nothing was erased by the refused calls


async def _counts(app: object) -> dict[str, object]:
    """What analytics count: conversations, messages by direction and author, ratings."""
    conversations = await rows(app, "SELECT COUNT(*) AS n FROM conversations")
    directions = await rows(app, "SELECT direction, author_kind, COUNT(*) AS n FROM messages "
                                 "GROUP BY direction, author_kind ORDER BY direction, author_kind")
    scores = await rows(app, "SELECT score FROM csat_responses ORDER BY id")
    total = await rows(app, "SELECT COUNT(*) AS n FROM messages")
    return {
        "conversations": conversations[0].n,
        "directions": [tuple(r) for r in directions],
        "scores": [r.score for r in scores],
        "messages": total[0].n,
    }



def _sqlite_files(app: object) -> bytes:
    """The bytes of the SQLite database and its write-ahead log (PostgreSQL: none)."""
    url = app.state.relevo.settings.database_url  # type: ignore[attr-defined]
    if not url.startswith("sqlite"):
        return b""
    path = Path(url.split("///", 1)[1])
    return b"".join(part.read_bytes() for part in sorted(path.parent.glob(path.name + "*")))
