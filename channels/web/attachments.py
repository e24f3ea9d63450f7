"""Files a web chat visitor attaches: checked (type, first bytes, size), written like
the other channels' media (named by content under `media_dir`, `Attachment.url`
`media/<sha256><ext>`, so exports and erasures find them), and owned by the visitor
who uploaded them.

An upload answers an id; `POST /webchat/messages {"attachments": [id]}` refers to it.
The id is random and its record lives under a folder named after the visitor, so one
visitor can never refer to another's upload, even by guessing or copying its id.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import mimetypes
import re
import secrets
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from relevo.bot.types import Attachment

UPLOAD_PATH = "/webchat/attachments"
ID_PATTERN = r"^[A-Za-z0-9_-]{16,64}$"
_ID = re.compile(ID_PATTERN)
_OWNERS = "webchat-uploads"
_NAME_LENGTH = 120

# What a file of each type starts with: a .exe renamed to .png is still refused.
_SIGNATURES: dict[str, tuple[bytes, ...]] = {
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/gif": (b"GIF87a", b"GIF89a"),
    "application/pdf": (b"%PDF-",),
}


class UploadRefused(Exception):
    """`status` is the HTTP answer (413, 415, 422); `reason` says why."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Upload:
    id: str
    attachment: Attachment


@dataclass(frozen=True, slots=True)
class Uploads:
    directory: Path
    max_bytes: int
    types: tuple[str, ...]

    def refusal(self, content_type: str | None, size: int | None) -> UploadRefused | None:
        """Why a declared file is not accepted before reading it, or None."""
        kind = media_type(content_type)
        if kind not in self.types:
            return UploadRefused(415, f"files of type {kind or 'unknown'} are not accepted; "
                                      f"send one of {', '.join(self.types)}")
        if size is not None and size > self.max_bytes:
            return UploadRefused(413, f"the file is over the {self.max_bytes} bytes limit")
        return None

    async def store(
        self, visitor_id: str, content_type: str, body: bytes, name: str | None
    ) -> Upload:
        kind = media_type(content_type)
        refused = self.refusal(kind, len(body))
        if refused is not None:
            raise refused
        if not body:
            raise UploadRefused(422, "the file is empty")
        if not _looks_like(kind, body):
            raise UploadRefused(415, f"the file's content is not {kind}")
        stored = hashlib.sha256(body).hexdigest() + (mimetypes.guess_extension(kind) or "")
        attachment = Attachment(url=f"media/{stored}", content_type=kind,
                                name=clean_name(name) or f"attachment{Path(stored).suffix}",
                                size=len(body))
        upload = Upload(secrets.token_urlsafe(24), attachment)
        await asyncio.to_thread(self._write, visitor_id, stored, body, upload)
        return upload

    async def owned(self, visitor_id: str, ids: Sequence[str]) -> tuple[Attachment, ...]:
        """The visitor's own uploads by id, in order; any other id is refused (422)."""
        found = await asyncio.to_thread(self._read, visitor_id, ids)
        missing = [upload_id for upload_id, a in zip(ids, found, strict=True) if a is None]
        if missing:
            raise UploadRefused(422, f"unknown attachment id {missing[0]!r}: upload the file "
                                     f"first with POST {UPLOAD_PATH}")
        return tuple(a for a in found if a is not None)

    def _owner_dir(self, visitor_id: str) -> Path:
        return owner_dir(self.directory, visitor_id)

    def _write(self, visitor_id: str, stored: str, body: bytes, upload: Upload) -> None:
        _write_once(self.directory / stored, body)
        a = upload.attachment
        record = {"url": a.url, "content_type": a.content_type, "name": a.name, "size": a.size}
        _write_once(self._owner_dir(visitor_id) / f"{upload.id}.json",
                    json.dumps(record).encode("utf-8"))

    def _read(self, visitor_id: str, ids: Sequence[str]) -> list[Attachment | None]:
        found: list[Attachment | None] = []
        for upload_id in ids:
            path = self._owner_dir(visitor_id) / f"{upload_id}.json"
            if not _ID.match(upload_id) or not path.is_file():
                found.append(None)
                continue
            record = json.loads(path.read_text("utf-8"))
            found.append(Attachment(url=record["url"], content_type=record["content_type"],
                                    name=record["name"], size=record["size"]))
        return found


def owner_dir(directory: Path, visitor_id: str) -> Path:
    """Where the records of a visitor's uploads are kept (named by a hash of the id)."""
    return directory / _OWNERS / hashlib.sha256(visitor_id.encode()).hexdigest()[:40]


def records(directory: Path, visitor_id: str) -> list[tuple[Path, dict[str, object]]]:
    """Each upload record of a visitor, with its path (blocking: call in a thread)."""
    folder = owner_dir(directory, visitor_id)
    if not folder.is_dir():
        return []
    return [(path, json.loads(path.read_text("utf-8")))
            for path in sorted(folder.glob("*.json"))]


def media_type(content_type: str | None) -> str:
    return (content_type or "").split(";")[0].strip().lower()


def clean_name(name: str | None) -> str | None:
    """The file's own name, as a label only: no folders, no control characters."""
    if not name:
        return None
    base = re.split(r"[\\/]", name)[-1]
    kept = "".join(c for c in base if unicodedata.category(c)[0] != "C").strip()
    return kept[:_NAME_LENGTH] or None


def _looks_like(kind: str, body: bytes) -> bool:
    if kind == "image/webp":
        return body[:4] == b"RIFF" and body[8:12] == b"WEBP"
    signatures = _SIGNATURES.get(kind)
    # A type the shop added without a known signature is taken as declared.
    return signatures is None or body.startswith(signatures)


def _write_once(target: Path, body: bytes) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    if not target.exists():
        partial = target.with_name(target.name + f".{secrets.token_hex(4)}.part")
        partial.write_bytes(body)
        partial.replace(target)
