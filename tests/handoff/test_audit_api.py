"""`GET /api/audit`: admins page through the audit log, newest first, by action; bad
cursors and filters are a 4xx with a reason. SQLite and PostgreSQL alike."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from relevo.app import create_app
from relevo.app.settings import Settings
from relevo.bot.audit import Actor, record
from relevo.bot.types import Role
from tests.bot.privacy_support import operator
from tests.conftest import started

T0 = datetime(2026, 11, 29, 9, 0, tzinfo=UTC)
ACTIONS = ["contact.export", "contact.erase", "retention.erase", "contact.erase",
           "kb.publish"]


async def test_admins_page_back_through_the_log_by_action(
    make_settings: Callable[..., Settings],
) -> None:
    app = create_app(make_settings(), load_defaults=False)
    async with started(app) as client:
        async with app.state.relevo.database.write() as conn:
            for minute, action in enumerate(ACTIONS):
                await record(conn, actor=Actor("operator", "Ana <b>", 1, "203.0.113.7"),
                             action=action, at=T0 + timedelta(minutes=minute),
                             target=("contact", minute), after={"n": minute})
        admin = await operator(app, Role.ADMIN)

        async def page(query: str) -> dict[str, object]:
            answer = await client.get("/api/audit" + query, headers=admin)
            assert answer.status_code == 200, answer.text
            return answer.json()

        everything = await page("?limit=500")
        first = await page("?limit=2&action=contact.")
        second = await page(f"?limit=2&action=contact.&before={first['before']}")
        erasures = await page("?action=contact.erase")
        refused = [await client.get("/api/audit" + query, headers=admin) for query in (
            f"?before={2**63}", "?before=0", "?limit=0", "?limit=501", "?action=DROP%20TABLE",
            "?before=abc")]
    mine = [e for e in everything["entries"] if e["actor"]["label"] == "Ana <b>"]
    assert [e["action"] for e in mine] == list(reversed(ACTIONS))  # newest first
    assert mine[0]["actor"] == {"kind": "operator", "id": 1, "label": "Ana <b>",
                                "source": "203.0.113.7"}
    assert mine[0]["target"] == {"kind": "contact", "id": "4"}
    assert mine[0]["after"] == {"n": 4}
    assert [e["target"]["id"] for e in first["entries"]] == ["3", "1"]
    assert [e["target"]["id"] for e in second["entries"]] == ["0"]
    assert second["before"] is None  # nothing older
    assert [e["target"]["id"] for e in erasures["entries"]] == ["3", "1"]
    assert [r.status_code for r in refused] == [422] * 6
    assert all(isinstance(r.json()["detail"], str) for r in refused)
