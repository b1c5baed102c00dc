"""tickets: snooze state; workspace labels and the labels of each ticket

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN: a batch copy on SQLite would drop tickets, which messages reference.
    op.add_column(
        "tickets", sa.Column("snoozed", sa.Boolean(), nullable=False, server_default=sa.false())
    )
    op.add_column("tickets", sa.Column("snoozed_until", sa.DateTime(timezone=True), nullable=True))
    op.add_column("tickets", sa.Column("snoozed_by", sa.Integer(), nullable=True))
    op.create_index("ix_tickets_snoozed_until", "tickets", ["snoozed_until"])
    op.create_table(
        "labels",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("color", sa.String(length=7), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_labels")),
        sa.UniqueConstraint("name", name=op.f("uq_labels_name")),
    )
    op.create_table(
        "ticket_labels",
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("label_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["tickets.id"],
            name=op.f("fk_ticket_labels_ticket_id_tickets"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["label_id"],
            ["labels.id"],
            name=op.f("fk_ticket_labels_label_id_labels"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("ticket_id", "label_id", name=op.f("pk_ticket_labels")),
    )
    op.create_index("ix_ticket_labels_label_id", "ticket_labels", ["label_id"])


def downgrade() -> None:
    op.drop_index("ix_ticket_labels_label_id", table_name="ticket_labels")
    op.drop_table("ticket_labels")
    op.drop_table("labels")
    op.drop_index("ix_tickets_snoozed_until", table_name="tickets")
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.drop_column("snoozed_by")
        batch_op.drop_column("snoozed_until")
        batch_op.drop_column("snoozed")
