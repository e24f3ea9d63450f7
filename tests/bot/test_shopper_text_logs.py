"""Shopper text never reaches a log record, at any level, unless `log_shopper_text` is
on: not through a database error (SQLAlchemy's parameters, asyncpg's message,
PostgreSQL's "Failing row contains (…)") logged with the traceback of a 500, nor
through a failing NLU's error. With the flag on, both do (it is for debugging)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

import httpx
import pytest
import sqlalchemy as sa

from relevo.app import create_app
from relevo.app.settings import Settings
from relevo.bot.nlu_types import ParseResult, TrainingExample
from tests.conftest import started
from tests.fakes.nlu import shop_kb, shop_nlu
from tests.handoff.helpers import new_shopper, transcript
from tests.serve import serving
from tests.settle import settle

MARKER = "Calle Falsa 123, piso 4"  # what a shopper wrote and must not be logged


def logged(records: Sequence[logging.LogRecord]) -> str:
    """Everything the records say: messages, arguments and tracebacks."""
    formatter = logging.Formatter()
    parts = []
    for record in records:
        parts.append(record.getMessage())
        if record.exc_info:
            parts.append(formatter.formatException(record.exc_info))
        parts.append(record.exc_text or "")
    return "\n".join(parts)


async def refuse_the_marker(app: object) -> None:
    """The database refuses the shopper's message (a constraint, as a real failure
    would): PostgreSQL reports the failing row, both report the statement."""
    database = app.state.relevo.database  # type: ignore[attr-defined]
    async with database.write() as conn:
        if database.is_sqlite:
            await conn.exec_driver_sql(
                "CREATE TRIGGER refuse BEFORE INSERT ON messages WHEN instr(NEW.text, 'Falsa') "
                "> 0 BEGIN SELECT RAISE(ABORT, 'refused by the test'); END")
        else:
            await conn.exec_driver_sql(
                "ALTER TABLE messages ADD CONSTRAINT refuse CHECK (position('Falsa' in text) = 0)")


@pytest.mark.parametrize("flag", [False, True])
async def test_a_database_error_logs_no_shopper_text_unless_asked(
    make_settings: Callable[..., Settings], caplog: pytest.LogCaptureFixture, flag: bool
) -> None:
    caplog.set_level(logging.DEBUG)
    app = create_app(make_settings(log_shopper_text=flag), nlu=shop_nlu(),
                     knowledge_base=shop_kb())
    async with serving(app) as address, \
            httpx.AsyncClient(base_url=f"http://{address}") as client:
        await refuse_the_marker(app)
        shopper = await new_shopper(client)
        response = await client.post("/webchat/messages", json={"text": f"send it to {MARKER}"},
                                     headers=shopper)
    assert response.status_code == 500
    assert "Exception in ASGI application" in logged(caplog.records)  # the traceback
    assert (MARKER in logged(caplog.records)) is flag


class BrokenNLU:
    """An NLU whose error quotes the text it was given."""

    async def parse(self, text: str, locale: str | None = None) -> ParseResult:
        raise RuntimeError(f"cannot tokenise {text!r}")

    async def train(self, examples: Sequence[TrainingExample]) -> None:
        return None


@pytest.mark.parametrize("flag", [False, True])
async def test_a_failing_nlu_logs_no_shopper_text_and_the_shopper_gets_a_person(
    make_settings: Callable[..., Settings], caplog: pytest.LogCaptureFixture, flag: bool
) -> None:
    caplog.set_level(logging.DEBUG)
    app = create_app(make_settings(log_shopper_text=flag), nlu=BrokenNLU(),
                     knowledge_base=shop_kb())
    async with started(app) as client:
        shopper = await new_shopper(client)
        sent = await client.post("/webchat/messages", json={"text": f"ship to {MARKER}"},
                                 headers=shopper)
        await settle(app)
        seen = await transcript(client, shopper)
        async with app.state.relevo.database.read() as conn:
            state = (await conn.execute(sa.text(
                f"SELECT state, handoff_reason FROM conversations "
                f"WHERE id = {sent.json()['conversation_id']}"))).one()
    assert "nlu parse failed (RuntimeError)" in logged(caplog.records)
    assert (MARKER in logged(caplog.records)) is flag
    assert (state.state, state.handoff_reason) == ("queued", "the NLU failed")
    assert [m["author"]["kind"] for m in seen] == ["shopper", "system"]
