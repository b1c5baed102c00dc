"""ticket list index: the ticket page's order (``last_message_at``, ``id``) off an index

``GET /tickets`` lists newest activity first; without an index on that order every ticket was
read and sorted for a page of 50. ``ix_tickets_last`` serves the All view, and
``ix_tickets_assignee_last`` the Mine (``assignee_id = me``) and Unassigned (``IS NULL``) views.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-05
"""

from __future__ import annotations

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the two list-order indexes."""
    op.create_index("ix_tickets_last", "tickets", ["last_message_at", "id"])
    op.create_index("ix_tickets_assignee_last", "tickets", ["assignee_id", "last_message_at", "id"])


def downgrade() -> None:
    """Drop them."""
    op.drop_index("ix_tickets_assignee_last", table_name="tickets")
    op.drop_index("ix_tickets_last", table_name="tickets")
