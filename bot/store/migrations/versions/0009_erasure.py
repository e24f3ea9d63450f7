"""erasure: when a contact or a conversation was erased (GDPR)

`contacts.erased_at` marks a contact whose personal data was removed (`relevo contacts
erase`); `conversations.erased_at` a conversation whose messages were blanked (by that
erasure or by retention), so retention never picks it again. An index on
(channel, updated_at) serves retention's hourly look-up of old conversations.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from relevo.bot.store.schema import UTCDateTime

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("contacts") as batch:
        batch.add_column(sa.Column("erased_at", UTCDateTime(timezone=True), nullable=True))
    with op.batch_alter_table("conversations") as batch:
        batch.add_column(sa.Column("erased_at", UTCDateTime(timezone=True), nullable=True))
    op.create_index("ix_conversations_channel_updated", "conversations",
                    ["channel", "updated_at"])


def downgrade() -> None:
    op.drop_index("ix_conversations_channel_updated", table_name="conversations")
    with op.batch_alter_table("conversations") as batch:
        batch.drop_column("erased_at")
    with op.batch_alter_table("contacts") as batch:
        batch.drop_column("erased_at")
