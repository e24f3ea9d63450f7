"""The knowledge base sees signed-in people through the `StaffDoor` built in
`app/kb_wiring.py`: with every role they hold, so an editor who is also a reviewer may
both edit and review, an operator who is also an editor may edit but not review, and a
role taken away by an admin stops counting on the next request. On both databases.

The probe routes stand in for the knowledge base's (`/api/kb/…`, kb-api.md): each checks
one scope the way those routes do, `staff.may(scope)` or 403 with `staff.refusal(scope)`.
"""

from __future__ import annotations

from collections.abc import Callable

import httpx
from fastapi import Depends, FastAPI, HTTPException

from relevo.app.kb_wiring import staff_door
from relevo.app.settings import Settings
from relevo.bot.roles import Scope, Staff
from tests.conftest import started
from tests.handoff.helpers import Op, add_operator, build_app

KB_SCOPES = (Scope.KB_PROPOSE, Scope.KB_EDIT, Scope.KB_REVIEW)


def with_probes(app: FastAPI) -> FastAPI:
    """`POST /probe/<scope>`: 200 with who asked when their roles grant it, else 403."""
    relevo = app.state.relevo
    door = staff_door(relevo.handoff, relevo.desk)
    for scope in KB_SCOPES:
        def probe(staff: Staff = Depends(door), scope: Scope = scope) -> dict[str, object]:
            if not staff.may(scope):
                raise HTTPException(403, staff.refusal(scope))
            return {"id": staff.id, "roles": sorted(role.value for role in staff.roles)}

        app.add_api_route(f"/probe/{scope.value}", probe, methods=["POST"])
    return app


async def allowed(client: httpx.AsyncClient, op: Op | None) -> dict[str, int]:
    headers = op.headers if op is not None else {}
    return {scope.value: (await client.post(f"/probe/{scope.value}", headers=headers)).status_code
            for scope in KB_SCOPES}


async def test_the_staff_door_passes_every_role_a_person_holds(
    make_settings: Callable[..., Settings],
) -> None:
    app = with_probes(build_app(make_settings))
    async with started(app) as client:
        ana = await add_operator(app, "Ana", role="admin")
        both = await add_operator(app, "Rita", roles=("editor", "reviewer"))
        editing = await add_operator(app, "Olga", "ambassador", roles=("operator", "editor"))
        plain = await add_operator(app, "Pau")
        before = {name: await allowed(client, op) for name, op in (
            ("admin", ana), ("editor+reviewer", both), ("operator+editor", editing),
            ("operator", plain), ("nobody", None))}
        refused = await client.post("/probe/kb:review", headers=editing.headers)
        taken = await client.patch(f"/api/operators/{both.id}", headers=ana.headers,
                                   json={"roles": ["editor"]})
        after = await allowed(client, both)
        who = await client.post("/probe/kb:edit", headers=both.headers)
    ok, no = 200, 403
    assert before == {
        "admin": {"kb:propose": ok, "kb:edit": ok, "kb:review": ok},
        "editor+reviewer": {"kb:propose": ok, "kb:edit": ok, "kb:review": ok},
        "operator+editor": {"kb:propose": ok, "kb:edit": ok, "kb:review": no},
        "operator": {"kb:propose": ok, "kb:edit": no, "kb:review": no},
        "nobody": {"kb:propose": 401, "kb:edit": 401, "kb:review": 401},
    }
    assert refused.json() == {
        "detail": "your roles (editor, operator) may not do this: it needs kb:review"}
    assert taken.status_code == 200, taken.text
    assert after == {"kb:propose": ok, "kb:edit": ok, "kb:review": no}
    assert who.json() == {"id": both.id, "roles": ["editor"]}
