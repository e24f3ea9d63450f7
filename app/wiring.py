"""The composition root: builds every component from `Settings` and wires them.

Nothing is created at import time; `create_app(settings)` returns a fresh app whose
lifespan opens the database, applies migrations, trains the NLU, starts the
outbox worker and hands back any message a crash left unhandled.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse, PlainTextResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from relevo.app.migrations import PACKAGE_MIGRATIONS
from relevo.app.settings import Settings
from relevo.bot.bus import InProcessBus
from relevo.bot.engine import Engine, EngineSettings
from relevo.bot.inbox import Inbox
from relevo.bot.logs import RequestLogMiddleware
from relevo.bot.metrics import Metrics
from relevo.bot.outbox import OutboxWorker
from relevo.bot.protocols import NLU, Channel, KnowledgeBase, PostDestination
from relevo.bot.store import outbox as outbox_store
from relevo.bot.store.db import Database
from relevo.bot.store.migrate import upgrade
from relevo.channels.web import WebChannel, WebChatHub, webchat_router

log = logging.getLogger("relevo.app")


@dataclass
class Relevo:
    """Everything one running relevo holds; reachable as `app.state.relevo`."""

    settings: Settings
    database: Database
    bus: InProcessBus
    metrics: Metrics
    inbox: Inbox
    engine: Engine
    outbox: OutboxWorker
    channels: dict[str, Channel]
    web_hub: WebChatHub
    # Where the outbox delivers posts that are not shopper messages (Slack's).
    post_destinations: dict[str, PostDestination] = field(default_factory=dict)
    nlu: NLU | None = None
    knowledge_base: KnowledgeBase | None = None
    # Start-up and shutdown steps added by plugins (run in order; shutdown reversed).
    on_startup: list[Callable[[], Awaitable[None]]] = field(default_factory=list)
    on_shutdown: list[Callable[[], Awaitable[None]]] = field(default_factory=list)
    extras: dict[str, Any] = field(default_factory=dict)


# Packages that plug into the app: each module has `install(app, relevo)`, which adds
# its routes, channels, bus subscribers and start-up steps. A module that cannot be
# imported (an optional part not installed) is skipped.
PLUGINS = (
    "relevo.handoff.plugin",
    "relevo.channels.telegram.install",
    "relevo.channels.whatsapp.install",
    "relevo.channels.slack.channel",
    "relevo.bot.linking",
)


def build(
    settings: Settings,
    *,
    nlu: NLU | None = None,
    knowledge_base: KnowledgeBase | None = None,
    channels: dict[str, Channel] | None = None,
) -> Relevo:
    database = Database(settings.database_url)
    bus = InProcessBus()
    metrics = Metrics()
    _describe(metrics)
    web_hub = WebChatHub()
    all_channels: dict[str, Channel] = {"web": WebChannel(web_hub)}
    all_channels.update(channels or {})
    post_destinations: dict[str, PostDestination] = {}
    outbox = OutboxWorker(database, all_channels, bus, metrics, settings.outbox,
                          destinations=post_destinations)
    engine = Engine(
        database,
        bus,
        metrics,
        on_outbound=outbox.wake,
        nlu=nlu,
        knowledge_base=knowledge_base,
        settings=EngineSettings(default_locale=settings.default_locale),
    )
    inbox = Inbox(database, bus, metrics, on_accepted=engine.submit)

    async def backlog() -> float:
        async with database.read() as conn:
            return float(await outbox_store.backlog(conn))

    metrics.gauge("relevo_outbox_backlog", "Outbound messages waiting for delivery", backlog)
    return Relevo(
        settings=settings,
        database=database,
        bus=bus,
        metrics=metrics,
        inbox=inbox,
        engine=engine,
        outbox=outbox,
        channels=all_channels,
        web_hub=web_hub,
        post_destinations=post_destinations,
        nlu=nlu,
        knowledge_base=knowledge_base,
    )


def create_app(
    settings: Settings,
    *,
    nlu: NLU | None = None,
    knowledge_base: KnowledgeBase | None = None,
    channels: dict[str, Channel] | None = None,
    load_defaults: bool = True,
) -> FastAPI:
    """The ASGI app. With `load_defaults`, the NLU and knowledge base configured in
    `settings` are built at start-up unless given here (tests pass fakes)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        relevo: Relevo = app.state.relevo
        if settings.auto_migrate:
            await upgrade(relevo.database, locations=PACKAGE_MIGRATIONS)
        if load_defaults and relevo.knowledge_base is None:
            relevo.knowledge_base = _load_knowledge_base(settings)
            relevo.engine.configure(knowledge_base=relevo.knowledge_base)
        if load_defaults and relevo.nlu is None:
            relevo.nlu = await _build_nlu(settings, relevo)
            relevo.engine.configure(nlu=relevo.nlu)
        for step in relevo.on_startup:
            await step()
        await relevo.outbox.start()
        await relevo.engine.recover()
        try:
            yield
        finally:
            await relevo.outbox.stop()
            for step in reversed(relevo.on_shutdown):
                try:
                    await step()
                except Exception:
                    log.exception("shutdown step failed")
            await relevo.engine.close()
            await relevo.bus.close()
            closer = getattr(relevo.nlu, "close", None)
            if closer is not None:
                await closer()
            await relevo.database.close()

    relevo = build(settings, nlu=nlu, knowledge_base=knowledge_base, channels=channels)
    app = FastAPI(title="relevo", version=_version(), lifespan=lifespan)
    app.state.relevo = relevo
    app.add_middleware(RequestLogMiddleware, metrics=relevo.metrics)
    app.add_middleware(
        CORSMiddleware,
        allow_origins=list(settings.webchat.allowed_origins),
        allow_methods=["GET", "POST"],
        allow_headers=["Authorization", "Content-Type"],
    )
    _install_error_handlers(app)
    app.include_router(
        webchat_router(relevo.database, relevo.inbox.accept, relevo.web_hub, settings.webchat)
    )
    _mount_nlu(app, relevo)
    for module_name in PLUGINS:
        _install_plugin(module_name, app, relevo)

    @app.get("/healthz")
    async def healthz() -> JSONResponse:
        try:
            await relevo.database.ping()
        except Exception as exc:
            log.error("health check: database unreachable: %s", type(exc).__name__)
            return JSONResponse({"status": "error", "database": "unreachable"}, status_code=503)
        return JSONResponse({"status": "ok", "database": "ok"})

    @app.get("/metrics")
    async def metrics() -> PlainTextResponse:
        return PlainTextResponse(
            await relevo.metrics.render(), media_type="text/plain; version=0.0.4"
        )

    return app


