"""handoff reads its truth from storage: load counts, dismissed CSAT requests

An operator's load (assigned + offered) is counted in SQL when a slot is taken, so
both are indexed by operator. A CSAT request the shopper answered with something
else (or too late) is closed with `dismissed_at` instead of being forgotten in one
process's memory.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from relevo.bot.store.schema import UTCDateTime

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

When = UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_index("ix_conversations_operator_state", "conversations",
                    ["assigned_operator_id", "state"])
    op.create_index("ix_handoffs_offered_to", "handoffs", ["offered_to"])
    with op.batch_alter_table("csat_responses") as batch:
        batch.add_column(sa.Column("dismissed_at", When, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("csat_responses") as batch:
        batch.drop_column("dismissed_at")
    op.drop_index("ix_handoffs_offered_to", table_name="handoffs")
    op.drop_index("ix_conversations_operator_state", table_name="conversations")
