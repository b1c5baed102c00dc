"""text index: trigram indexes for the q= text filters (SQLite FTS5, PostgreSQL pg_trgm)

SQLite (3.34 or newer: the ``trigram`` tokenizer): FTS5 tables ``messages_text`` (body) and
``contacts_text`` (name, phone, email) with external content, kept by triggers on insert,
delete and update of the indexed columns, filled from the existing rows here. A later
migration that rebuilds ``messages`` or ``contacts`` (batch mode) drops the triggers and
must create them again.

PostgreSQL: the ``pg_trgm`` extension (trusted since PostgreSQL 13: the database owner may
create it) and GIN ``gin_trgm_ops`` indexes on the same columns; ``ILIKE '%q%'`` uses them
as it is. The downgrade leaves the extension installed (other objects may use it).

Both: an index on ``conversations.last_message_at``, so the Conversazioni history's default
order (newest activity first) reads the first page off it instead of sorting them all.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlite3

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

TRIGRAM_SINCE = (3, 34, 0)

# table, FTS table, indexed columns
INDEXED = (
    ("messages", "messages_text", ("body",)),
    ("contacts", "contacts_text", ("name", "phone", "email")),
)
TRGM = (
    ("ix_messages_body_trgm", "messages", "body"),
    ("ix_contacts_name_trgm", "contacts", "name"),
    ("ix_contacts_phone_trgm", "contacts", "phone"),
    ("ix_contacts_email_trgm", "contacts", "email"),
)


def _sqlite_upgrade() -> None:
    if sqlite3.sqlite_version_info < TRIGRAM_SINCE:
        raise RuntimeError(
            f"SQLite {sqlite3.sqlite_version} has no FTS5 trigram tokenizer: "
            "the server needs SQLite 3.34 or newer"
        )
    for source, fts, columns in INDEXED:
        names = ", ".join(columns)
        new = ", ".join(f"new.{c}" for c in columns)
        old = ", ".join(f"old.{c}" for c in columns)
        add = f"INSERT INTO {fts}(rowid, {names}) VALUES (new.id, {new});"
        remove = f"INSERT INTO {fts}({fts}, rowid, {names}) VALUES ('delete', old.id, {old});"
        op.execute(
            f"CREATE VIRTUAL TABLE {fts} USING fts5({names}, content='{source}', "
            "content_rowid='id', tokenize='trigram')"
        )
        op.execute(f"CREATE TRIGGER {fts}_insert AFTER INSERT ON {source} BEGIN {add} END")
        op.execute(f"CREATE TRIGGER {fts}_delete AFTER DELETE ON {source} BEGIN {remove} END")
        op.execute(
            f"CREATE TRIGGER {fts}_update AFTER UPDATE OF {names} ON {source} "
            f"BEGIN {remove} {add} END"
        )
        op.execute(f"INSERT INTO {fts}({fts}) VALUES ('rebuild')")


def upgrade() -> None:
    op.create_index("ix_conversations_last", "conversations", ["last_message_at"], unique=False)
    if op.get_bind().dialect.name == "sqlite":
        _sqlite_upgrade()
        return
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, source, column in TRGM:
        op.execute(f"CREATE INDEX {name} ON {source} USING gin ({column} gin_trgm_ops)")


def downgrade() -> None:
    op.drop_index("ix_conversations_last", table_name="conversations")
    if op.get_bind().dialect.name == "sqlite":
        for _source, fts, _columns in INDEXED:
            for event in ("insert", "delete", "update"):
                op.execute(f"DROP TRIGGER IF EXISTS {fts}_{event}")
            op.execute(f"DROP TABLE IF EXISTS {fts}")
        return
    for name, _source, _column in TRGM:
        op.execute(f"DROP INDEX IF EXISTS {name}")
