"""handoff: queue state, routing decisions, notes, CSAT, community points, console sessions

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from relevo.bot.store.schema import UTCDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
When = UTCDateTime(timezone=True)


def upgrade() -> None:
    # Long: a migration lists its tables one after the other, as Alembic writes them.
    with op.batch_alter_table("operators", schema=None) as batch_op:
        batch_op.add_column(sa.Column("last_seen_at", When, nullable=True))
        batch_op.add_column(sa.Column("last_assigned_at", When, nullable=True))

    op.create_table(
        "handoffs",
        sa.Column("conversation_id", Id, nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("pools", sa.JSON(), nullable=False),
        sa.Column("stage", sa.Integer(), nullable=False),
        sa.Column("topic", sa.String(length=64), nullable=True),
        sa.Column("intent", sa.String(length=100), nullable=True),
        sa.Column("handoff_count", sa.Integer(), nullable=False),
        sa.Column("queued_at", When, nullable=True),
        sa.Column("offered_to", Id, nullable=True),
        sa.Column("offered_at", When, nullable=True),
        sa.Column("offers", sa.JSON(), nullable=False),
        sa.Column("assigned_at", When, nullable=True),
        sa.Column("waiting_since", When, nullable=True),
        sa.Column("reminded_at", When, nullable=True),
        sa.Column("first_reply_at", When, nullable=True),
        sa.Column("told_position", sa.Integer(), nullable=True),
        sa.Column("told_wait_seconds", sa.Integer(), nullable=True),
        sa.Column("after_hours", sa.Boolean(), nullable=False),
        sa.Column("last_decision_id", Id, nullable=True),
        sa.Column("updated_at", When, nullable=False),
        sa.ForeignKeyConstraint(
            ["conversation_id"], ["conversations.id"],
            name=op.f("fk_handoffs_conversation_id_conversations"),
        ),
        sa.ForeignKeyConstraint(
            ["offered_to"], ["operators.id"], name=op.f("fk_handoffs_offered_to_operators")
        ),
        sa.PrimaryKeyConstraint("conversation_id", name=op.f("pk_handoffs")),
    )
    op.create_table(
        "routing_decisions",
        sa.Column("id", Id, autoincrement=True, nullable=False),
        sa.Column("conversation_id", Id, nullable=False),
        sa.Column("at", When, nullable=False),
        sa.Column("trigger", sa.String(length=32), nullable=False),
        sa.Column("facts", sa.JSON(), nullable=False),
        sa.Column("hits", sa.JSON(), nullable=False),
        sa.Column("pool", sa.JSON(), nullable=True),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("operator_id", Id, nullable=True),
        sa.Column("outcome", sa.String(length=32), nullable=False),
        sa.Column("explanation", sa.String(length=1000), nullable=False),
        sa.ForeignKeyConstraint(
            ["conversation_id"], ["conversations.id"],
            name=op.f("fk_routing_decisions_conversation_id_conversations"),
        ),
        sa.ForeignKeyConstraint(
            ["operator_id"], ["operators.id"],
            name=op.f("fk_routing_decisions_operator_id_operators"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_routing_decisions")),
    )
    with op.batch_alter_table("routing_decisions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_routing_decisions_conversation_id"), ["conversation_id"], unique=False
        )

    op.create_table(
        "operator_notes",
        sa.Column("id", Id, autoincrement=True, nullable=False),
        sa.Column("conversation_id", Id, nullable=False),
        sa.Column("operator_id", Id, nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("at", When, nullable=False),
        sa.ForeignKeyConstraint(
            ["conversation_id"], ["conversations.id"],
            name=op.f("fk_operator_notes_conversation_id_conversations"),
        ),
        sa.ForeignKeyConstraint(
            ["operator_id"], ["operators.id"], name=op.f("fk_operator_notes_operator_id_operators")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_operator_notes")),
    )
    with op.batch_alter_table("operator_notes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_operator_notes_conversation_id"), ["conversation_id"], unique=False
        )

    op.create_table(
        "csat_responses",
        sa.Column("id", Id, autoincrement=True, nullable=False),
        sa.Column("conversation_id", Id, nullable=False),
        sa.Column("contact_id", Id, nullable=False),
        sa.Column("operator_id", Id, nullable=False),
        sa.Column("operator_kind", sa.String(length=16), nullable=False),
        sa.Column("requested_at", When, nullable=False),
        sa.Column("score", sa.Integer(), nullable=True),
        sa.Column("answered_at", When, nullable=True),
        sa.Column("message_id", Id, nullable=True),
        sa.CheckConstraint(
            "score IS NULL OR (score >= 1 AND score <= 5)",
            name=op.f("ck_csat_responses_score_range"),
        ),
        sa.ForeignKeyConstraint(
            ["contact_id"], ["contacts.id"], name=op.f("fk_csat_responses_contact_id_contacts")
        ),
        sa.ForeignKeyConstraint(
            ["conversation_id"], ["conversations.id"],
            name=op.f("fk_csat_responses_conversation_id_conversations"),
        ),
        sa.ForeignKeyConstraint(
            ["message_id"], ["messages.id"], name=op.f("fk_csat_responses_message_id_messages")
        ),
        sa.ForeignKeyConstraint(
            ["operator_id"], ["operators.id"], name=op.f("fk_csat_responses_operator_id_operators")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_csat_responses")),
        sa.UniqueConstraint("conversation_id", name=op.f("uq_csat_responses_conversation_id")),
    )
    with op.batch_alter_table("csat_responses", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_csat_responses_contact_id"), ["contact_id"], unique=False
        )

    op.create_table(
        "points_events",
        sa.Column("id", Id, autoincrement=True, nullable=False),
        sa.Column("operator_id", Id, nullable=False),
        sa.Column("conversation_id", Id, nullable=False),
        sa.Column("event", sa.String(length=16), nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("at", When, nullable=False),
        sa.ForeignKeyConstraint(
            ["conversation_id"], ["conversations.id"],
            name=op.f("fk_points_events_conversation_id_conversations"),
        ),
        sa.ForeignKeyConstraint(
            ["operator_id"], ["operators.id"], name=op.f("fk_points_events_operator_id_operators")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_points_events")),
        sa.UniqueConstraint(
            "operator_id", "conversation_id", "event", name="uq_points_events_once"
        ),
    )
    op.create_table(
        "console_sessions",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("operator_id", Id, nullable=False),
        sa.Column("created_at", When, nullable=False),
        sa.Column("expires_at", When, nullable=False),
        sa.ForeignKeyConstraint(
            ["operator_id"], ["operators.id"],
            name=op.f("fk_console_sessions_operator_id_operators"),
        ),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_console_sessions")),
    )


def downgrade() -> None:
    op.drop_table("console_sessions")
    op.drop_table("points_events")
    with op.batch_alter_table("csat_responses", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_csat_responses_contact_id"))
    op.drop_table("csat_responses")
    with op.batch_alter_table("operator_notes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_operator_notes_conversation_id"))
    op.drop_table("operator_notes")
    with op.batch_alter_table("routing_decisions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_routing_decisions_conversation_id"))
    op.drop_table("routing_decisions")
    op.drop_table("handoffs")
    with op.batch_alter_table("operators", schema=None) as batch_op:
        batch_op.drop_column("last_assigned_at")
        batch_op.drop_column("last_seen_at")
