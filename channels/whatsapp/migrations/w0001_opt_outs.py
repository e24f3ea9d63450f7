"""whatsapp: the channel's own table of opt-outs (STOP/START)

The first revision of the WhatsApp channel's Alembic branch (label `whatsapp`).

Revision ID: whatsapp_0001
Revises: (none: the branch's base)
Depends on: 0003
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from relevo.bot.store.schema import UTCDateTime

revision = "whatsapp_0001"
down_revision = None
branch_labels = ("whatsapp",)
# Core revision 0003 created this table before the channel owned it: running after it
# lets the check below see the table on any database that has it.
depends_on = "0003"

When = UTCDateTime(timezone=True)


def upgrade() -> None:
    # Databases made before the channel had its own branch already hold the table
    # (core revision 0003 created it, and history does not change), so it is created
    # only where it does not exist yet.
    if sa.inspect(op.get_bind()).has_table("channel_opt_outs"):
        return
    op.create_table(
        "channel_opt_outs",
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("external_user_id", sa.String(length=200), nullable=False),
        sa.Column("keyword", sa.String(length=32), nullable=False),
        sa.Column("opted_out_at", When, nullable=False),
        sa.PrimaryKeyConstraint("channel", "external_user_id", name=op.f("pk_channel_opt_outs")),
    )


def downgrade() -> None:
    # The table stays: core revision 0003 (which made it on older databases) owns its
    # removal, and dropping it here would break that downgrade.
    pass
