"""The knowledge base's editorial parts (issue #13), wired beside the rest: the editor
and its REST API, model publishing, the unanswered-question inbox. They see a signed-in
person through a `StaffDoor` built here from handoff's log-in, never handoff itself."""

from __future__ import annotations

from fastapi import Depends

from relevo.app.parts import Assembly
from relevo.app.settings import Settings
from relevo.bot.bus import InProcessBus
from relevo.bot.models import LiveModels
from relevo.bot.roles import Staff, StaffDoor
from relevo.bot.store.db import Database
from relevo.handoff.desk import HandoffDesk
from relevo.handoff.http import operator_dependency
from relevo.handoff.operators import OperatorState
from relevo.handoff.service import Handoff
from relevo.knowledge_base.editor import editor_router


def staff_door(handoff: Handoff, desk: HandoffDesk) -> StaffDoor:
    """"Who is asking?" for routes outside handoff: an operator's API token or console
    session (same rules as the operator API), as a `Staff`."""
    current = operator_dependency(desk, handoff)

    async def staff(operator: OperatorState = Depends(current)) -> Staff:
        return Staff(operator.id, operator.name, operator.kind, frozenset({operator.role}))

    return staff


def add_knowledge_base(
    assembly: Assembly, settings: Settings, database: Database, bus: InProcessBus,
    models: LiveModels, staff: StaffDoor,
) -> None:
    """The editor, its API, publishing and the inbox: each part adds its routes and
    lifecycles to `assembly` here."""
    assembly.routers.append(editor_router())
