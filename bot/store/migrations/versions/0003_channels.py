"""channels: WhatsApp opt-outs, verified phone numbers/e-mails, cross-channel link codes

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from relevo.bot.store.schema import UTCDateTime

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
When = UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "channel_opt_outs",
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("external_user_id", sa.String(length=200), nullable=False),
        sa.Column("keyword", sa.String(length=32), nullable=False),
        sa.Column("opted_out_at", When, nullable=False),
        sa.PrimaryKeyConstraint("channel", "external_user_id", name=op.f("pk_channel_opt_outs")),
    )
    op.create_table(
        "verified_addresses",
        sa.Column("id", Id, autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("value", sa.String(length=320), nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("contact_id", Id, nullable=False),
        sa.Column("verified_at", When, nullable=False),
        sa.ForeignKeyConstraint(
            ["contact_id"], ["contacts.id"],
            name=op.f("fk_verified_addresses_contact_id_contacts"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_verified_addresses")),
        sa.UniqueConstraint("kind", "value", "source", name="uq_verified_addresses_value"),
    )
    op.create_index(
        op.f("ix_verified_addresses_contact_id"), "verified_addresses", ["contact_id"]
    )
    op.create_table(
        "link_codes",
        sa.Column("id", Id, autoincrement=True, nullable=False),
        sa.Column("identity_id", Id, nullable=False),
        sa.Column("target_contact_id", Id, nullable=False),
        sa.Column("target_channel", sa.String(length=32), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", When, nullable=False),
        sa.Column("expires_at", When, nullable=False),
        sa.Column("used_at", When, nullable=True),
        sa.ForeignKeyConstraint(
            ["identity_id"], ["identities.id"], name=op.f("fk_link_codes_identity_id_identities")
        ),
        sa.ForeignKeyConstraint(
            ["target_contact_id"], ["contacts.id"],
            name=op.f("fk_link_codes_target_contact_id_contacts"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_link_codes")),
    )
    op.create_index(op.f("ix_link_codes_identity_id"), "link_codes", ["identity_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_link_codes_identity_id"), table_name="link_codes")
    op.drop_table("link_codes")
    op.drop_index(op.f("ix_verified_addresses_contact_id"), table_name="verified_addresses")
    op.drop_table("verified_addresses")
    op.drop_table("channel_opt_outs")
