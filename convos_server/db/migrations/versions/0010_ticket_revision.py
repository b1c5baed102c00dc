"""ticket revision: ``tickets.revision`` changes with every write that changes a list item

A ticket's list item (``serialize.ticket_json`` with its last message) is made of the ticket's
row, its label ids, its conversation's last message (the row, its reactions and files with the
files' rows) and the message that one quotes (same conversation: ``messages._check_reply_target``).
``tickets.revision`` is given a new value, never used before, by the database itself in the
transaction of every write to any of those rows, so a reader that kept an item's bytes with
the revision they were read at knows they are still right when the revision is unchanged
(``services.ticket_page``). Triggers on both databases, whatever code path writes:

* ``tickets``: every insert and update (any column);
* ``ticket_labels``: insert, update, delete (the ticket's label ids);
* ``conversations``: an update that changes ``last_message_id`` (every ticket of the
  conversation shows its last message);
* ``messages``: update and delete (the last message's row, or a quoted one: every ticket of the
  message's conversation); a message shows in an item only once ``last_message_id`` names it;
* ``reactions``, ``message_files``: insert, update, delete (every ticket of the message's
  conversation);
* ``files``: update and delete (every ticket of a conversation with a message it is attached to).

On PostgreSQL a conversation's new last message now also locks the conversation's other
tickets (closed ones) until commit: a reopen of one of them racing a customer message that
opens a new ticket in the same conversation can deadlock: PostgreSQL aborts one of them,
which the ingress runs again (``db.retry``) and a ticket transition answers as an error, as
with the lock orders that were already there (a reply locks its ticket, then the
conversation; the ingress the other way round).

Superseded in part by migration 0011: the message-level triggers above (``conversations``,
``messages``, ``reactions``, ``message_files``, ``files``) give ``conversations.revision`` a new
value there instead of writing every ticket of the conversation, and the page reads both
revisions; a message no longer writes or locks a closed ticket's row, so the deadlock above is
gone. ``message_touches`` creates this migration's again for 0011's downgrade.

Revisions come from one counter: PostgreSQL the sequence ``ticket_revisions`` (no lock held
by writers, which run concurrently), SQLite the one-row table ``ticket_revision_counter``
(writers are serialised there anyway). A later migration that rebuilds one of these tables
(batch mode) drops its triggers and must create them again.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

# The conversation a row of each table belongs to, as SQL over ``{row}`` (OLD or NEW).
_CONVERSATION_OF = {
    "messages": "{row}.conversation_id",
    "reactions": "(SELECT conversation_id FROM messages WHERE messages.id = {row}.message_id)",
    "message_files": (
        "(SELECT conversation_id FROM messages WHERE messages.id = {row}.message_id)"
    ),
}
_FILE_CONVERSATIONS = (
    "SELECT messages.conversation_id FROM message_files "
    "JOIN messages ON messages.id = message_files.message_id "
    "WHERE message_files.file_id = {row}.id"
)

# trigger name, table, events (SQLite: one trigger per event), which tickets (over {row})
_LABEL_TOUCH = (
    "ticket_labels_revision",
    "ticket_labels",
    ("INSERT", "UPDATE", "DELETE"),
    "id = {row}.ticket_id",
)
# The message-level touches (every ticket of the conversation): replaced by the conversation's
# own revision in migration 0011, whose downgrade creates these again (``message_touches``).
_MESSAGE_TOUCHES = (
    ("messages_revision", "messages", ("UPDATE", "DELETE"), "conversation_id = {conv}"),
    ("reactions_revision", "reactions", ("INSERT", "UPDATE", "DELETE"), "conversation_id = {conv}"),
    (
        "message_files_revision",
        "message_files",
        ("INSERT", "UPDATE", "DELETE"),
        "conversation_id = {conv}",
    ),
    (
        "files_revision",
        "files",
        ("UPDATE", "DELETE"),
        f"conversation_id IN ({_FILE_CONVERSATIONS})",
    ),
)


def _which(template: str, table: str, row: str) -> str:
    """The WHERE condition of the tickets a row (``OLD`` or ``NEW``) of ``table`` touches."""
    conversation = _CONVERSATION_OF.get(table, "").format(row=row)
    return template.format(row=row, conv=conversation)


def _rows_of(event: str) -> tuple[str, ...]:
    """The row images an event has: an update changes what both name."""
    return {"INSERT": ("NEW",), "DELETE": ("OLD",), "UPDATE": ("OLD", "NEW")}[event]


_SQLITE_BUMP = (
    "UPDATE ticket_revision_counter SET value = value + 1; "
    "UPDATE tickets SET revision = (SELECT value FROM ticket_revision_counter) WHERE {which};"
)


def _sqlite_touches(touches: tuple[tuple[str, str, tuple[str, ...], str], ...]) -> None:
    for name, table, events, template in touches:
        for event in events:
            which = " OR ".join(f"({_which(template, table, row)})" for row in _rows_of(event))
            op.execute(
                f"CREATE TRIGGER {name}_{event.lower()} AFTER {event} ON {table} "
                f"BEGIN {_SQLITE_BUMP.format(which=which)} END"
            )


def _sqlite_message_touches() -> None:
    op.execute(
        "CREATE TRIGGER conversations_revision_update AFTER UPDATE OF last_message_id "
        "ON conversations WHEN NEW.last_message_id IS NOT OLD.last_message_id "
        f"BEGIN {_SQLITE_BUMP.format(which='conversation_id = NEW.id')} END"
    )
    _sqlite_touches(_MESSAGE_TOUCHES)


def _sqlite_upgrade() -> None:
    op.execute(
        "CREATE TABLE ticket_revision_counter "
        "(id INTEGER PRIMARY KEY CHECK (id = 1), value INTEGER NOT NULL)"
    )
    op.execute("INSERT INTO ticket_revision_counter (id, value) VALUES (1, 0)")
    own = _SQLITE_BUMP.format(which="id = NEW.id")
    op.execute(f"CREATE TRIGGER tickets_revision_insert AFTER INSERT ON tickets BEGIN {own} END")
    # the bump's own UPDATE changes the revision: the condition stops it firing again
    op.execute(
        "CREATE TRIGGER tickets_revision_update AFTER UPDATE ON tickets "
        f"WHEN NEW.revision IS OLD.revision BEGIN {own} END"
    )
    _sqlite_message_touches()
    _sqlite_touches((_LABEL_TOUCH,))


def _pg_touch_function(name: str, table: str, template: str) -> str:
    old = f"UPDATE tickets SET revision = revision WHERE {_which(template, table, 'OLD')};"
    new = f"UPDATE tickets SET revision = revision WHERE {_which(template, table, 'NEW')};"
    return (
        f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        f"IF TG_OP <> 'INSERT' THEN {old} END IF; "
        f"IF TG_OP <> 'DELETE' THEN {new} END IF; "
        "RETURN NULL; END $$"
    )


def _pg_touches(touches: tuple[tuple[str, str, tuple[str, ...], str], ...]) -> None:
    for name, table, events, template in touches:
        op.execute(_pg_touch_function(name, table, template))
        op.execute(
            f"CREATE TRIGGER {name} AFTER {' OR '.join(events)} ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION {name}()"
        )


def _pg_message_touches() -> None:
    op.execute(
        "CREATE FUNCTION conversations_revision() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        "UPDATE tickets SET revision = revision WHERE conversation_id = NEW.id; "
        "RETURN NULL; END $$"
    )
    op.execute(
        "CREATE TRIGGER conversations_revision AFTER UPDATE OF last_message_id ON conversations "
        "FOR EACH ROW WHEN (OLD.last_message_id IS DISTINCT FROM NEW.last_message_id) "
        "EXECUTE FUNCTION conversations_revision()"
    )
    _pg_touches(_MESSAGE_TOUCHES)


def _pg_upgrade() -> None:
    op.execute("CREATE SEQUENCE ticket_revisions")
    # every write of a ticket's row, the touches below included, takes the next value
    op.execute(
        "CREATE FUNCTION tickets_revision() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        "NEW.revision := nextval('ticket_revisions'); RETURN NEW; END $$"
    )
    op.execute(
        "CREATE TRIGGER tickets_revision BEFORE INSERT OR UPDATE ON tickets "
        "FOR EACH ROW EXECUTE FUNCTION tickets_revision()"
    )
    _pg_message_touches()
    _pg_touches((_LABEL_TOUCH,))


def message_touches() -> None:
    """Create the message-level triggers of this migration (the conversation's last message,
    messages, reactions, message files, files: every ticket of the conversation); for 0011's
    downgrade."""
    if op.get_bind().dialect.name == "sqlite":
        _sqlite_message_touches()
    else:
        _pg_message_touches()


# The message-level triggers' names and tables (``message_touches``).
MESSAGE_TRIGGERS = (
    ("conversations_revision", "conversations"),
    *((name, table) for name, table, _events, _template in _MESSAGE_TOUCHES),
)


def upgrade() -> None:
    """Add ``tickets.revision``, its counter and the triggers that keep it."""
    op.add_column(
        "tickets", sa.Column("revision", sa.BigInteger(), server_default="0", nullable=False)
    )
    if op.get_bind().dialect.name == "sqlite":
        _sqlite_upgrade()
    else:
        _pg_upgrade()


_ALL_TRIGGERS = (
    ("tickets_revision", "tickets"),
    *MESSAGE_TRIGGERS,
    ("ticket_labels_revision", "ticket_labels"),
)


def downgrade() -> None:
    """Drop the triggers, the counter and the column."""
    if op.get_bind().dialect.name == "sqlite":
        for name, _table in _ALL_TRIGGERS:
            for event in ("insert", "update", "delete"):
                op.execute(f"DROP TRIGGER IF EXISTS {name}_{event}")
        op.execute("DROP TABLE ticket_revision_counter")
    else:
        for name, table in _ALL_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
            op.execute(f"DROP FUNCTION IF EXISTS {name}()")
        op.execute("DROP SEQUENCE ticket_revisions")
    with op.batch_alter_table("tickets") as batch:
        batch.drop_column("revision")
