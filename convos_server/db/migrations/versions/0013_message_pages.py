"""message pages: three pages fewer written by every message's commit

Every customer message and reply inserts a message and its ``message.created`` event; on
SQLite its ``COMMIT`` wrote 15 WAL pages (``benchmarks/RESULTS.md``, issue 14, sq14m). Three
of them served no query a message's cost should pay for:

* ``ix_events_created_at``: only the retention's prune read it. The prune now deletes the
  events *before* the first one kept (by id, the primary key: ``EventBus.prune``), which reads
  just the rows it deletes; the index cost a page (SQLite) or an index insert (PostgreSQL) with
  every event.
* ``ix_messages_ticket_id``: no query reads messages by ticket (they are read by conversation,
  ``ix_messages_conversation_id``, or by id), and tickets are never deleted, so not even the
  foreign key's check reads it.
* SQLite: the events' ``AUTOINCREMENT``, i.e. an update of the ``sqlite_sequence`` row (its
  own page) with every event. Without it SQLite gives an id one past the largest id in the
  table. Ids stay monotonic and are never reused because the largest id is never deleted: the
  prune always keeps the newest event, and an id past every used one that no row holds (the
  sequence of a table whose newest rows were deleted, or moved by ``after-restore``) is held
  by a row of the internal type ``events.skipped`` that no client is sent
  (``services.events.INTERNAL_TYPES``; ``db.restore`` writes it after a restore).

Downgrade creates the two indexes again and, on SQLite, the ``AUTOINCREMENT`` with its
sequence at the largest id.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-08
"""

from __future__ import annotations

from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

# An internal event that holds an id no other row holds (never sent to a client).
SKIPPED = "events.skipped"

_COLUMNS = "id, type, data, inbox_id, agent_id, created_at"
_TABLE = (
    "CREATE TABLE {name} (id INTEGER NOT NULL{autoincrement}, type VARCHAR(32) NOT NULL, "
    "data TEXT NOT NULL, inbox_id INTEGER, agent_id INTEGER, created_at DATETIME NOT NULL{pk})"
)


def _rebuild_events(autoincrement: bool) -> None:
    """SQLite: the events table again, with or without ``AUTOINCREMENT`` (a table's own
    property: only a new table changes it), the rows and the ids as they were."""
    if autoincrement:
        table = _TABLE.format(name="events_new", autoincrement=" PRIMARY KEY AUTOINCREMENT", pk="")
    else:
        table = _TABLE.format(
            name="events_new", autoincrement="", pk=", CONSTRAINT pk_events PRIMARY KEY (id)"
        )
    op.execute(table)
    op.execute(f"INSERT INTO events_new ({_COLUMNS}) SELECT {_COLUMNS} FROM events")
    if not autoincrement:
        # The sequence may be past the largest id (its newest rows deleted): a row holds it.
        op.execute(
            f"INSERT INTO events_new ({_COLUMNS}) SELECT seq, '{SKIPPED}', '{{}}', NULL, NULL,"
            " strftime('%Y-%m-%d %H:%M:%f000', 'now') FROM sqlite_sequence WHERE name = 'events'"
            " AND seq > (SELECT coalesce(max(id), 0) FROM events)"
        )
    else:
        # The copy moved the sequence to the largest id: the rows that held ids can go.
        op.execute(f"DELETE FROM events_new WHERE type = '{SKIPPED}'")
    op.execute("DROP TABLE events")
    op.execute("ALTER TABLE events_new RENAME TO events")
    if not autoincrement:
        op.execute("DELETE FROM sqlite_sequence WHERE name = 'events'")


def upgrade() -> None:
    """Drop the two indexes; SQLite: the events without ``AUTOINCREMENT``."""
    op.drop_index("ix_messages_ticket_id", table_name="messages")
    op.drop_index("ix_events_created_at", table_name="events")
    if op.get_bind().dialect.name == "sqlite":
        _rebuild_events(autoincrement=False)


def downgrade() -> None:
    """The two indexes again; SQLite: the events with ``AUTOINCREMENT`` again."""
    if op.get_bind().dialect.name == "sqlite":
        _rebuild_events(autoincrement=True)
    op.create_index("ix_events_created_at", "events", ["created_at"], unique=False)
    op.create_index("ix_messages_ticket_id", "messages", ["ticket_id"], unique=False)
