"""slack: posts to Slack are outbox rows; pending `slack_posts` move there, the table goes

Revision ID: slack_0002
Revises: 0004
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from relevo.bot.store.schema import UTCDateTime

revision = "slack_0002"
down_revision = "0004"
branch_labels = None
depends_on = "0005"  # the outbox takes posts (`kind`, `payload`) from core 0005 on

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
When = UTCDateTime(timezone=True)

_posts = sa.table(
    "slack_posts",
    sa.column("id", Id), sa.column("conversation_id", Id), sa.column("kind", sa.String),
    sa.column("ref_id", Id), sa.column("data", sa.JSON), sa.column("status", sa.String),
    sa.column("attempts", sa.Integer), sa.column("next_attempt_at", When),
    sa.column("last_error", sa.String), sa.column("created_at", When),
    sa.column("updated_at", When),
)
_outbox = sa.table(
    "outbox",
    sa.column("message_id", Id), sa.column("channel", sa.String),
    sa.column("recipient", sa.String), sa.column("kind", sa.String),
    sa.column("payload", sa.JSON), sa.column("status", sa.String),
    sa.column("attempts", sa.Integer), sa.column("next_attempt_at", When),
    sa.column("last_error", sa.String), sa.column("created_at", When),
    sa.column("updated_at", When),
)


def upgrade() -> None:
    bind = op.get_bind()
    pending = bind.execute(
        sa.select(_posts).where(_posts.c.status == "pending").order_by(_posts.c.id)
    ).all()
    for post in pending:
        payload = {"conversation_id": post.conversation_id, **dict(post.data or {})}
        if post.ref_id is not None:
            payload["ref_id"] = post.ref_id
        bind.execute(sa.insert(_outbox).values(
            message_id=None, channel="slack", recipient=f"conversation:{post.conversation_id}",
            kind=post.kind, payload=payload, status="pending", attempts=post.attempts,
            next_attempt_at=post.next_attempt_at, last_error=post.last_error,
            created_at=post.created_at, updated_at=post.updated_at,
        ))
    op.drop_index("ix_slack_posts_status_next_attempt_at", table_name="slack_posts")
    op.drop_table("slack_posts")


def downgrade() -> None:
    op.create_table(
        "slack_posts",
        sa.Column("id", Id, autoincrement=True, nullable=False),
        sa.Column("conversation_id", Id, nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("ref_id", Id, nullable=True),
        sa.Column("data", sa.JSON(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", When, nullable=False),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.Column("created_at", When, nullable=False),
        sa.Column("updated_at", When, nullable=False),
        sa.ForeignKeyConstraint(
            ["conversation_id"], ["conversations.id"],
            name=op.f("fk_slack_posts_conversation_id_conversations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_slack_posts")),
    )
    op.create_index(
        "ix_slack_posts_status_next_attempt_at", "slack_posts", ["status", "next_attempt_at"]
    )
