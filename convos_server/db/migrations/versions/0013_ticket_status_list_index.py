"""ticket status list index: a status's tickets in the ticket page's order off an index

``GET /tickets?status=closed`` (or ``open``, and the Snoozed view, which is ``open``) lists
newest activity first, as every first page does. For an admin (every inbox) no index served
that order within a status: SQLite planned it on ``ix_tickets_status_closed`` (``status = ?``)
and sorted every closed ticket in a temporary B-tree, 476 ms for a first page of 100,000
tickets (``benchmarks/RESULTS.md``, issue 14, sixteenth round); an agent of several inboxes got
the same sort on ``ix_tickets_status_inbox``. ``ix_tickets_status_last`` walks one status's
tickets newest first and stops after a page.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07
"""

from __future__ import annotations

from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the index."""
    op.create_index("ix_tickets_status_last", "tickets", ["status", "last_message_at", "id"])


def downgrade() -> None:
    """Drop it."""
    op.drop_index("ix_tickets_status_last", table_name="tickets")
