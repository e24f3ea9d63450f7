"""The whole app served by uvicorn in a thread, for browser tests that must also act on
the server side: say something to the shopper as an operator or the bot, publish a
bus event (an operator typing). The browser drives it from the test's thread."""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Coroutine, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import sqlalchemy as sa
import uvicorn

from relevo.app import create_app
from relevo.app.settings import load_settings
from relevo.app.wiring import Relevo
from relevo.bot.clock import utc_now
from relevo.bot.protocols import NLU, KnowledgeBase
from relevo.bot.store.schema import conversations
from relevo.bot.types import Author, AuthorKind, OperatorTyping
from tests.conftest import free_port

T = TypeVar("T")
WAIT_S = 15.0
# Screenshots of each state: .ci/artifacts/screenshots/ unless RELEVO_SCREENSHOT_DIR says.
SCREENSHOTS = Path(os.environ.get("RELEVO_SCREENSHOT_DIR")
                   or Path(__file__).resolve().parents[3] / ".ci" / "artifacts" / "screenshots")


def screenshot(page: Any, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))


@dataclass
class LiveApp:
    url: str
    relevo: Relevo
    loop: asyncio.AbstractEventLoop

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(WAIT_S)

    def say(self, text: str, *, kind: AuthorKind = AuthorKind.OPERATOR,
            name: str | None = "Lucía · experta", meta: dict[str, Any] | None = None) -> int:
        """Store and deliver `text` to the newest conversation's shopper; its id."""
        return self.run(self._say(text, Author(kind, name), meta))

    def typing(self, name: str, active: bool = True) -> None:
        self.run(self._typing(name, active))

    async def _latest(self) -> tuple[int, int]:
        async with self.relevo.database.read() as conn:
            row = (await conn.execute(
                sa.select(conversations.c.id, conversations.c.contact_id)
                .order_by(conversations.c.id.desc()).limit(1))).one()
        return int(row.id), int(row.contact_id)

    async def _say(self, text: str, author: Author, meta: dict[str, Any] | None) -> int:
        conversation_id, contact_id = await self._latest()
        async with self.relevo.conversations.change() as change:
            told = await change.tell_shopper(
                conversation_id=conversation_id, contact_id=contact_id, channel="web",
                text=text, locale="en", author=author, meta=meta)
        assert told is not None
        return told.message_id

    async def _typing(self, name: str, active: bool) -> None:
        conversation_id, contact_id = await self._latest()
        await self.relevo.bus.publish(OperatorTyping(
            conversation_id=conversation_id, at=utc_now(), contact_id=contact_id,
            operator_id=1, name=name, active=active))


@contextmanager
def live_app(
    tmp_path: Path, database_url: str | None = None, *, nlu: NLU | None = None,
    knowledge_base: KnowledgeBase | None = None, **webchat: Any
) -> Iterator[LiveApp]:
    """A fresh app (its own database, a SQLite file unless given; no NLU unless given:
    every message goes to a person)."""
    settings = load_settings(
        "/dev/null", database_url=database_url or f"sqlite+aiosqlite:///{tmp_path}/relevo.db",
        nlu={"backend": "none"}, webchat={"media_dir": str(tmp_path / "media"), **webchat},
    )
    app = create_app(settings, nlu=nlu, knowledge_base=knowledge_base)
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, lifespan="on"))
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=lambda: loop.run_until_complete(server.serve()),
                              daemon=True)
    thread.start()
    for _ in range(600):
        if server.started:
            break
        threading.Event().wait(0.05)
    try:
        yield LiveApp(f"http://127.0.0.1:{port}", app.state.relevo, loop)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        loop.close()


# A bot answer using the whole safe formatting subset, with hostile markup in it that
# must stay text (the widget's and the console's formatting browser tests).
FORMATTED_ANSWER = (
    "Orders arrive in **2-3 working days**. Follow them on [tracking](https://shop.test/track)"
    " — not [this](javascript:window.__xss=1) <img src=x onerror=window.__xss=1>"
    " **<script>window.__xss=1</script>**\n\n- Express: 24 h\n- Pickup: same day"
)


@contextmanager
def formatted_answer_app(tmp_path: Path, database_url: str) -> Iterator[LiveApp]:
    """A live app whose bot answers shipping questions with `FORMATTED_ANSWER`."""
    from tests.fakes.nlu import DictKnowledgeBase, shop_nlu

    kb = DictKnowledgeBase({"shipping_times": {"en": ("Shipping times", FORMATTED_ANSWER)}})
    with live_app(tmp_path, database_url, nlu=shop_nlu(), knowledge_base=kb) as running:
        yield running