def _describe(metrics: Metrics) -> None:
    metrics.describe("relevo_http_requests_total", "HTTP requests by method, route and status")
    metrics.describe("relevo_messages_in_total", "Shopper messages stored, by channel")
    metrics.describe("relevo_messages_duplicate_total", "Replayed provider messages ignored")
    metrics.describe("relevo_messages_out_total", "Outbound messages delivered, by channel")
    metrics.describe("relevo_delivery_retries_total", "Delivery attempts to be retried")
    metrics.describe("relevo_delivery_failures_total", "Outbound messages that failed for good")
    metrics.describe("relevo_engine_decisions_total", "What the engine did with a message")
    metrics.describe("relevo_nlu_backend_failures_total", "NLU backend calls that failed")
    metrics.inc("relevo_delivery_failures_total", 0)


def _install_error_handlers(app: FastAPI) -> None:
    """Every 4xx body is `{"detail": "<one readable reason>"}`."""

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0] if exc.errors() else {"msg": "invalid request", "loc": ()}
        if first.get("type") == "json_invalid":
            return JSONResponse({"detail": "request body is not valid JSON"}, status_code=400)
        where = ".".join(str(p) for p in first.get("loc", ()) if p not in ("body", "query"))
        reason = f"{where}: {first['msg']}" if where else str(first["msg"])
        return JSONResponse({"detail": reason}, status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return JSONResponse(
            {"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers
        )


def _load_knowledge_base(settings: Settings) -> KnowledgeBase | None:
    try:
        from relevo.knowledge_base.articles import DEMO_CONTENT_DIR, load_dir
        from relevo.knowledge_base.memory import InMemoryKnowledgeBase
    except ImportError:
        log.warning("knowledge base package unavailable; the bot hands every message off")
        return None
    directory = Path(settings.knowledge_base.content_dir or DEMO_CONTENT_DIR)
    articles = load_dir(directory)
    log.info("knowledge base: %d articles from %s", len(articles), directory)
    return InMemoryKnowledgeBase(articles)


async def _build_nlu(settings: Settings, relevo: Relevo) -> NLU | None:
    from relevo.app.nlu_factory import build_nlu

    return await build_nlu(settings, relevo.knowledge_base, relevo.metrics)


def _install_plugin(module_name: str, app: FastAPI, relevo: Relevo) -> None:
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name is not None and module_name.startswith(exc.name):
            return  # that part of relevo is not there
        raise
    module.install(app, relevo)


def _mount_nlu(app: FastAPI, relevo: Relevo) -> None:
    try:
        from relevo.nlu.http import parse_router
    except ImportError:
        return
    app.include_router(parse_router(lambda: relevo.nlu))


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("relevo")
    except PackageNotFoundError:
        return "0.0.0"
