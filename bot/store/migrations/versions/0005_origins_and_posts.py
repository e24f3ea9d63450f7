"""origins of operator replies and notes (their idempotency keys); outbox posts

An operator reply or note carries where it was written (`origin_surface`,
`origin_key`), unique like an inbound message's `external_id`. An outbox row may be a
post for a `PostDestination` (`kind`, `payload`, no message) instead of a message.

Revision ID: 0005
Revises: 0003
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
# 0004 moved to the Slack package's own branch: the core goes on from 0003.
down_revision = "0003"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    for table in ("messages", "operator_notes"):
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("origin_surface", sa.String(length=16), nullable=True))
            batch.add_column(sa.Column("origin_key", sa.String(length=200), nullable=True))
            batch.create_unique_constraint(f"uq_{table}_origin", ["origin_surface", "origin_key"])
    with op.batch_alter_table("outbox") as batch:
        batch.alter_column("message_id", existing_type=Id, nullable=True)
        batch.add_column(sa.Column("kind", sa.String(length=32), nullable=True))
        batch.add_column(sa.Column("payload", sa.JSON(), nullable=True))


def downgrade() -> None:
    op.execute("DELETE FROM outbox WHERE message_id IS NULL")
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("payload")
        batch.drop_column("kind")
        batch.alter_column("message_id", existing_type=Id, nullable=False)
    for table in ("operator_notes", "messages"):
        with op.batch_alter_table(table) as batch:
            batch.drop_constraint(f"uq_{table}_origin", type_="unique")
            batch.drop_column("origin_key")
            batch.drop_column("origin_surface")
