"""report_days: the per-day rollup behind GET /reports

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-05

One row per UTC day, inbox and assignee with the tickets opened and closed and their sorted
first-response and resolution durations (``services.report_rollup``), filled here from the
tickets already stored; indexes on (status, opened_at) and (status, closed_at) for the ticket
history's default orders.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from convos_server.services.report_rollup import Snapshot, rollup_rows

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

BATCH = 1_000

tickets = sa.table(
    "tickets",
    sa.column("inbox_id", sa.Integer()),
    sa.column("assignee_id", sa.Integer()),
    sa.column("opened_at", sa.DateTime(timezone=True)),
    sa.column("first_response_at", sa.DateTime(timezone=True)),
    sa.column("closed_at", sa.DateTime(timezone=True)),
)


def upgrade() -> None:
    report_days = op.create_table(
        "report_days",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("inbox_id", sa.Integer(), nullable=False),
        sa.Column("agent_id", sa.Integer(), nullable=False),
        sa.Column("opened", sa.Integer(), nullable=False),
        sa.Column("closed", sa.Integer(), nullable=False),
        sa.Column("first_responses", sa.LargeBinary(), nullable=False),
        sa.Column("resolutions", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("day", "inbox_id", "agent_id", name=op.f("pk_report_days")),
    )
    op.create_index("ix_tickets_status_opened", "tickets", ["status", "opened_at"])
    op.create_index("ix_tickets_status_closed", "tickets", ["status", "closed_at"])
    found = op.get_bind().execute(
        sa.select(
            tickets.c.inbox_id,
            tickets.c.assignee_id,
            tickets.c.opened_at,
            tickets.c.first_response_at,
            tickets.c.closed_at,
        )
    )
    rows = rollup_rows(Snapshot(*row) for row in found)
    for start in range(0, len(rows), BATCH):
        op.bulk_insert(report_days, rows[start : start + BATCH])


def downgrade() -> None:
    op.drop_table("report_days")
    op.drop_index("ix_tickets_status_closed", table_name="tickets")
    op.drop_index("ix_tickets_status_opened", table_name="tickets")
