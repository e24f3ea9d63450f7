"""`POST /model/parse` exactly like Rasa's HTTP API, whichever backend is configured.

`parse_router` is mounted by the main app; `standalone_app` is `relevo nlu serve`, a
drop-in for `rasa run --enable-api` (NLU only).
"""

from __future__ import annotations

import json
from collections.abc import Callable

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse, PlainTextResponse

from relevo.bot.protocols import NLU
from relevo.bot.text import first_unstorable

RASA_COMPAT_VERSION = "3.6.21"
RELEVO_VERSION = "0.1.0"
PARSE_PATH = "/model/parse"


def rasa_error(status: int, reason: str, message: str) -> JSONResponse:
    # the error shape Rasa's server returns (rasa/server.py ErrorResponse)
    return JSONResponse(
        status_code=status,
        content={
            "version": RASA_COMPAT_VERSION,
            "status": "failure",
            "message": message,
            "reason": reason,
            "details": {},
            "help": None,
            "code": status,
        },
    )


# The body Rasa's `/model/parse` reads (the route reads it itself, to answer errors the
# way Rasa does), declared so `/openapi.json` documents it and schemathesis fuzzes it.
PARSE_BODY = {
    "required": True,
    "content": {"application/json": {"schema": {
        "type": "object",
        "required": ["text"],
        "properties": {"text": {"type": "string"}, "locale": {"type": "string"},
                       "message_id": {"type": "string"}},
    }}},
}


def parse_router(
    get_nlu: Callable[[], NLU | None],
    language_of_text: Callable[[str], str] | None = None,
) -> APIRouter:
    """`language_of_text`: the shop's reading of a message's language (one of its
    `languages`), used when the body gives no locale, so the answer's `locale` is
    relevo's whichever backend parses (Rasa's parse has none); without it (`relevo nlu
    serve`) the backend detects it itself."""
    router = APIRouter()

    @router.post(PARSE_PATH, openapi_extra={"requestBody": PARSE_BODY})
    async def model_parse(request: Request) -> JSONResponse:
        try:
            body = json.loads(await request.body())
        except (ValueError, UnicodeDecodeError, RecursionError):  # too deep is not JSON
            return rasa_error(400, "BadRequest", "An unexpected error occurred. "
                              "Error: the request body is not valid JSON.")
        if not isinstance(body, dict):
            return rasa_error(400, "BadRequest", "The request body must be a JSON object.")
        text = body.get("text")
        if not isinstance(text, str) or not text.strip():
            return rasa_error(400, "BadRequest",
                              "No text message defined in request_body. Add text message "
                              "to request body in order to obtain the intent and extracted "
                              "entities.")
        problem = first_unstorable(body)
        if problem is not None:  # a NUL or a lone surrogate: refused, like any bad body
            return rasa_error(400, "BadRequest", " ".join(problem) + ".")
        nlu = get_nlu()
        if nlu is None:
            return rasa_error(409, "Conflict", "No NLU model loaded.")
        locale = body.get("locale") if isinstance(body.get("locale"), str) else None
        if locale is None and language_of_text is not None:
            locale = language_of_text(text)
        result = await nlu.parse(text, locale)
        return JSONResponse(result.to_rasa())

    return router


def standalone_app(nlu: NLU) -> FastAPI:
    """`relevo nlu serve`: the NLU alone behind Rasa's HTTP API."""
    app = FastAPI(title="relevo NLU", docs_url=None, redoc_url=None, openapi_url=None)

    @app.get("/")
    async def hello() -> PlainTextResponse:
        return PlainTextResponse(
            f"Hello from relevo NLU {RELEVO_VERSION} (Rasa {RASA_COMPAT_VERSION} API)"
        )

    @app.get("/version")
    async def version() -> JSONResponse:
        return JSONResponse({
            "version": RASA_COMPAT_VERSION,
            "minimum_compatible_version": RASA_COMPAT_VERSION,
            "relevo_version": RELEVO_VERSION,
        })

    @app.get("/status")
    async def status() -> JSONResponse:
        intents = getattr(nlu, "intents", ())
        return JSONResponse({
            "model_id": "relevo-embedded",
            "model_file": None,
            "num_active_training_jobs": 0,
            "fingerprint": {"intents": len(intents)},
        })

    app.include_router(parse_router(lambda: nlu))
    return app
