"""The one way tests wait: poll a condition until a deadline, and `settle` a running app.

Every wait here has a deadline and fails with a message naming what it waited for;
none sleeps a fixed time to "let things happen".

`settle` is also the one place that knows the app's background parts (engine, bus, the
outbox with its Slack posts, Slack's acknowledged jobs): when they move, re-point it
here and nowhere else.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

DEADLINE_S = 20.0
POLL_S = 0.01

T = TypeVar("T")


async def wait_until(
    condition: Callable[[], T | Awaitable[T]],
    what: str,
    *,
    deadline_s: float = DEADLINE_S,
) -> T:
    """Poll `condition` (plain or async) until it returns something truthy and return
    that; fail naming `what` once `deadline_s` seconds have passed, even when the
    condition itself hangs."""
    try:
        async with asyncio.timeout(deadline_s):
            while True:
                value = condition()
                if inspect.isawaitable(value):
                    value = await value
                if value:
                    return value  # type: ignore[return-value]
                await asyncio.sleep(POLL_S)
    except TimeoutError:
        raise AssertionError(f"waited {deadline_s:.0f} s for {what}, in vain") from None


def _delivery_workers(app: Any) -> list[Any]:
    # Slack posts are outbox rows: the outbox is the one delivery worker.
    return [app.state.relevo.outbox]


async def settle(app: Any, *, deadline_s: float = DEADLINE_S) -> None:
    """Run until the engine, the bus, the acknowledged channel work and every delivery
    queue have nothing left that is due.

    The background delivery workers are paused meanwhile: a background round holding a
    lease while a provider answers over HTTP would make the rounds here find nothing
    to do and return too early. `stop()` waits for that round; they restart after.
    """
    workers = _delivery_workers(app)
    running = [w for w in workers if getattr(w, "_task", None) is not None]
    for worker in running:
        await worker.stop()
    try:
        await wait_until(lambda: _quiet_twice(app), "the app to settle", deadline_s=deadline_s)
    finally:
        for worker in running:
            await worker.start()


async def _quiet_twice(app: Any) -> bool:
    # Two quiet rounds in a row: work a bus subscriber started during the first round's
    # drain (an engine job, a Slack job) shows up in the second.
    return await _round(app) == 0 and await _round(app) == 0


async def _round(app: Any) -> int:
    """One pass over every background part; returns how much it found to do."""
    relevo = app.state.relevo
    slack = relevo.slack
    await relevo.engine.join()
    await relevo.bus.drain()
    busy = 0
    if slack is not None:
        busy += slack.jobs.running
        await slack.jobs.join()
        await relevo.bus.drain()
    busy += await relevo.outbox.deliver_due()
    await relevo.bus.drain()
    return busy
