"""`RasaNLU`: the NLU protocol over a running Rasa server's `POST /model/parse`.

One pooled `httpx.AsyncClient`, opened in `start()` and closed in `close()`. A Rasa that
is down, slow or failing never hangs or breaks a conversation: each failure is counted
and the parse is answered by the embedded engine (`on_failure: embedded`) or as
`nlu_fallback` with confidence 0 and no ranking, so the engine hands off.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from types import TracebackType
from typing import Any

import httpx

from relevo.bot.intents import FALLBACK_INTENT
from relevo.bot.logs import without_message
from relevo.bot.metrics import Metrics
from relevo.bot.nlu_types import Entity, IntentPrediction, ParseResult, TrainingExample
from relevo.bot.protocols import NLU
from relevo.nlu.config import RasaSettings

logger = logging.getLogger(__name__)

FAILURE_METRIC = "relevo_nlu_backend_failures_total"


class RasaNLU:
    def __init__(
        self,
        settings: RasaSettings | None = None,
        *,
        token: str | None = None,
        fallback: NLU | None = None,
        metrics: Metrics | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.settings = settings or RasaSettings()
        self._token = token
        # with on_failure=handoff the caller passes no fallback engine
        self._fallback = fallback if self.settings.on_failure == "embedded" else None
        self._metrics = metrics or Metrics()
        self._transport = transport
        self._client: httpx.AsyncClient | None = None

    async def start(self) -> None:
        if self._client is None:
            self._client = httpx.AsyncClient(
                base_url=self.settings.url,
                timeout=httpx.Timeout(self.settings.timeout_seconds),
                transport=self._transport,
            )

    async def close(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def __aenter__(self) -> RasaNLU:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def train(self, examples: Sequence[TrainingExample]) -> None:
        """No-op: Rasa trains its own model (`scripts/rasa-server.sh train`, which exports
        the same data with `relevo nlu export-rasa`). The fallback engine, if any, is
        trained by whoever built it."""
        logger.info(
            "nlu backend rasa: train() ignored for %d examples; train the Rasa model with "
            "scripts/rasa-server.sh", len(examples),
        )

    async def parse(self, text: str, locale: str | None = None) -> ParseResult:
        if self._client is None:
            await self.start()
        client = self._client
        if client is None:  # pragma: no cover - start() always sets it
            return await self._on_failure(text, locale, "not_started")
        params = {"token": self._token} if self._token else None
        try:
            response = await client.post("/model/parse", json={"text": text}, params=params)
        except httpx.TimeoutException:
            return await self._on_failure(text, locale, "timeout")
        except httpx.HTTPError:
            return await self._on_failure(text, locale, "connection")
        if response.status_code in (401, 403):
            return await self._on_failure(text, locale, "unauthorized")
        if response.status_code >= 400:
            return await self._on_failure(text, locale, f"http_{response.status_code}")
        try:
            return parse_rasa_response(response.json(), text, locale)
        except (ValueError, KeyError, TypeError):
            return await self._on_failure(text, locale, "bad_response")

    async def _on_failure(self, text: str, locale: str | None, reason: str) -> ParseResult:
        self._metrics.inc(FAILURE_METRIC, backend="rasa", reason=reason)
        logger.warning("nlu backend rasa failed (%s)", reason)
        if self._fallback is not None:
            try:
                return await self._fallback.parse(text, locale)
            except Exception as exc:  # the fallback must not turn a Rasa outage into a crash
                logger.error("fallback NLU failed too (%s)", type(exc).__name__,
                             exc_info=without_message(exc))
                self._metrics.inc(FAILURE_METRIC, backend="embedded", reason="exception")
        return ParseResult(
            text=text, intent=IntentPrediction(FALLBACK_INTENT, 0.0), locale=locale
        )


def parse_rasa_response(body: Any, text: str, locale: str | None) -> ParseResult:
    """Rasa's parse JSON → `ParseResult`; raises ValueError/KeyError/TypeError if malformed."""
    if not isinstance(body, dict):
        raise TypeError("parse response is not an object")
    intent = body.get("intent") or {}
    name = intent.get("name")
    if not isinstance(name, str) or not name:
        # Rasa answers `intent: {name: null}` for empty text: treat it as a fallback
        name, confidence = FALLBACK_INTENT, 0.0
    else:
        confidence = float(intent.get("confidence") or 0.0)
    ranking = tuple(
        IntentPrediction(str(item["name"]), float(item.get("confidence") or 0.0))
        for item in body.get("intent_ranking") or []
        if isinstance(item, dict) and item.get("name")
    )
    entities = tuple(
        Entity(
            entity=str(item["entity"]),
            value=str(item.get("value", "")),
            start=int(item.get("start", 0)),
            end=int(item.get("end", 0)),
            confidence=float(item.get("confidence_entity", item.get("confidence", 1.0)) or 1.0),
            extractor=str(item.get("extractor") or "rasa"),
        )
        for item in body.get("entities") or []
        if isinstance(item, dict) and "entity" in item
    )
    return ParseResult(
        text=str(body.get("text", text)),
        intent=IntentPrediction(name, confidence),
        intent_ranking=ranking,
        entities=entities,
        locale=locale,
    )
