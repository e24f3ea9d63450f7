"""operator roles: admin, manager, editor, reviewer, operator

Every operator gets a role (what they may do besides handling their conversations).
In-house (`internal`) operators could manage operators before roles existed, so they
become admins; everyone else becomes a plain operator.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("operators") as batch:
        batch.add_column(
            sa.Column("role", sa.String(16), nullable=False, server_default="operator")
        )
    op.execute("UPDATE operators SET role = 'admin' WHERE kind = 'internal'")


def downgrade() -> None:
    with op.batch_alter_table("operators") as batch:
        batch.drop_column("role")
