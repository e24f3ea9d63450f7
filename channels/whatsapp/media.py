"""Fetching a WhatsApp message's media from Twilio, with the account's credentials,
within the type and size limits, before the message goes to the inbox."""

from __future__ import annotations

import logging
from dataclasses import replace
from pathlib import Path

from relevo.bot.types import Attachment, InboundMessage
from relevo.channels.media import MediaPolicy, MediaRefused, MediaUnavailable, fetch_and_store
from relevo.channels.media import refusal_note as note
from relevo.channels.whatsapp.http import TwilioHttp
from relevo.channels.whatsapp.parse import ParsedInbound

log = logging.getLogger("relevo.channels.whatsapp")


class MediaFetcher:
    """Downloads through the channel's one HTTP client, with the account's credentials."""

    def __init__(
        self, http: TwilioHttp, policy: MediaPolicy, directory: Path, auth: tuple[str, str]
    ) -> None:
        self._http = http
        self._policy = policy
        self._directory = directory
        self._auth = auth

    async def with_media(self, parsed: ParsedInbound) -> InboundMessage:
        """The message with its media kept as attachments, or notes saying why not."""
        if not parsed.media:
            return parsed.message
        kept: list[Attachment] = list(parsed.message.attachments)
        notes: list[str] = []
        for ref in parsed.media:
            try:
                kept.append(
                    await fetch_and_store(
                        self._http.client, ref.url, policy=self._policy, directory=self._directory,
                        declared_type=ref.content_type, auth=self._auth,
                    )
                )
            except MediaRefused as exc:
                notes.append(note("attachment", exc.reason))
            except MediaUnavailable as exc:
                # Keep the link (it needs the account's credentials) rather than lose it.
                log.warning("WhatsApp media not fetched: %s", exc)
                kept.append(Attachment(url=ref.url, content_type=ref.content_type))
        text = "\n".join(p for p in (parsed.message.text, *notes) if p)
        if not kept and not text:
            text = "[attachment]"
        return replace(parsed.message, text=text or "[attachment]", attachments=tuple(kept))
