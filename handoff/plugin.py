"""Plugs the handoff tier into the app: router for the engine, CSAT interceptor, the
operator API and WebSocket, the console, start-up and shutdown steps."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi import FastAPI

from relevo.handoff.api import operator_api
from relevo.handoff.console import console_router
from relevo.handoff.desk import HandoffDesk
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
    desk = HandoffDesk(handoff)
    relevo.extras["handoff"] = handoff
    relevo.extras["desk"] = desk  # the OperatorDesk Slack is built with
    relevo.engine.configure(router=handoff.router,
                            answers_while_queued=handoff.answers_while_queued,
                            handoff_text=handoff.handoff_text)
    relevo.engine.intercept(handoff.intercept)
    app.include_router(operator_api(handoff, desk))
    app.include_router(console_router(handoff, desk))
    relevo.on_startup.append(handoff.start)
    relevo.on_shutdown.append(handoff.stop)
