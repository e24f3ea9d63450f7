"""The relational schema (SQLAlchemy Core). Alembic migrations are generated from it.

Timestamps are stored in UTC; `UTCDateTime` gives them back timezone-aware on every
backend (SQLite has no time zones of its own).
"""

from __future__ import annotations

import sqlalchemy as sa

# Re-exported: migrations name the column types through this module.
from relevo.bot.store.columns import Id as Id
from relevo.bot.store.columns import UTCDateTime as UTCDateTime
from relevo.bot.store.columns import metadata as metadata

OPEN_STATES = ("bot", "queued", "assigned")

contacts = sa.Table(
    "contacts",
    metadata,
    sa.Column("id", Id, primary_key=True, autoincrement=True),
    sa.Column("display_name", sa.String(200)),
    sa.Column("locale", sa.String(16)),
    sa.Column("phone", sa.String(32)),
    sa.Column("email", sa.String(320)),
    sa.Column("tags", sa.JSON, nullable=False, default=list),
    sa.Column("merged_into_id", Id, sa.ForeignKey("contacts.id")),
    sa.Column("created_at", UTCDateTime, nullable=False),
    # Personal data removed (GDPR erasure): the row stays for analytics, anonymous.
    sa.Column("erased_at", UTCDateTime),
)

identities = sa.Table(
    "identities",
    metadata,
    sa.Column("id", Id, primary_key=True, autoincrement=True),
    sa.Column("contact_id", Id, sa.ForeignKey("contacts.id"), nullable=False, index=True),
    sa.Column("channel", sa.String(32), nullable=False),
    sa.Column("external_user_id", sa.String(200), nullable=False),
    sa.Column("display_name", sa.String(200)),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("last_seen_at", UTCDateTime),
    sa.UniqueConstraint("channel", "external_user_id", name="uq_identities_channel_user"),
)

