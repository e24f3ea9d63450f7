"""Shoppers' media: which files are kept, and fetching them within a size limit.

A refused file is not an error for the provider (it delivered what the shopper
sent): the message is stored without it and its text says why, so nothing the
shopper wrote is lost and operators see what happened.
"""

from __future__ import annotations

import asyncio
import hashlib
import mimetypes
from dataclasses import dataclass
from pathlib import Path

import httpx

from relevo.bot.types import Attachment


@dataclass(frozen=True, slots=True)
class MediaPolicy:
    max_bytes: int
    types: tuple[str, ...]

    def refusal(self, content_type: str | None, size: int | None) -> str | None:
        """Why a file is not kept, or None when it is acceptable."""
        kind = (content_type or "").split(";")[0].strip().lower()
        if kind not in self.types:
            return f"files of type {kind or 'unknown'} are not accepted"
        if size is not None and size > self.max_bytes:
            return f"{_mb(size)} is over the {_mb(self.max_bytes)} limit"
        return None


def refusal_note(what: str, reason: str) -> str:
    return f"[{what} not kept: {reason}]"


class MediaRefused(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class MediaUnavailable(Exception):
    """The provider's media URL could not be read (network, 5xx): keep the link."""


async def fetch_and_store(
    client: httpx.AsyncClient,
    url: str,
    *,
    policy: MediaPolicy,
    directory: Path,
    declared_type: str | None,
    auth: tuple[str, str] | None = None,
) -> Attachment:
    """Download `url` (stopping at the size limit) into `directory`, named by content.

    Raises `MediaRefused` for a refused type or size, `MediaUnavailable` when the
    download fails.
    """
    reason = policy.refusal(declared_type, None)
    if reason is not None:
        raise MediaRefused(reason)
    target = _fetchable(url)
    chunks: list[bytes] = []
    received = 0
    try:
        async with client.stream("GET", target, auth=auth, follow_redirects=True) as response:
            if response.status_code != 200:
                raise MediaUnavailable(f"HTTP {response.status_code} fetching media")
            content_type = response.headers.get("content-type", declared_type or "")
            length = response.headers.get("content-length")
            reason = policy.refusal(content_type, int(length) if length else None)
            if reason is not None:
                raise MediaRefused(reason)
            async for chunk in response.aiter_bytes():
                received += len(chunk)
                if received > policy.max_bytes:
                    raise MediaRefused(f"it is over the {_mb(policy.max_bytes)} limit")
                chunks.append(chunk)
    except (httpx.HTTPError, httpx.InvalidURL) as exc:  # InvalidURL: a bad redirect
        raise MediaUnavailable(f"{type(exc).__name__} fetching media") from exc
    body = b"".join(chunks)
    kind = content_type.split(";")[0].strip().lower()
    name = hashlib.sha256(body).hexdigest() + (mimetypes.guess_extension(kind) or "")
    await asyncio.to_thread(_write, directory, name, body)
    return Attachment(url=f"media/{name}", content_type=kind, name=name, size=len(body))


def _fetchable(url: str) -> httpx.URL:
    """`url` parsed, or `MediaUnavailable`: a provider's URL may not even parse (httpx
    raises InvalidURL, not an HTTPError) or name a port no socket can connect to."""
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL:
        raise MediaUnavailable("the media URL is not a valid URL") from None
    if parsed.port is not None and not 0 < parsed.port < 65536:
        raise MediaUnavailable("the media URL names a port out of range")
    return parsed


def _write(directory: Path, name: str, body: bytes) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / name
    if not target.exists():
        partial = target.with_suffix(target.suffix + ".part")
        partial.write_bytes(body)
        partial.replace(target)


def _mb(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB"
