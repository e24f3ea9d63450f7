"""Plugs the handoff tier into the app: router for the engine, CSAT interceptor, the
operator API and WebSocket, the console, start-up and shutdown steps."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi import FastAPI

from relevo.handoff.actions import ActionError
from relevo.handoff.api import action_refused, operator_api
from relevo.handoff.console import console_router
from relevo.handoff.service import Handoff

if TYPE_CHECKING:
    from relevo.app.wiring import Relevo


def install(app: FastAPI, relevo: Relevo) -> None:
    handoff = Handoff(
        relevo.database,
        relevo.bus,
        relevo.settings.handoff,
        on_outbound=relevo.outbox.wake,
        knowledge_base=lambda: relevo.knowledge_base,
        nlu=lambda: relevo.nlu,
    )
    relevo.extras["handoff"] = handoff
    relevo.engine.configure(router=handoff.router,
                            answers_while_queued=handoff.answers_while_queued,
                            handoff_text=handoff.handoff_text)
    relevo.engine.intercept(handoff.intercept)
    app.add_exception_handler(ActionError, action_refused)
    app.include_router(operator_api(handoff))
    app.include_router(console_router(handoff))
    relevo.on_startup.append(handoff.start)
    relevo.on_shutdown.append(handoff.stop)
