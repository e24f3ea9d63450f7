"""The WhatsApp channel's one HTTP client: the twilio SDK's REST calls (as its
`AsyncHttpClient`) and the media downloads both go through one `httpx.AsyncClient`,
opened by `start` and closed by `stop`."""

from __future__ import annotations

import logging

import httpx
from twilio.http import AsyncHttpClient
from twilio.http.response import Response as TwilioResponse

log = logging.getLogger("relevo.channels.whatsapp")

# Twilio's REST calls: short, so a stuck one fails over to the outbox's retry.
_REST_TIMEOUT = httpx.Timeout(15.0, connect=5.0)
# Media downloads are larger.
_DEFAULT_TIMEOUT = httpx.Timeout(20.0, connect=5.0)


class TwilioRateLimited(Exception):
    """Twilio's 429, with its `Retry-After` (the SDK's own exception drops headers)."""

    def __init__(self, retry_after: float | None) -> None:
        super().__init__("Twilio 429 Too Many Requests")
        self.retry_after = retry_after


class NotStarted(RuntimeError):
    pass


class TwilioHttp(AsyncHttpClient):  # type: ignore[misc]
    def __init__(self) -> None:
        super().__init__(logger=log, is_async=True)
        self._client: httpx.AsyncClient | None = None

    async def start(self) -> None:
        self._client = httpx.AsyncClient(timeout=_DEFAULT_TIMEOUT)

    async def stop(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    @property
    def client(self) -> httpx.AsyncClient:
        if self._client is None:
            raise NotStarted("the WhatsApp channel's HTTP client is not open")
        return self._client

    async def request(
        self,
        method: str,
        uri: str,
        params: dict[str, object] | None = None,
        data: dict[str, object] | None = None,
        headers: dict[str, str] | None = None,
        auth: tuple[str, str] | None = None,
        timeout: float | None = None,  # noqa: ASYNC109 - the SDK's signature
        allow_redirects: bool = False,
    ) -> TwilioResponse:
        """One REST call for the twilio SDK. Network errors are `httpx.HTTPError`."""
        response = await self.client.request(
            method.upper(),
            uri,
            params=params,  # type: ignore[arg-type]
            data=data,
            headers=headers,
            auth=auth,
            timeout=timeout if timeout is not None else _REST_TIMEOUT,
            follow_redirects=allow_redirects,
        )
        if response.status_code == 429:
            raise TwilioRateLimited(_seconds(response.headers.get("Retry-After")))
        return TwilioResponse(response.status_code, response.text, response.headers)


def _seconds(value: str | None) -> float | None:
    try:
        return max(0.0, float(value)) if value else None
    except ValueError:
        return None