web_sessions = sa.Table(
    "web_sessions",
    metadata,
    sa.Column("token_hash", sa.String(64), primary_key=True),
    sa.Column("identity_id", Id, sa.ForeignKey("identities.id"), nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("expires_at", UTCDateTime, nullable=False),
)

operators = sa.Table(
    "operators",
    metadata,
    sa.Column("id", Id, primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("role", sa.String(16), nullable=False, default="operator"),
    # Every role the person holds (["editor", "reviewer"]); `role` is the first of them,
    # kept for readers of the single-role form. None: just `role` (rows before 0011).
    sa.Column("roles", sa.JSON),
    sa.Column("email", sa.String(320), unique=True),
    sa.Column("signature", sa.String(200)),
    sa.Column("languages", sa.JSON, nullable=False, default=list),
    sa.Column("skills", sa.JSON, nullable=False, default=list),
    sa.Column("max_concurrent", sa.Integer, nullable=False, default=3),
    sa.Column("timezone", sa.String(64), nullable=False, default="UTC"),
    sa.Column("schedule", sa.JSON),
    sa.Column("presence", sa.String(16), nullable=False, default="offline"),
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("password_hash", sa.String(200)),
    sa.Column("slack_user_id", sa.String(64), unique=True),
    sa.Column("points", sa.Integer, nullable=False, default=0),
    sa.Column("active", sa.Boolean, nullable=False, default=True),
    sa.Column("created_at", UTCDateTime, nullable=False),
)

conversations = sa.Table(
    "conversations",
    metadata,
    sa.Column("id", Id, primary_key=True, autoincrement=True),
    sa.Column("contact_id", Id, sa.ForeignKey("contacts.id"), nullable=False),
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("channel", sa.String(32), nullable=False),
    sa.Column("locale", sa.String(16)),
    sa.Column("assigned_operator_id", Id, sa.ForeignKey("operators.id")),
    sa.Column("handoff_reason", sa.String(200)),
    sa.Column("bot_misses", sa.Integer, nullable=False, default=0),
    # What the bot is waiting for (e.g. the options it offered to clarify).
    sa.Column("bot_context", sa.JSON),
    sa.Column("previous_conversation_id", Id, sa.ForeignKey("conversations.id")),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    sa.Column("resolved_at", UTCDateTime),
    # Messages blanked (erasure or retention): retention never picks it again.
    sa.Column("erased_at", UTCDateTime),
    sa.CheckConstraint(
        "state IN ('bot', 'queued', 'assigned', 'resolved')", name="state_known"
    ),
    # At most one open conversation per contact: concurrent first messages of a new
    # shopper cannot open two.
    sa.Index(
        "uq_conversations_open_contact",
        "contact_id",
        unique=True,
        sqlite_where=sa.text("state != 'resolved'"),
        postgresql_where=sa.text("state != 'resolved'"),
    ),
    sa.Index("ix_conversations_state_updated", "state", "updated_at"),
    # An operator's load is counted here when a slot is taken (handoff.capacity).
    sa.Index("ix_conversations_operator_state", "assigned_operator_id", "state"),
    # Retention looks up a channel's conversations by last activity.
    sa.Index("ix_conversations_channel_updated", "channel", "updated_at"),
)

conversation_transitions = sa.Table(
    "conversation_transitions",
    metadata,
    sa.Column("id", Id, primary_key=True, autoincrement=True),
    sa.Column(
        "conversation_id", Id, sa.ForeignKey("conversations.id"), nullable=False, index=True
    ),
    sa.Column("from_state", sa.String(16), nullable=False),
    sa.Column("to_state", sa.String(16), nullable=False),
    sa.Column("actor", sa.String(100), nullable=False),
    sa.Column("reason", sa.String(500), nullable=False),
    sa.Column("at", UTCDateTime, nullable=False),
)

messages = sa.Table(
    "messages",
    metadata,
    sa.Column("id", Id, primary_key=True, autoincrement=True),
    sa.Column("conversation_id", Id, sa.ForeignKey("conversations.id"), nullable=False),
    sa.Column("contact_id", Id, sa.ForeignKey("contacts.id"), nullable=False),
    sa.Column("direction", sa.String(8), nullable=False),
    sa.Column("author_kind", sa.String(16), nullable=False),
    sa.Column("author_name", sa.String(200)),
    sa.Column("operator_id", Id, sa.ForeignKey("operators.id")),
    sa.Column("channel", sa.String(32), nullable=False),
    # The provider's id of an inbound message: the dedupe key.
    sa.Column("external_id", sa.String(200)),
    # The provider's id of an outbound message once sent (for status callbacks).
    sa.Column("provider_message_id", sa.String(200)),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("attachments", sa.JSON),
    sa.Column("locale", sa.String(16)),
    sa.Column("delivery_status", sa.String(16), nullable=False),
    sa.Column("delivery_error", sa.String(500)),
    sa.Column("processed", sa.Boolean, nullable=False, default=True),
    # Bot answers: intent, article, confidence, runners-up; for operators and analytics.
    sa.Column("meta", sa.JSON),
    sa.Column("created_at", UTCDateTime, nullable=False),
    # Where an operator wrote it (`("slack", "C…:ts")`, `("console", request id)`): the
    # idempotency key of operator replies, as `external_id` is for inbound messages.
    sa.Column("origin_surface", sa.String(16)),
    sa.Column("origin_key", sa.String(200)),
    sa.UniqueConstraint("channel", "external_id", name="uq_messages_channel_external_id"),
    sa.UniqueConstraint("origin_surface", "origin_key", name="uq_messages_origin"),
    sa.Index("ix_messages_contact_id_id", "contact_id", "id"),
    sa.Index("ix_messages_conversation_id_id", "conversation_id", "id"),
    sa.Index(
        "ix_messages_unprocessed",
        "processed",
        sqlite_where=sa.text("processed = 0"),
        postgresql_where=sa.text("processed = false"),
    ),
)

outbox = sa.Table(
    "outbox",
    metadata,
    sa.Column("id", Id, primary_key=True, autoincrement=True),
    # A shopper message to deliver; or, when null, a post (`kind` + `payload`) for the
    # `PostDestination` named `channel` (Slack's root messages and thread lines).
    sa.Column("message_id", Id, sa.ForeignKey("messages.id"), unique=True),
    sa.Column("channel", sa.String(32), nullable=False),
    sa.Column("recipient", sa.String(200), nullable=False),
    sa.Column("kind", sa.String(32)),
    sa.Column("payload", sa.JSON),
    sa.Column("status", sa.String(16), nullable=False),  # pending | done | failed
    sa.Column("attempts", sa.Integer, nullable=False, default=0),
    sa.Column("next_attempt_at", UTCDateTime, nullable=False),
    sa.Column("last_error", sa.String(500)),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    sa.Index("ix_outbox_status_next_attempt_at", "status", "next_attempt_at"),
)

# --- handoff (issue #4): routing decisions, queue state, notes, CSAT, points ----------

# Operators' activity, for auto-away and the "idle longest" tie-break.
operators.append_column(sa.Column("last_seen_at", UTCDateTime))
operators.append_column(sa.Column("last_assigned_at", UTCDateTime))
# Own signature per language: {"es": {"name": "Lucía", "title": "experta"}}; NULL: by kind.
operators.append_column(sa.Column("signatures", sa.JSON))

# One row per conversation ever handed off: its place in the queue and its SLA timers.
handoffs = sa.Table(
    "handoffs",
    metadata,
    sa.Column("conversation_id", Id, sa.ForeignKey("conversations.id"), primary_key=True),
    sa.Column("priority", sa.Integer, nullable=False, default=0),
    # The cascade of pools the rules chose, and how far SLA widening has gone in it.
    sa.Column("pools", sa.JSON, nullable=False),
    sa.Column("stage", sa.Integer, nullable=False, default=0),
    sa.Column("topic", sa.String(64)),
    sa.Column("intent", sa.String(100)),
    sa.Column("handoff_count", sa.Integer, nullable=False, default=0),
    sa.Column("queued_at", UTCDateTime),
    sa.Column("offered_to", Id, sa.ForeignKey("operators.id")),
    sa.Column("offered_at", UTCDateTime),
    # Operators offered this conversation in its current queue entry (not offered again).
    sa.Column("offers", sa.JSON, nullable=False),
    sa.Column("assigned_at", UTCDateTime),
    # Since when the shopper waits for an operator reply (None: answered).
    sa.Column("waiting_since", UTCDateTime),
    sa.Column("reminded_at", UTCDateTime),
    sa.Column("first_reply_at", UTCDateTime),
    sa.Column("told_position", sa.Integer),
    sa.Column("told_wait_seconds", sa.Integer),
    sa.Column("after_hours", sa.Boolean, nullable=False, default=False),
    sa.Column("last_decision_id", Id),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    sa.Index("ix_handoffs_offered_to", "offered_to"),
)

# Every routing decision: the facts, the rules that hit and why, the outcome.
routing_decisions = sa.Table(
    "routing_decisions",
    metadata,
    sa.Column("id", Id, primary_key=True, autoincrement=True),
    sa.Column("conversation_id", Id, sa.ForeignKey("conversations.id"), nullable=False,
              index=True),
    sa.Column("at", UTCDateTime, nullable=False),
    sa.Column("trigger", sa.String(32), nullable=False),
    sa.Column("facts", sa.JSON, nullable=False),
    sa.Column("hits", sa.JSON, nullable=False),
    sa.Column("pool", sa.JSON),
    sa.Column("priority", sa.Integer, nullable=False),
    sa.Column("operator_id", Id, sa.ForeignKey("operators.id")),
    sa.Column("outcome", sa.String(32), nullable=False),
    sa.Column("explanation", sa.String(1000), nullable=False),
)

# Private notes between operators (also the note of a transfer).
operator_notes = sa.Table(
    "operator_notes",
    metadata,
    sa.Column("id", Id, primary_key=True, autoincrement=True),
    sa.Column("conversation_id", Id, sa.ForeignKey("conversations.id"), nullable=False,
              index=True),
    sa.Column("operator_id", Id, sa.ForeignKey("operators.id"), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),  # note | transfer
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("at", UTCDateTime, nullable=False),
    # Where it was written (see `messages.origin_*`): the same origin is one note.
    sa.Column("origin_surface", sa.String(16)),
    sa.Column("origin_key", sa.String(200)),
    sa.UniqueConstraint("origin_surface", "origin_key", name="uq_operator_notes_origin"),
)

csat_responses = sa.Table(
    "csat_responses",
    metadata,
    sa.Column("id", Id, primary_key=True, autoincrement=True),
    sa.Column("conversation_id", Id, sa.ForeignKey("conversations.id"), nullable=False,
              unique=True),
    sa.Column("contact_id", Id, sa.ForeignKey("contacts.id"), nullable=False, index=True),
    sa.Column("operator_id", Id, sa.ForeignKey("operators.id"), nullable=False),
    sa.Column("operator_kind", sa.String(16), nullable=False),
    sa.Column("requested_at", UTCDateTime, nullable=False),
    sa.Column("score", sa.Integer),
    sa.Column("answered_at", UTCDateTime),
    sa.Column("message_id", Id, sa.ForeignKey("messages.id")),
    # Closed without a score: the shopper wrote something else, or answered too late.
    sa.Column("dismissed_at", UTCDateTime),
    sa.Column("comment", sa.Text),  # beside the score: "5, thanks Lucía!" → "thanks Lucía!"
    sa.CheckConstraint("score IS NULL OR (score >= 1 AND score <= 5)", name="score_range"),
)

# Community points: one row per (operator, conversation, event), so each is paid once.
points_events = sa.Table(
    "points_events",
    metadata,
    sa.Column("id", Id, primary_key=True, autoincrement=True),
    sa.Column("operator_id", Id, sa.ForeignKey("operators.id"), nullable=False),
    sa.Column("conversation_id", Id, sa.ForeignKey("conversations.id"), nullable=False),
    sa.Column("event", sa.String(16), nullable=False),
    sa.Column("points", sa.Integer, nullable=False),
    sa.Column("at", UTCDateTime, nullable=False),
    sa.UniqueConstraint("operator_id", "conversation_id", "event",
                        name="uq_points_events_once"),
)

console_sessions = sa.Table(
    "console_sessions",
    metadata,
    sa.Column("token_hash", sa.String(64), primary_key=True),
    sa.Column("operator_id", Id, sa.ForeignKey("operators.id"), nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("expires_at", UTCDateTime, nullable=False),
)

# --- linking (issue #5): verified addresses, cross-channel link codes ------------------
# (A channel's own tables live in that channel's package, migrated by its own branch.)

# Phone numbers and e-mails a provider vouched for (a WhatsApp sender's number, the
# contact card a Telegram user shared of themselves): the same value on two contacts
# is the same person, and they are merged.
verified_addresses = sa.Table(
    "verified_addresses",
    metadata,
    sa.Column("id", Id, primary_key=True, autoincrement=True),
    sa.Column("kind", sa.String(8), nullable=False),  # phone | email
    sa.Column("value", sa.String(320), nullable=False),
    sa.Column("source", sa.String(32), nullable=False),
    sa.Column("contact_id", Id, sa.ForeignKey("contacts.id"), nullable=False, index=True),
    sa.Column("verified_at", UTCDateTime, nullable=False),
    sa.UniqueConstraint("kind", "value", "source", name="uq_verified_addresses_value"),
)

# One-time codes linking the channel a shopper writes from to a contact known on
# another channel: sent there, typed back here. Only the code's hash is stored.
link_codes = sa.Table(
    "link_codes",
    metadata,
    sa.Column("id", Id, primary_key=True, autoincrement=True),
    sa.Column("identity_id", Id, sa.ForeignKey("identities.id"), nullable=False, index=True),
    sa.Column("target_contact_id", Id, sa.ForeignKey("contacts.id"), nullable=False),
    sa.Column("target_channel", sa.String(32), nullable=False),
    sa.Column("code_hash", sa.String(64), nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False, default=0),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("expires_at", UTCDateTime, nullable=False),
    sa.Column("used_at", UTCDateTime),
)

# --- audit log (issue #10): append-only, who did what, from where, before and after ----
# Rows are only ever inserted: a trigger on both backends refuses UPDATE and DELETE
# (migration 0007). Values never hold secrets (`relevo.bot.audit` drops them) nor
# shopper text: a contact is named by its id.
audit_log = sa.Table(
    "audit_log",
    metadata,
    sa.Column("id", Id, primary_key=True, autoincrement=True),
    sa.Column("at", UTCDateTime, nullable=False, index=True),
    sa.Column("actor_kind", sa.String(16), nullable=False),  # operator|cli|system|anonymous
    sa.Column("actor_id", Id, nullable=True),
    sa.Column("actor_label", sa.String(200), nullable=False),
    sa.Column("source", sa.String(64), nullable=True),  # client IP, or "cli"
    sa.Column("action", sa.String(64), nullable=False, index=True),
    sa.Column("target_kind", sa.String(32), nullable=True),
    sa.Column("target_id", sa.String(64), nullable=True),
    sa.Column("before", sa.JSON, nullable=True),
    sa.Column("after", sa.JSON, nullable=True),
)

# Saved replies: canned answers operators insert from the console with "/".
saved_replies = sa.Table(
    "saved_replies",
    metadata,
    sa.Column("id", Id, primary_key=True, autoincrement=True),
    sa.Column("language", sa.String(16), nullable=False),
    sa.Column("shortcut", sa.String(64), nullable=False),
    sa.Column("title", sa.String(200), nullable=False),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("created_by", Id, sa.ForeignKey("operators.id")),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    sa.UniqueConstraint("language", "shortcut", name="uq_saved_replies_language_shortcut"),
)

# 👍/👎 under a bot answer: one vote per answer (the last one counts).
message_feedback = sa.Table(
    "message_feedback",
    metadata,
    sa.Column("message_id", Id, sa.ForeignKey("messages.id"), primary_key=True),
    sa.Column("conversation_id", Id, sa.ForeignKey("conversations.id"), nullable=False),
    sa.Column("helpful", sa.Boolean, nullable=False),
    # The article the rated answer came from (the answer's meta `intent`), for counts.
    sa.Column("intent", sa.String(100)),
    sa.Column("at", UTCDateTime, nullable=False),
    sa.Index("ix_message_feedback_intent", "intent"),
)

# Points for a published community answer (#13): one row per article revision, so a
# replayed `ArticlePublished` pays once (the points add up in `operators.points`).
community_credits = sa.Table(
    "community_credits",
    metadata,
    sa.Column("intent", sa.String(100), primary_key=True),
    sa.Column("revision", sa.Integer, primary_key=True),
    sa.Column("operator_id", Id, sa.ForeignKey("operators.id"), nullable=False, index=True),
    sa.Column("points", sa.Integer, nullable=False),
    sa.Column("at", UTCDateTime, nullable=False),
)
