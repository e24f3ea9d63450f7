"""experience: CSAT comments, operators' own signatures, saved replies (issue #11)

`csat_responses.comment` keeps what the shopper wrote beside the score;
`operators.signatures` holds each operator's name and title per language
(`{"es": {"name": "Lucía", "title": "experta"}}`); `saved_replies` are the canned
answers operators insert from the console, one shortcut per language.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from relevo.bot.store.schema import Id, UTCDateTime

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("csat_responses") as batch:
        batch.add_column(sa.Column("comment", sa.Text(), nullable=True))
    with op.batch_alter_table("operators") as batch:
        batch.add_column(sa.Column("signatures", sa.JSON(), nullable=True))
    op.create_table(
        "saved_replies",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("language", sa.String(16), nullable=False),
        sa.Column("shortcut", sa.String(64), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_by", Id, sa.ForeignKey("operators.id",
                  name="fk_saved_replies_created_by_operators")),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_saved_replies"),
        sa.UniqueConstraint("language", "shortcut", name="uq_saved_replies_language_shortcut"),
    )


def downgrade() -> None:
    op.drop_table("saved_replies")
    with op.batch_alter_table("operators") as batch:
        batch.drop_column("signatures")
    with op.batch_alter_table("csat_responses") as batch:
        batch.drop_column("comment")
