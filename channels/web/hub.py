"""The open WebSockets of each visitor in this process, by visitor id."""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from typing import Any

log = logging.getLogger("relevo.channels.web")


class WebChatHub:
    def __init__(self) -> None:
        self._sockets: dict[str, set[asyncio.Queue[dict[str, Any]]]] = defaultdict(set)

    def open(self, visitor_id: str) -> asyncio.Queue[dict[str, Any]]:
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(maxsize=1000)
        self._sockets[visitor_id].add(queue)
        return queue

    def close(self, visitor_id: str, queue: asyncio.Queue[dict[str, Any]]) -> None:
        sockets = self._sockets.get(visitor_id)
        if sockets is not None:
            sockets.discard(queue)
            if not sockets:
                del self._sockets[visitor_id]

    def push(self, visitor_id: str, payload: dict[str, Any]) -> int:
        delivered = 0
        for queue in self._sockets.get(visitor_id, ()):
            try:
                queue.put_nowait(payload)
                delivered += 1
            except asyncio.QueueFull:  # a stuck client catches up by polling
                log.warning("web chat socket queue full; message left for polling")
        return delivered
