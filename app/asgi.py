"""The ASGI app: serves a built `Relevo` and runs its lifecycle.

Start-up: migrations (core + every package's branch), the models (knowledge base and
NLU, trained here, not at import), the audit log's record of changed settings and
published articles, every part's `start` in order, the outbox, then the
messages a crash left stored but unanswered. Shutdown: the reverse.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse, PlainTextResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from relevo.app import openapi
from relevo.app.kb_wiring import served_articles
from relevo.app.migrations import PACKAGE_MIGRATIONS
from relevo.app.models import load_models
from relevo.app.settings import Settings
from relevo.app.startup_audit import record_startup
from relevo.app.wiring import Relevo, build
from relevo.bot.clock import utc_now
from relevo.bot.limits import BodyLimitMiddleware, BodyLimits
from relevo.bot.logs import RequestLogMiddleware
from relevo.bot.protocols import NLU, Channel, KnowledgeBase
from relevo.bot.store.migrate import upgrade
from relevo.bot.textguard import JsonTextGuard
from relevo.channels.web.attachments import UPLOAD_PATH
from relevo.nlu.http import PARSE_PATH

log = logging.getLogger("relevo.app")

API_DESCRIPTION = (
    "relevo's HTTP API: the web chat (visitor token), the operators' API (operator token "
    "or console session), provider webhooks (signed by the provider), NLU parse, health "
    "and metrics. Every 4xx answer is `{\"detail\": \"<reason>\"}`. WebSockets "
    "(`/webchat/ws`, `/api/ws`) are described in the README."
)

# Provider webhooks (Telegram, Twilio, the order webhook; Slack): their own body limit,
# and their text is stored sanitised rather than refused.
WEBHOOK_ROUTES = ("/webhooks/", "/slack/")


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
    relevo = build(settings, nlu=nlu, knowledge_base=knowledge_base, channels=channels)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await _start(relevo, load_defaults)
        try:
            yield
        finally:
            await _stop(relevo)

    app = FastAPI(title="relevo", version=_version(), lifespan=lifespan,
                  description=API_DESCRIPTION)
    app.state.relevo = relevo
    # Outermost last: CORS → request log → body limit → text guard → routes.
    app.add_middleware(JsonTextGuard, exempt=(*WEBHOOK_ROUTES, PARSE_PATH))
    app.add_middleware(BodyLimitMiddleware, limits=_body_limits(settings))
    app.add_middleware(RequestLogMiddleware, metrics=relevo.metrics)
    app.add_middleware(
        CORSMiddleware,
        allow_origins=list(settings.webchat.allowed_origins),
        allow_methods=["GET", "POST"],
        allow_headers=["Authorization", "Content-Type"],
    )
    _install_error_handlers(app)
    for router in relevo.assembly.routers:
        app.include_router(router)
    _operations(app, relevo)
    openapi.install(app)  # /openapi.json, /docs: every route, its body and its errors
    return app


def _body_limits(settings: Settings) -> BodyLimits:
    config = settings.body_limits
    webhooks = [(route, config.webhook_bytes) for route in WEBHOOK_ROUTES]
    # The widget's uploads are files, not JSON: their own limit (configured routes win).
    uploads = [(UPLOAD_PATH, settings.webchat.attachment_max_bytes)]
    return BodyLimits.of(config.api_bytes, [*webhooks, *uploads, *config.routes.items()])


async def _start(relevo: Relevo, load_defaults: bool) -> None:
    if relevo.settings.auto_migrate:
        await upgrade(relevo.database, locations=PACKAGE_MIGRATIONS)
    if load_defaults:
        given = relevo.models.current
        # The database is the knowledge base's source (seeded on a first start), unless
        # a knowledge base was given (tests' fakes).
        articles = None if given.knowledge_base is not None else \
            await served_articles(relevo.editorial, relevo.settings)
        relevo.models.publish(
            await load_models(relevo.settings, given, relevo.metrics, articles=articles,
                              trainer=relevo.trainer)
        )
    served = getattr(relevo.knowledge_base, "articles", None)
    await record_startup(relevo.database, relevo.settings,
                         served() if callable(served) else None, utc_now())
    for part in relevo.assembly.lifecycles:
        await part.start()
    await relevo.outbox.start()
    await relevo.engine.recover()


async def _stop(relevo: Relevo) -> None:
    await relevo.outbox.stop()
    for part in reversed(relevo.assembly.lifecycles):
        try:
            await part.stop()
        except Exception:
            log.exception("shutdown of %s failed", part.name)
    await relevo.engine.close()
    await relevo.bus.close()
    await asyncio.to_thread(relevo.trainer.close)
    closer = getattr(relevo.nlu, "close", None)
    if closer is not None:
        await closer()
    await relevo.database.close()


def _operations(app: FastAPI, relevo: Relevo) -> None:
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


def _install_error_handlers(app: FastAPI) -> None:
    """Every 4xx body is `{"detail": "<one readable reason>"}`."""

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0] if exc.errors() else {"msg": "invalid request", "loc": ()}
        if first.get("type") == "json_invalid":
            return JSONResponse({"detail": "request body is not valid JSON"}, status_code=400)
        loc = tuple(first.get("loc", ()))
        if loc and loc[0] in ("body", "query", "path", "header", "cookie"):
            loc = loc[1:]  # where it came from: the field's name says enough
        where = ".".join(str(p) for p in loc)
        reason = f"{where}: {first['msg']}" if where else str(first["msg"])
        return JSONResponse({"detail": reason, **({"field": where} if where else {})},
                            status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return JSONResponse(
            {"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers
        )


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("relevo")
    except PackageNotFoundError:
        return "0.0.0"
