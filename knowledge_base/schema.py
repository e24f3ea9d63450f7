"""What the knowledge base stores: articles and their immutable revisions, the editorial
workflow's log, the published NLU model versions, the unanswered-question inbox and its
clusters, and the community's proposed answers. Tables on the core's metadata, migrated
by the package's own Alembic branch (`knowledge_base/migrations`, label `kb`).

An article's content lives only in its revisions (`content`: topic, tags, title,
questions, answer, exactly the YAML article's fields but intent and status). The
article row says which revision is the head (the latest save) and which one shoppers
are served (`published_revision`): a published article keeps serving its published
revision while a newer draft is reviewed.
"""

from __future__ import annotations

import sqlalchemy as sa

from relevo.bot.store.schema import Id, UTCDateTime, metadata

ARTICLE_STATUSES = ("draft", "in_review", "published", "archived")
CLUSTER_STATUSES = ("open", "resolved", "dismissed")
# What brought a shopper's message to the inbox (bot.types.BotMissed.kind).
UNANSWERED_KINDS = ("miss", "out_of_scope", "low_confidence", "clarify_unpicked", "not_helpful")

kb_articles = sa.Table(
    "kb_articles",
    metadata,
    sa.Column("id", Id, primary_key=True, autoincrement=True),
    sa.Column("intent", sa.String(100), nullable=False, unique=True),
    # The head revision's place in the workflow: draft → in_review → published → archived.
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("owner_id", Id, sa.ForeignKey("operators.id")),
    sa.Column("head_revision", sa.Integer, nullable=False),
    # What shoppers are served (None: never published, or archived).
    sa.Column("published_revision", sa.Integer),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    sa.CheckConstraint(
        "status IN ('draft', 'in_review', 'published', 'archived')", name="kb_status_known"
    ),
)

kb_revisions = sa.Table(
    "kb_revisions",
    metadata,
    sa.Column("id", Id, primary_key=True, autoincrement=True),
    sa.Column("article_id", Id, sa.ForeignKey("kb_articles.id"), nullable=False),
    sa.Column("number", sa.Integer, nullable=False),  # 1, 2, … per article
    sa.Column("author_id", Id, sa.ForeignKey("operators.id")),  # None: an import or the seed
    sa.Column("author_name", sa.String(200), nullable=False),
    sa.Column("note", sa.Text, nullable=False, default=""),
    # {"topic", "tags", "title", "questions", "answer"}: never changed once written.
    sa.Column("content", sa.JSON, nullable=False),
    # Whose answer this is when it came from a community proposal (points on publish).
    sa.Column("credited_operator_id", Id, sa.ForeignKey("operators.id")),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.UniqueConstraint("article_id", "number", name="uq_kb_revisions_article_number"),
)

# Every workflow step (submit, approve, reject, publish, archive, restore, import), who
# and why: the review history an editor reads beside the revisions.
kb_article_events = sa.Table(
    "kb_article_events",
    metadata,
    sa.Column("id", Id, primary_key=True, autoincrement=True),
    sa.Column("article_id", Id, sa.ForeignKey("kb_articles.id"), nullable=False, index=True),
    sa.Column("revision", sa.Integer, nullable=False),
    sa.Column("action", sa.String(32), nullable=False),
    sa.Column("actor_id", Id, sa.ForeignKey("operators.id")),
    sa.Column("actor_name", sa.String(200), nullable=False),
    sa.Column("note", sa.Text, nullable=False, default=""),
    sa.Column("at", UTCDateTime, nullable=False),
)

# The NLU model versions: every process serves the latest `ready` one (the version is
# the row id; a bus event announces each new one).
kb_models = sa.Table(
    "kb_models",
    metadata,
    sa.Column("version", Id, primary_key=True, autoincrement=True),
    sa.Column("status", sa.String(16), nullable=False),  # training | ready | failed
    sa.Column("fingerprint", sa.String(64), nullable=False),  # of the training data
    sa.Column("articles", sa.Integer, nullable=False),
    sa.Column("examples", sa.Integer, nullable=False),
    sa.Column("train_seconds", sa.Float),
    sa.Column("error", sa.Text),  # why a training failed (the old model kept serving)
    sa.Column("actor_name", sa.String(200), nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("finished_at", UTCDateTime),
)

kb_clusters = sa.Table(
    "kb_clusters",
    metadata,
    sa.Column("id", Id, primary_key=True, autoincrement=True),
    sa.Column("language", sa.String(16), nullable=False),
    sa.Column("label", sa.Text, nullable=False),  # the most central example
    sa.Column("status", sa.String(16), nullable=False, default="open"),
    sa.Column("size", sa.Integer, nullable=False, default=0),
    # The clustering's running summary (term weights), so a new question joins without
    # re-reading every example.
    sa.Column("centroid", sa.JSON, nullable=False),
    sa.Column("first_at", UTCDateTime, nullable=False),
    sa.Column("last_at", UTCDateTime, nullable=False),
    sa.Column("reason", sa.Text),  # why it was dismissed
    sa.Column("article_intent", sa.String(100)),  # the article that now answers it
    sa.Column("closed_by", Id, sa.ForeignKey("operators.id")),
    sa.Column("closed_at", UTCDateTime),
    sa.Index("ix_kb_clusters_status_language_last", "status", "language", "last_at"),
)

kb_unanswered = sa.Table(
    "kb_unanswered",
    metadata,
    sa.Column("id", Id, primary_key=True, autoincrement=True),
    sa.Column("message_id", Id, sa.ForeignKey("messages.id"), nullable=False),
    sa.Column("conversation_id", Id, sa.ForeignKey("conversations.id"), nullable=False),
    sa.Column("channel", sa.String(32), nullable=False),
    sa.Column("language", sa.String(16), nullable=False),
    sa.Column("kind", sa.String(24), nullable=False),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("intent", sa.String(100)),  # what the bot thought, if anything
    sa.Column("confidence", sa.Float),
    sa.Column("cluster_id", Id, sa.ForeignKey("kb_clusters.id"), index=True),
    sa.Column("at", UTCDateTime, nullable=False),
    # A replayed event files a message once per reason.
    sa.UniqueConstraint("message_id", "kind", name="uq_kb_unanswered_message_kind"),
)

# Answers proposed to a cluster by operators and ambassadors, for reviewers to publish.
kb_proposals = sa.Table(
    "kb_proposals",
    metadata,
    sa.Column("id", Id, primary_key=True, autoincrement=True),
    sa.Column("cluster_id", Id, sa.ForeignKey("kb_clusters.id"), nullable=False, index=True),
    sa.Column("operator_id", Id, sa.ForeignKey("operators.id"), nullable=False),
    sa.Column("language", sa.String(16), nullable=False),
    sa.Column("answer", sa.Text, nullable=False),
    sa.Column("status", sa.String(16), nullable=False, default="open"),  # open|accepted|declined
    sa.Column("article_intent", sa.String(100)),
    sa.Column("created_at", UTCDateTime, nullable=False),
)
