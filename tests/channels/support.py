"""Helpers shared by the provider channel tests."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa

from relevo.bot.store import conversations as conversation_store
from relevo.bot.store import operators as operator_store
from relevo.bot.store.schema import messages, outbox
from relevo.bot.types import ConversationState, OperatorKind
from tests.settle import settle as settle

PAYLOADS = Path(__file__).resolve().parents[1] / "payloads"


def payload(name: str, **changes: Any) -> dict[str, Any]:
    """A recorded provider payload (`telegram/text`, `twilio/inbound_text`…)."""
    data: dict[str, Any] = json.loads((PAYLOADS / f"{name}.json").read_text(encoding="utf-8"))
    data.update(changes)
    return data


async def rows(app: Any, query: str) -> list[Any]:
    async with app.state.relevo.database.read() as conn:
        return list((await conn.execute(sa.text(query))).all())


async def inbound(app: Any, channel: str) -> list[Any]:
    async with app.state.relevo.database.read() as conn:
        return list(
            (
                await conn.execute(
                    sa.select(messages).where(
                        messages.c.channel == channel, messages.c.direction == "inbound"
                    ).order_by(messages.c.id)
                )
            ).all()
        )


async def outbound(app: Any) -> list[Any]:
    async with app.state.relevo.database.read() as conn:
        return list(
            (
                await conn.execute(
                    sa.select(messages, outbox.c.attempts, outbox.c.next_attempt_at,
                              outbox.c.updated_at.label("outbox_updated_at"),
                              outbox.c.status.label("outbox_status"), outbox.c.last_error)
                    .join(outbox, outbox.c.message_id == messages.c.id)
                    .order_by(messages.c.id)
                )
            ).all()
        )


async def operator_reply(
    app: Any, client: httpx.AsyncClient, conversation_id: int, text: str
) -> None:
    """An operator (Lucía, an expert, added as `relevo operators add` does) claims the
    conversation if it is queued and answers through the operator API; the reply
    goes to the channel the shopper used last."""
    token = getattr(app.state, "test_operator_token", None)
    if token is None:
        async with app.state.relevo.database.write() as conn:
            _, token = await operator_store.add(
                conn, name="Lucía", kind=OperatorKind.EXPERT, email=None,
                languages=["es", "en"], skills=[], max_concurrent=3, now=datetime.now(UTC),
            )
        app.state.test_operator_token = token
    headers = {"Authorization": f"Bearer {token}"}
    async with app.state.relevo.database.read() as conn:
        conversation = await conversation_store.get(conn, conversation_id)
    assert conversation is not None
    if conversation.state == ConversationState.QUEUED:
        claimed = await client.post(f"/api/conversations/{conversation_id}/claim",
                                    headers=headers)
        assert claimed.status_code == 200, claimed.text
    sent = await client.post(f"/api/conversations/{conversation_id}/messages",
                             json={"text": text}, headers=headers)
    assert sent.status_code == 201, sent.text
