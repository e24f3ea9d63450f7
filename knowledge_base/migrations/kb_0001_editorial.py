"""kb: articles with revisions and a workflow, model versions, the unanswered inbox (#13)

The first revision of the knowledge base's own branch (`kb`). It `depends_on` core
0011 (operators' roles, message feedback).

Revision ID: kb_0001
Revises:
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from relevo.bot.store.schema import UTCDateTime

revision = "kb_0001"
down_revision = None
branch_labels = ("kb",)
depends_on = "0011"

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
When = UTCDateTime(timezone=True)


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.{'version' if target == 'kb_models' else 'id'}"],
        name=f"fk_{table}_{column}_{target}")


def upgrade() -> None:
    # Long: one create_table per table of the branch, as Alembic writes a first revision.
    op.create_table(
        "kb_articles",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("intent", sa.String(100), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("owner_id", Id),
        sa.Column("head_revision", sa.Integer(), nullable=False),
        sa.Column("published_revision", sa.Integer()),
        sa.Column("created_at", When, nullable=False),
        sa.Column("updated_at", When, nullable=False),
        sa.CheckConstraint("status IN ('draft', 'in_review', 'published', 'archived')",
                           name="ck_kb_articles_kb_status_known"),
        _fk("kb_articles", "owner_id", "operators"),
        sa.PrimaryKeyConstraint("id", name="pk_kb_articles"),
        sa.UniqueConstraint("intent", name="uq_kb_articles_intent"),
    )
    op.create_table(
        "kb_revisions",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("article_id", Id, nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("author_id", Id),
        sa.Column("author_name", sa.String(200), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("content", sa.JSON(), nullable=False),
        sa.Column("credited_operator_id", Id),
        sa.Column("created_at", When, nullable=False),
        _fk("kb_revisions", "article_id", "kb_articles"),
        _fk("kb_revisions", "author_id", "operators"),
        _fk("kb_revisions", "credited_operator_id", "operators"),
        sa.PrimaryKeyConstraint("id", name="pk_kb_revisions"),
        sa.UniqueConstraint("article_id", "number", name="uq_kb_revisions_article_number"),
    )
    op.create_table(
        "kb_article_events",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("article_id", Id, nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("actor_id", Id),
        sa.Column("actor_name", sa.String(200), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("at", When, nullable=False),
        _fk("kb_article_events", "article_id", "kb_articles"),
        _fk("kb_article_events", "actor_id", "operators"),
        sa.PrimaryKeyConstraint("id", name="pk_kb_article_events"),
    )
    op.create_index("ix_kb_article_events_article_id", "kb_article_events", ["article_id"])
    op.create_table(
        "kb_models",
        sa.Column("version", Id, primary_key=True, autoincrement=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("articles", sa.Integer(), nullable=False),
        sa.Column("examples", sa.Integer(), nullable=False),
        sa.Column("train_seconds", sa.Float()),
        sa.Column("error", sa.Text()),
        sa.Column("actor_name", sa.String(200), nullable=False),
        sa.Column("created_at", When, nullable=False),
        sa.Column("finished_at", When),
        sa.PrimaryKeyConstraint("version", name="pk_kb_models"),
    )
    op.create_table(
        "kb_clusters",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("language", sa.String(16), nullable=False),
        sa.Column("label", sa.Text(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("centroid", sa.JSON(), nullable=False),
        sa.Column("first_at", When, nullable=False),
        sa.Column("last_at", When, nullable=False),
        sa.Column("reason", sa.Text()),
        sa.Column("article_intent", sa.String(100)),
        sa.Column("closed_by", Id),
        sa.Column("closed_at", When),
        _fk("kb_clusters", "closed_by", "operators"),
        sa.PrimaryKeyConstraint("id", name="pk_kb_clusters"),
    )
    op.create_index("ix_kb_clusters_status_language_last", "kb_clusters",
                    ["status", "language", "last_at"])
    op.create_table(
        "kb_unanswered",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("message_id", Id, nullable=False),
        sa.Column("conversation_id", Id, nullable=False),
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("language", sa.String(16), nullable=False),
        sa.Column("kind", sa.String(24), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("intent", sa.String(100)),
        sa.Column("confidence", sa.Float()),
        sa.Column("cluster_id", Id),
        sa.Column("at", When, nullable=False),
        _fk("kb_unanswered", "message_id", "messages"),
        _fk("kb_unanswered", "conversation_id", "conversations"),
        _fk("kb_unanswered", "cluster_id", "kb_clusters"),
        sa.PrimaryKeyConstraint("id", name="pk_kb_unanswered"),
        sa.UniqueConstraint("message_id", "kind", name="uq_kb_unanswered_message_kind"),
    )
    op.create_index("ix_kb_unanswered_cluster_id", "kb_unanswered", ["cluster_id"])
    op.create_table(
        "kb_proposals",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("cluster_id", Id, nullable=False),
        sa.Column("operator_id", Id, nullable=False),
        sa.Column("language", sa.String(16), nullable=False),
        sa.Column("answer", sa.Text(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("article_intent", sa.String(100)),
        sa.Column("created_at", When, nullable=False),
        _fk("kb_proposals", "cluster_id", "kb_clusters"),
        _fk("kb_proposals", "operator_id", "operators"),
        sa.PrimaryKeyConstraint("id", name="pk_kb_proposals"),
    )
    op.create_index("ix_kb_proposals_cluster_id", "kb_proposals", ["cluster_id"])


def downgrade() -> None:
    for table in ("kb_proposals", "kb_unanswered", "kb_clusters", "kb_models",
                  "kb_article_events", "kb_revisions", "kb_articles"):
        op.drop_table(table)
