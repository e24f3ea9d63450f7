"""The in-process event bus (the embedded default; Redis Streams plug in behind `Bus`).

Each subscriber gets its own queue and task, so a slow or failing handler never
delays the publisher or the other subscribers, and sees events in publish order.
"""

from __future__ import annotations

import asyncio
import logging

from relevo.bot.protocols import EventHandler
from relevo.bot.types import Event

log = logging.getLogger("relevo.bus")


class _Subscription:
    def __init__(self, bus: InProcessBus, handler: EventHandler, name: str) -> None:
        self._bus = bus
        self._handler = handler
        self.name = name
        self.queue: asyncio.Queue[Event] = asyncio.Queue()
        self._task = asyncio.create_task(self._run(), name=f"relevo-bus-{name}")

    async def _run(self) -> None:
        while True:
            event = await self.queue.get()
            try:
                await self._handler(event)
            except Exception:
                log.exception("bus subscriber %s failed on %s", self.name, type(event).__name__)
            finally:
                self.queue.task_done()

    async def close(self) -> None:
        self._bus._subscriptions.discard(self)
        self._task.cancel()
        try:
            await self._task
        except asyncio.CancelledError:
            pass


class InProcessBus:
    def __init__(self) -> None:
        self._subscriptions: set[_Subscription] = set()

    async def publish(self, event: Event) -> None:
        for subscription in self._subscriptions:
            subscription.queue.put_nowait(event)

    def subscribe(self, handler: EventHandler, *, name: str) -> _Subscription:
        subscription = _Subscription(self, handler, name)
        self._subscriptions.add(subscription)
        return subscription

    async def drain(self) -> None:
        """Wait until every subscriber has handled what was published (tests, shutdown)."""
        for subscription in list(self._subscriptions):
            await subscription.queue.join()

    async def close(self) -> None:
        for subscription in list(self._subscriptions):
            await subscription.close()
