"""conversation revision: a message writes its conversation's row, not every ticket's

Migration 0010 kept one revision per ticket list item in ``tickets.revision``, and the parts
of an item that belong to its conversation (the last message, its reactions and files, the
message it quotes) bumped it on every ticket of the conversation: a customer message updated
each closed ticket of a long history, took their row locks (a reopen of one of them racing an
ingress that opens a ticket in the same conversation deadlocked on PostgreSQL), and on
PostgreSQL cost the ingress ~9 % (``benchmarks/RESULTS.md``, issue 14, tenth round).

Here an item's revision is a pair: ``tickets.revision`` for the ticket's own parts (its row
and label ids: 0010's triggers on ``tickets`` and ``ticket_labels``, unchanged) and
``conversations.revision`` for its conversation's parts, which the ticket page joins into its
heads (``services.ticket_page``). Triggers on both databases, whatever code path writes:

* ``conversations``: every insert and update (any column, ``last_message_id`` among them)
  gives the row a new value;
* ``messages``: update and delete (the last message's row, or a quoted one: the message's
  conversation; a quote stays in its conversation, ``messages._check_reply_target``);
* ``reactions``, ``message_files``: insert, update, delete (the message's conversation);
* ``files``: update and delete (each conversation with a message the file is attached to).

A message write now updates one conversation row (the one an ingress or a reply locks and
updates anyway), never a ticket's: no closed ticket's row is written or locked by a new
message. The values come from 0010's counter (PostgreSQL the sequence ``ticket_revisions``,
SQLite the one-row table ``ticket_revision_counter``), so a value is never used twice by
either column. A later migration that rebuilds one of these tables (batch mode) drops its
triggers and must create them again.

Downgrade drops these triggers and the column and creates 0010's message-level triggers
again (with 0010's own code).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

# The conversation a row of each table belongs to, as SQL over ``{row}`` (OLD or NEW).
_MESSAGE_CONVERSATION = (
    "(SELECT conversation_id FROM messages WHERE messages.id = {row}.message_id)"
)
_FILE_CONVERSATIONS = (
    "SELECT messages.conversation_id FROM message_files "
    "JOIN messages ON messages.id = message_files.message_id "
    "WHERE message_files.file_id = {row}.id"
)

# trigger name, table, events (SQLite: one trigger per event), which conversations (over {row})
_TOUCHES = (
    ("messages_revision", "messages", ("UPDATE", "DELETE"), "id = {row}.conversation_id"),
    (
        "reactions_revision",
        "reactions",
        ("INSERT", "UPDATE", "DELETE"),
        f"id = {_MESSAGE_CONVERSATION}",
    ),
    (
        "message_files_revision",
        "message_files",
        ("INSERT", "UPDATE", "DELETE"),
        f"id = {_MESSAGE_CONVERSATION}",
    ),
    ("files_revision", "files", ("UPDATE", "DELETE"), f"id IN ({_FILE_CONVERSATIONS})"),
)
TRIGGERS = (
    ("conversations_revision", "conversations"),
    *((name, table) for name, table, _events, _template in _TOUCHES),
)


def _rows_of(event: str) -> tuple[str, ...]:
    """The row images an event has: an update changes what both name."""
    return {"INSERT": ("NEW",), "DELETE": ("OLD",), "UPDATE": ("OLD", "NEW")}[event]


_SQLITE_BUMP = (
    "UPDATE ticket_revision_counter SET value = value + 1; "
    "UPDATE conversations SET revision = (SELECT value FROM ticket_revision_counter) "
    "WHERE {which};"
)


def _sqlite_upgrade() -> None:
    own = _SQLITE_BUMP.format(which="id = NEW.id")
    op.execute(
        f"CREATE TRIGGER conversations_revision_insert AFTER INSERT ON conversations "
        f"BEGIN {own} END"
    )
    # the bump's own UPDATE changes the revision: the condition stops it firing again
    op.execute(
        "CREATE TRIGGER conversations_revision_update AFTER UPDATE ON conversations "
        f"WHEN NEW.revision IS OLD.revision BEGIN {own} END"
    )
    for name, table, events, template in _TOUCHES:
        for event in events:
            which = " OR ".join(f"({template.format(row=row)})" for row in _rows_of(event))
            op.execute(
                f"CREATE TRIGGER {name}_{event.lower()} AFTER {event} ON {table} "
                f"BEGIN {_SQLITE_BUMP.format(which=which)} END"
            )


def _pg_touch_function(name: str, template: str) -> str:
    old = f"UPDATE conversations SET revision = revision WHERE {template.format(row='OLD')};"
    new = f"UPDATE conversations SET revision = revision WHERE {template.format(row='NEW')};"
    return (
        f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        f"IF TG_OP <> 'INSERT' THEN {old} END IF; "
        f"IF TG_OP <> 'DELETE' THEN {new} END IF; "
        "RETURN NULL; END $$"
    )


def _pg_upgrade() -> None:
    # every write of a conversation's row, the touches below included, takes the next value
    op.execute(
        "CREATE FUNCTION conversations_revision() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        "NEW.revision := nextval('ticket_revisions'); RETURN NEW; END $$"
    )
    op.execute(
        "CREATE TRIGGER conversations_revision BEFORE INSERT OR UPDATE ON conversations "
        "FOR EACH ROW EXECUTE FUNCTION conversations_revision()"
    )
    for name, table, events, template in _TOUCHES:
        op.execute(_pg_touch_function(name, template))
        op.execute(
            f"CREATE TRIGGER {name} AFTER {' OR '.join(events)} ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION {name}()"
        )


def _migration_0010() -> ModuleType:
    """Migration 0010's module, loaded from its file beside this one (its name is no
    importable module name)."""
    path = Path(__file__).with_name("0010_ticket_revision.py")
    spec = importlib.util.spec_from_file_location("_convos_migration_0010", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _drop_triggers(triggers: tuple[tuple[str, str], ...]) -> None:
    """Drop ``triggers`` (name, table) and, on PostgreSQL, their functions."""
    sqlite = op.get_bind().dialect.name == "sqlite"
    for name, table in triggers:
        if sqlite:
            for event in ("insert", "update", "delete"):
                op.execute(f"DROP TRIGGER IF EXISTS {name}_{event}")
        else:
            op.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
            op.execute(f"DROP FUNCTION IF EXISTS {name}()")


def upgrade() -> None:
    """Replace 0010's message-level triggers with ``conversations.revision`` and its own."""
    _drop_triggers(_migration_0010().MESSAGE_TRIGGERS)
    op.add_column(
        "conversations",
        sa.Column("revision", sa.BigInteger(), server_default="0", nullable=False),
    )
    if op.get_bind().dialect.name == "sqlite":
        _sqlite_upgrade()
    else:
        _pg_upgrade()


def downgrade() -> None:
    """Drop the triggers and the column; create 0010's message-level triggers again."""
    _drop_triggers(TRIGGERS)
    # SQLite drops the column in place: a batch copy of ``conversations`` would drop the table
    # its messages and tickets refer to (a foreign key error with rows)
    op.execute("ALTER TABLE conversations DROP COLUMN revision")
    _migration_0010().message_touches()
