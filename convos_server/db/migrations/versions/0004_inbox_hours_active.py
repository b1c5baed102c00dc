"""inboxes: business hours text and an active flag

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN (with a default) on both databases: a batch "move and copy" on SQLite
    # would drop the inboxes table, which conversations and tickets reference.
    op.add_column(
        "inboxes", sa.Column("business_hours", sa.Text(), nullable=False, server_default="")
    )
    op.add_column(
        "inboxes", sa.Column("active", sa.Boolean(), nullable=False, server_default=sa.true())
    )


def downgrade() -> None:
    with op.batch_alter_table("inboxes", schema=None) as batch_op:
        batch_op.drop_column("active")
        batch_op.drop_column("business_hours")
