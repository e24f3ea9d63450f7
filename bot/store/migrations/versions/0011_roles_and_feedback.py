"""roles and feedback: a list of roles per operator, 👍/👎 votes on bot answers (#13)

`operators.roles` holds every role a person holds (`["editor", "reviewer"]`); rows
written before it keep `roles` NULL and are read as `[role]`. `message_feedback`
records one vote per bot answer.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from relevo.bot.store.schema import Id, UTCDateTime

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("operators") as batch:
        batch.add_column(sa.Column("roles", sa.JSON(), nullable=True))
    op.create_table(
        "message_feedback",
        sa.Column("message_id", Id, nullable=False),
        sa.Column("conversation_id", Id, nullable=False),
        sa.Column("helpful", sa.Boolean(), nullable=False),
        sa.Column("intent", sa.String(100), nullable=True),
        sa.Column("at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["message_id"], ["messages.id"],
                                name="fk_message_feedback_message_id_messages"),
        sa.ForeignKeyConstraint(["conversation_id"], ["conversations.id"],
                                name="fk_message_feedback_conversation_id_conversations"),
        sa.PrimaryKeyConstraint("message_id", name="pk_message_feedback"),
    )
    op.create_index("ix_message_feedback_intent", "message_feedback", ["intent"])


def downgrade() -> None:
    op.drop_index("ix_message_feedback_intent", table_name="message_feedback")
    op.drop_table("message_feedback")
    with op.batch_alter_table("operators") as batch:
        batch.drop_column("roles")
