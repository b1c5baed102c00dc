"""text index behind: SQLite indexes new message bodies in batches, not one per commit

0008's trigger wrote every new message's trigrams into ``messages_text`` (FTS5) in the
message's own transaction: one new index segment per commit, plus its merges, ~80-110 us of a
customer message's ~300 us of SQLite work (``benchmarks/RESULTS.md``, issue 14). Here the index
may be a little behind: ``messages_text_upto`` (one row) holds the id up to which the messages
are indexed; a message with a larger id is not, until the message that is ``BATCH`` ids past
it indexes all of them in one statement (one segment for the lot, in that message's
transaction). Always consistent, whatever code path writes, a crash included: the mark and the
index change in the transactions of the messages themselves.

* insert: a message with an id at or below the mark (an id reused after the newest message was
  deleted, or given explicitly) is indexed at once, as 0008 did;
* insert ``BATCH`` past the mark: every message past the mark is indexed, the mark moves to the
  newest id;
* update of the body, delete: only for a message at or below the mark (indexed); one past it
  is indexed later as it is then, or not at all.

A search (``services.search``) reads the index for the messages up to the mark and tests the
few past it (by their ids, the primary key) with the same ``LIKE``; the server catches the
index up at start (``text_index.catch_up``). PostgreSQL (``pg_trgm`` GIN indexes, kept by
the database) is unchanged. A later migration that rebuilds ``messages`` (batch mode) drops
these triggers and must create them again.

Downgrade indexes what is behind and creates 0008's triggers again.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07
"""

from __future__ import annotations

from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

# messages past the mark that one insert indexes together
BATCH = 32
MARK = "(SELECT upto FROM messages_text_upto)"
ADD = "INSERT INTO messages_text(rowid, body) VALUES (new.id, new.body);"
REMOVE = (
    "INSERT INTO messages_text(messages_text, rowid, body) VALUES ('delete', old.id, old.body);"
)
CATCH_UP = (
    f"INSERT INTO messages_text(rowid, body) SELECT id, body FROM messages WHERE id > {MARK}; "
    "UPDATE messages_text_upto SET upto = (SELECT coalesce(max(id), 0) FROM messages);"
)
TRIGGERS = (
    ("messages_text_insert", f"AFTER INSERT ON messages WHEN new.id <= {MARK} BEGIN {ADD} END"),
    (
        "messages_text_catch_up",
        f"AFTER INSERT ON messages WHEN new.id >= {MARK} + {BATCH} BEGIN {CATCH_UP} END",
    ),
    ("messages_text_delete", f"AFTER DELETE ON messages WHEN old.id <= {MARK} BEGIN {REMOVE} END"),
    (
        "messages_text_update",
        f"AFTER UPDATE OF body ON messages WHEN old.id <= {MARK} BEGIN {REMOVE} {ADD} END",
    ),
)
# 0008's triggers, for the downgrade
EVERY_COMMIT = (
    ("messages_text_insert", f"AFTER INSERT ON messages BEGIN {ADD} END"),
    ("messages_text_delete", f"AFTER DELETE ON messages BEGIN {REMOVE} END"),
    ("messages_text_update", f"AFTER UPDATE OF body ON messages BEGIN {REMOVE} {ADD} END"),
)


def _replace_triggers(old: tuple[tuple[str, str], ...], new: tuple[tuple[str, str], ...]) -> None:
    for name, _body in old:
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
    for name, body in new:
        op.execute(f"CREATE TRIGGER {name} {body}")


def upgrade() -> None:
    """Every message so far is indexed (0008's trigger): the mark starts at the newest."""
    if op.get_bind().dialect.name != "sqlite":
        return
    op.execute("CREATE TABLE messages_text_upto (upto INTEGER NOT NULL)")
    op.execute("INSERT INTO messages_text_upto (upto) SELECT coalesce(max(id), 0) FROM messages")
    _replace_triggers(EVERY_COMMIT, TRIGGERS)


def downgrade() -> None:
    """Index what is behind, then keep the index on every commit again."""
    if op.get_bind().dialect.name != "sqlite":
        return
    op.execute(
        f"INSERT INTO messages_text(rowid, body) SELECT id, body FROM messages WHERE id > {MARK}"
    )
    _replace_triggers(TRIGGERS, EVERY_COMMIT)
    op.execute("DROP TABLE messages_text_upto")
