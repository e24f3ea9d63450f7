"""community credits: points for a published community answer, paid once (#13)

One row per published article revision that credits an operator (the proposer of its
answer): its primary key (intent, revision) makes a replayed `ArticlePublished` pay
once. Points still add up in `operators.points`.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from relevo.bot.store.schema import Id, UTCDateTime

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "community_credits",
        sa.Column("intent", sa.String(100), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("operator_id", Id, nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["operator_id"], ["operators.id"],
                                name="fk_community_credits_operator_id_operators"),
        sa.PrimaryKeyConstraint("intent", "revision", name="pk_community_credits"),
    )
    op.create_index("ix_community_credits_operator_id", "community_credits", ["operator_id"])


def downgrade() -> None:
    op.drop_index("ix_community_credits_operator_id", table_name="community_credits")
    op.drop_table("community_credits")
