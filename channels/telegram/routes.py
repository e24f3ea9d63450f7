"""`POST /webhooks/telegram`: verify (the secret token, before the body is read) →
parse → the core's inbox, through `UpdateHandler`.

Telegram retries any non-2xx answer, so input that will never parse is a 400
(logged), and an update seen before is a silent 200 (the inbox's dedupe).
"""

from __future__ import annotations

import json
import logging

from fastapi import APIRouter, HTTPException, Request, Response

from relevo.channels.telegram.handler import UpdateHandler
from relevo.channels.telegram.parse import BadUpdate
from relevo.channels.telegram.verify import SECRET_HEADER, SecretToken

log = logging.getLogger("relevo.channels.telegram")

WEBHOOK_PATH = "/webhooks/telegram"


class TelegramWebhook:
    def __init__(self, handler: UpdateHandler, secret: SecretToken) -> None:
        self._handler = handler
        self._secret = secret

    def router(self) -> APIRouter:
        router = APIRouter()
        router.add_api_route(
            WEBHOOK_PATH, self.receive, methods=["POST"], include_in_schema=False
        )
        return router

    async def receive(self, request: Request) -> Response:
        if not self._secret.matches(request.headers.get(SECRET_HEADER)):
            raise HTTPException(403, f"missing or wrong {SECRET_HEADER}")
        try:
            data = json.loads(await request.body())
        except (ValueError, UnicodeDecodeError, RecursionError):  # Recursion: nested too deep
            raise HTTPException(400, "request body is not valid JSON") from None
        if not isinstance(data, dict):
            raise HTTPException(400, "request body is not a Telegram update object")
        try:
            await self._handler.handle(data)
        except BadUpdate as exc:
            log.warning("telegram update refused: %s", exc)
            raise HTTPException(400, f"not a Telegram update: {exc}") from None
        return Response(status_code=200)
