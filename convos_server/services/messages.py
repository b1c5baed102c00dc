"""Messages: appending to a conversation, agent sends (idempotent), system lines, reactions."""

from __future__ import annotations

import datetime as dt
import logging
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from typing import cast

import asyncpg  # type: ignore[import-untyped]
from sqlalchemy import Connection, Table, bindparam, delete, func, insert, select, update
from sqlalchemy.exc import NoResultFound
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

from convos_server.db import driver_sql
from convos_server.db import models as m
from convos_server.db.lean import LeanSession, needs_session
from convos_server.errors import ApiError, forbidden, invalid, not_found
from convos_server.serialize import (
    Json,
    NewMessage,
    load_message,
    load_new_message,
    message_json,
)
from convos_server.services.events import (
    ADVISORY_LOCK_KEY,
    NOTIFY_CHANNEL,
    EventBus,
    StoredEvent,
    encoded,
    keep_inserted,
    nothing_pending,
)
from convos_server.services.files import NOT_ATTACHABLE, require_attachable
from convos_server.services.mentions import create_for_note, may_mention
from convos_server.services.presence import WORKING_STATUSES, require_working
from convos_server.services.report_rollup import Snapshot, update_rollup
from convos_server.services.system_kinds import SystemText
from convos_server.services.ticket_events import publish_ticket
from convos_server.services.visibility import Visibility, require_inbox

log = logging.getLogger("convos.messages")

MAX_BODY_CHARS = 10_000
MAX_FILES = 10
# Messages that are the conversation itself: they become its last message and move its clock
# (notes and system lines do not).
CONVERSATION_DIRECTIONS = frozenset({"in", "out"})
MESSAGE_CREATED = "message.created"


@dataclass(frozen=True, slots=True)
class Author:
    """Who writes a message: ``sender_type`` agent/contact/bot/system, with id and name."""

    sender_type: str
    sender_id: int | None
    sender_name: str


SYSTEM = Author("system", None, "System")


def agent_author(agent: m.Agent) -> Author:
    """An agent as message author."""
    return Author("agent", agent.id, agent.name)


async def check_files(session: AsyncSession, file_ids: Sequence[int]) -> None:
    """422 ``invalid`` (field ``file_ids``) unless every file exists, once, within the limit."""
    if len(file_ids) > MAX_FILES:
        raise invalid(f"At most {MAX_FILES} files per message", "file_ids")
    if len(set(file_ids)) != len(file_ids):
        raise invalid("A file is attached twice", "file_ids")
    if file_ids:
        found = await session.scalar(
            select(func.count()).select_from(m.File).where(m.File.id.in_(file_ids))
        )
        if found != len(file_ids):
            raise invalid(NOT_ATTACHABLE, "file_ids")


async def _check_reply_target(
    session: AsyncSession, conversation_id: int, reply_to: int | None
) -> None:
    if reply_to is None:
        return
    target = await session.get(m.Message, reply_to)
    if target is None or target.conversation_id != conversation_id:
        raise invalid("The quoted message is not in this conversation", "reply_to")


_tickets = m.Ticket.__table__.c
_TOUCH_TICKET = (
    update(cast(Table, m.Ticket.__table__))
    .where(_tickets.id == bindparam("ticket_id"))
    .values(last_message_at=bindparam("now", type_=m.UTCDateTime()))
)
_messages = m.Message.__table__.c
_SENT_WITH_CLIENT_ID = select(_messages.id).where(
    _messages.sender_type == "agent",
    _messages.sender_id == bindparam("agent_id"),
    _messages.client_id == bindparam("client_id"),
)


_conversations = m.Conversation.__table__.c
_message_table = cast(Table, m.Message.__table__)
_INSERT_MESSAGE = insert(_message_table).returning(_messages.id)
_INSERT_MESSAGE_FILES = insert(cast(Table, m.MessageFile.__table__))
_TOUCH_CONVERSATION = (
    update(cast(Table, m.Conversation.__table__))
    .where(_conversations.id == bindparam("conversation_id"))
    .values(
        last_message_at=bindparam("now", type_=m.UTCDateTime()),
        last_message_id=bindparam("message_id"),
    )
)
# The reply's conversation and its open ticket (locked as ``session.get(..., with_for_update)``
# locked it): Core statements on the session's connection, no model loaded.
_CONVERSATION = select(
    _conversations.id, _conversations.inbox_id, _conversations.open_ticket_id
).where(_conversations.id == bindparam("id"))
_TICKET_FOR_REPLY = (
    select(_tickets.id, _tickets.assignee_id, _tickets.first_response_at)
    .where(_tickets.id == bindparam("id"))
    .with_for_update()
)
# Locked before the ticket, in a customer message's order (see ``_SENT_AND_CONVERSATION_PG``).
_CONVERSATION_LOCKED = (
    select(_conversations.id)
    .where(_conversations.id == bindparam("id"))
    .with_for_update(key_share=True)  # FOR NO KEY UPDATE
)
# SQLite: the ticket's clock moved and its snooze learned in one statement (no row locks).
_TOUCH_TICKET_SNOOZED = _TOUCH_TICKET.returning(_tickets.snoozed)
# PostgreSQL: the same row lock as ``snooze.wake_on_reply`` took after the UPDATE.
_TICKET_SNOOZED_LOCKED = (
    select(_tickets.snoozed).where(_tickets.id == bindparam("ticket_id")).with_for_update()
)


# The same statements on the inline SQLite connection (``db.driver_sql``).
_INSERT_MESSAGE_SQL = (
    "INSERT INTO messages (conversation_id, ticket_id, direction, sender_type, sender_id,"
    " sender_name, body, reply_to, client_id, created_at)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id"
)
_INSERT_MESSAGE_FILE_SQL = (
    "INSERT INTO message_files (message_id, file_id, position) VALUES (?, ?, ?)"
)
_TOUCH_CONVERSATION_SQL = (
    "UPDATE conversations SET last_message_at = ?, last_message_id = ? WHERE id = ?"
)
_TOUCH_TICKET_SQL = "UPDATE tickets SET last_message_at = ? WHERE id = ?"
_TOUCH_TICKET_SNOOZED_SQL = _TOUCH_TICKET_SQL + " RETURNING snoozed"
_SENT_WITH_CLIENT_ID_SQL = (
    "SELECT id FROM messages WHERE sender_type = 'agent' AND sender_id = ? AND client_id = ?"
)
_CONVERSATION_SQL = "SELECT id, inbox_id, open_ticket_id FROM conversations WHERE id = ?"
_TICKET_FOR_REPLY_SQL = "SELECT id, assignee_id, first_response_at FROM tickets WHERE id = ?"
# A reply's first reads on the inline SQLite connection in one statement, as
# ``_SENT_AND_CONVERSATION_PG`` reads them (without row locks: the transaction holds SQLite's
# write lock): the message this agent already sent with the ``client_id``, the conversation
# (none: NULLs), and with the fourth parameter (a text reply) its open ticket. Three
# statements run from Python cost more than SQLite takes to join them (issue 14, sq14m).
_SENT_AND_CONVERSATION_SQL = (
    f"SELECT ({_SENT_WITH_CLIENT_ID_SQL}),"
    " conversations.id, conversations.inbox_id, conversations.open_ticket_id,"
    " tickets.id, tickets.assignee_id, tickets.first_response_at"
    " FROM (SELECT 1) AS one LEFT OUTER JOIN conversations ON conversations.id = ?"
    " LEFT OUTER JOIN tickets ON ? AND tickets.id = conversations.open_ticket_id"
)
# And on the transaction's asyncpg connection, with the row locks of the Core statements.
_INSERT_MESSAGE_PG = driver_sql.numbered(_INSERT_MESSAGE_SQL)
_SENT_WITH_CLIENT_ID_PG = driver_sql.numbered(_SENT_WITH_CLIENT_ID_SQL)
_INSERT_MESSAGE_FILE_PG = driver_sql.numbered(_INSERT_MESSAGE_FILE_SQL)
_TOUCH_CONVERSATION_PG = driver_sql.numbered(_TOUCH_CONVERSATION_SQL)
_TOUCH_TICKET_PG = driver_sql.numbered(_TOUCH_TICKET_SQL)
_TICKET_SNOOZED_LOCKED_PG = "SELECT snoozed FROM tickets WHERE id = $1 FOR UPDATE"
_CONVERSATION_PG = driver_sql.numbered(_CONVERSATION_SQL)
# The conversation (``$2``) locked first, in a customer message's order, then the ticket.
_TICKET_FOR_REPLY_PG = (
    "WITH conversation_locked AS MATERIALIZED (SELECT id FROM conversations WHERE id = $2"
    " FOR NO KEY UPDATE) "
    + driver_sql.numbered(_TICKET_FOR_REPLY_SQL)
    + " AND EXISTS (SELECT FROM conversation_locked) FOR UPDATE"
)
# A reply's first reads on PostgreSQL in one round trip: the message this agent already sent
# with the ``client_id`` (``_SENT_WITH_CLIENT_ID_PG``), the conversation (``_CONVERSATION_PG``;
# no row: none), neither locked, and with ``$4`` (a text reply) its open ticket locked and read
# as ``_TICKET_FOR_REPLY_PG`` does (a ``MATERIALIZED`` CTE on the conversation's
# ``open_ticket_id``): the lock taken before the reply's checks decide, held until its commit
# as before, one round trip fewer (issue 14, fourteenth round). The conversation's row is
# locked before the ticket's (``conversation_locked``, read by the ticket's ``WHERE``): a
# customer message locks them in that order (``ingress._FIND_LOCKED_PG``, then the ticket's
# ``UPDATE``), and a reply that took the ticket first deadlocked with one in the same
# conversation, PostgreSQL aborting one of them after its 1 s ``deadlock_timeout``.
_SENT_AND_CONVERSATION_PG = (
    "WITH conversation AS (SELECT id, inbox_id, open_ticket_id FROM conversations"
    " WHERE id = $3), conversation_locked AS MATERIALIZED (SELECT id FROM conversations"
    " WHERE $4::boolean AND id = $3 FOR NO KEY UPDATE),"
    " ticket AS MATERIALIZED (SELECT id, assignee_id, first_response_at"
    " FROM tickets WHERE $4::boolean AND id = (SELECT open_ticket_id FROM conversation)"
    " AND EXISTS (SELECT FROM conversation_locked) FOR UPDATE)"
    f" SELECT ({_SENT_WITH_CLIENT_ID_PG}),"
    " conversation.id, conversation.inbox_id, conversation.open_ticket_id,"
    " ticket.id, ticket.assignee_id, ticket.first_response_at"
    " FROM (SELECT 1) AS one LEFT OUTER JOIN conversation ON true"
    " LEFT OUTER JOIN ticket ON true"
)
# A message without files that moves the clocks, on PostgreSQL in one round trip: the
# message, then its conversation's clocks, then its open ticket's (the ticket's ``UPDATE``
# waits for the conversation's: its ``WHERE`` reads that CTE), the same rows and row locks in
# the same order as the three statements, the ticket's ``snoozed`` as it is after its update
# (``RETURNING``, as on SQLite; the three statements read it again ``FOR UPDATE``). One round
# trip instead of three or four: each costs the server ~50 us of CPU (issue 14, thirteenth
# round).
_MESSAGE_AND_CLOCKS_PG = (
    "WITH inserted AS ("
    + _INSERT_MESSAGE_PG
    + "), conversation AS (UPDATE conversations SET last_message_at = $10,"
    " last_message_id = (SELECT id FROM inserted) WHERE id = $1 RETURNING id),"
    " ticket AS (UPDATE tickets SET last_message_at = $10"
    " WHERE id = $2 AND EXISTS (SELECT FROM conversation) RETURNING snoozed)"
)
_INSERT_AND_TOUCH_PG = (
    _MESSAGE_AND_CLOCKS_PG + " SELECT (SELECT id FROM inserted), (SELECT snoozed FROM ticket)"
)

# ``_INSERT_AND_TOUCH_PG`` with the message's ``message.created`` event (``$11``-``$15``), for
# a lean transaction whose last write it is: one round trip fewer (issue 14, fourteenth round).
# The event is written as ``EventBus``'s own statement writes it (``_insert_events_pg``): the
# advisory lock (``$11``) first, then the row, then the ``NOTIFY`` (channel ``$12``) of its id.
# ``written`` reads the conversation's and the ticket's updates to their end, so the lock is
# taken after every row lock of the transaction, as before; its data is the JSON around the
# message's id (``$13``, the id, ``$14``). A ticket found snoozed takes no lock and writes no
# event (``written.snoozed``): that transaction goes on in an ORM session. The event's id is
# returned: the bus hands the committed event to the streams without reading it back.
_INSERT_TOUCH_AND_PUBLISH_PG = (
    _MESSAGE_AND_CLOCKS_PG
    + ", written AS MATERIALIZED (SELECT (SELECT count(*) FROM conversation) AS touched,"
    " (SELECT bool_or(snoozed) FROM ticket) AS snoozed),"
    " locked AS MATERIALIZED (SELECT pg_advisory_xact_lock($11) FROM written"
    " WHERE written.snoozed IS NOT TRUE),"
    " event AS (INSERT INTO events (type, data, inbox_id, agent_id, created_at)"
    f" SELECT '{MESSAGE_CREATED}', $13::text || (SELECT id FROM inserted)::text || $14::text,"
    " $15::integer, NULL, $10 FROM locked RETURNING id)"
    " SELECT (SELECT id FROM inserted), (SELECT snoozed FROM written), (SELECT id FROM event),"
    " (SELECT pg_notify($12, id::text) FROM event)"
)


# A plain text reply on PostgreSQL in ONE statement, outside any transaction (autocommit: no
# ``BEGIN`` or ``COMMIT`` round trip; issue 14, sixteenth round), written only when every rule
# of ``send_agent_message`` holds; otherwise nothing is written and the reply runs as before
# (``reply_at_once``). ``$1`` the conversation, ``$2``/``$3`` the visibility (everything, the
# inbox ids), ``$4`` admin, ``$5`` the agent, ``$6`` the ``client_id``, ``$7`` the
# ``seen_message_id`` (NULL: no check), ``$8``-``$10`` the name, body and time, ``$11``/``$12``
# the events' lock key and channel, ``$13``-``$15`` the event's JSON around its message's id
# and ticket id.
#
# The lock order is a reply's (``_SENT_AND_CONVERSATION_PG``): the conversation
# ``FOR NO KEY UPDATE``, then its open ticket ``FOR UPDATE`` (its ``WHERE`` reads the locked
# conversation), then the writes of ``_INSERT_TOUCH_AND_PUBLISH_PG`` and the events' advisory
# lock after every row lock. Under READ COMMITTED the statement's snapshot is taken before it
# waits for a lock, and only the locked rows are read as they are once locked (their newest
# versions); so the rules read those rows only: the open ticket (a close, a reopen, an
# assignment committed while it waited is seen), its assignee, ``first_response_at`` (none
# yet: the ORM's first response) and ``snoozed`` (the waking is the ORM's). What lies in other
# rows is fenced: a ``client_id`` already used is found in the snapshot, or, sent by a reply
# that committed while this one waited, refused by ``uq_messages_client`` (an error: nothing
# written, the reply runs again as before and answers the first message); a
# ``seen_message_id`` is checked only when the conversation's row is the snapshot's (same
# ``xmin``: no message moved its clocks since), else the reply runs as before.
_REPLY_AT_ONCE_PG = (
    "WITH conversation AS MATERIALIZED (SELECT id, inbox_id, open_ticket_id, xmin"
    " FROM conversations WHERE id = $1 FOR NO KEY UPDATE),"
    " ticket AS MATERIALIZED (SELECT id, assignee_id, first_response_at, snoozed FROM tickets"
    " WHERE id = (SELECT open_ticket_id FROM conversation) FOR UPDATE),"
    " accepted AS MATERIALIZED (SELECT conversation.inbox_id, ticket.id AS ticket_id"
    " FROM conversation JOIN ticket ON ticket.id = conversation.open_ticket_id"
    " WHERE ($2::boolean OR conversation.inbox_id = ANY($3::integer[]))"
    " AND ($4::boolean OR ticket.assignee_id = $5)"
    " AND ticket.first_response_at IS NOT NULL AND NOT ticket.snoozed"
    " AND NOT EXISTS (SELECT FROM messages WHERE sender_type = 'agent' AND sender_id = $5"
    " AND client_id = $6)"
    " AND ($7::bigint IS NULL OR (conversation.xmin"
    " = (SELECT xmin FROM conversations WHERE id = $1) AND NOT EXISTS (SELECT FROM messages"
    " WHERE conversation_id = $1 AND id > $7 AND sender_type = 'agent' AND sender_id <> $5"
    " AND direction IN ('out', 'note'))))),"
    " inserted AS (INSERT INTO messages (conversation_id, ticket_id, direction, sender_type,"
    " sender_id, sender_name, body, reply_to, client_id, created_at)"
    " SELECT $1, ticket_id, 'out', 'agent', $5, $8, $9, NULL, $6, $10 FROM accepted"
    " RETURNING id),"
    " conversation_touched AS (UPDATE conversations SET last_message_at = $10,"
    " last_message_id = (SELECT id FROM inserted) WHERE id = $1"
    " AND EXISTS (SELECT FROM inserted) RETURNING id),"
    " ticket_touched AS (UPDATE tickets SET last_message_at = $10"
    " WHERE id = (SELECT ticket_id FROM accepted) AND EXISTS (SELECT FROM conversation_touched)"
    " RETURNING id),"
    " written AS MATERIALIZED (SELECT count(*) AS touched FROM ticket_touched),"
    " locked AS MATERIALIZED (SELECT pg_advisory_xact_lock($11) FROM written"
    " WHERE touched > 0),"
    " event AS (INSERT INTO events (type, data, inbox_id, agent_id, created_at)"
    f" SELECT '{MESSAGE_CREATED}', $13::text || (SELECT id FROM inserted)::text || $14::text"
    " || (SELECT ticket_id FROM accepted)::text || $15::text,"
    " (SELECT inbox_id FROM accepted), NULL, $10 FROM locked RETURNING id)"
    " SELECT (SELECT id FROM inserted), (SELECT ticket_id FROM accepted),"
    " (SELECT inbox_id FROM accepted), (SELECT id FROM event),"
    " (SELECT pg_notify($12, id::text) FROM event)"
)


def sync_loaded(session: AsyncSession, model: type[m.Base], ident: int, values: Json) -> None:
    """After a Core write, give an instance of the row already in the session its new values.

    The hot paths write with Core statements; a caller that loaded the same row as a model
    in the same transaction (the demo simulator does) must not see it stale.
    """
    if not session.identity_map:  # nothing loaded (a lean transaction's session: always)
        return
    loaded = session.identity_map.get(identity_key(model, ident))
    if loaded is not None:
        for name, value in values.items():
            set_committed_value(loaded, name, value)


def _insert_core(
    connection: Connection,
    values: Json,
    file_ids: Sequence[int],
    moves_clocks: bool,
    learn_snoozed: bool,
) -> tuple[int, bool]:
    """The statements of ``insert_message``, in one hop to the driver: ``(id, snoozed)``."""
    message_id = int(connection.execute(_INSERT_MESSAGE, values).scalar_one())
    if file_ids:
        rows = [
            {"message_id": message_id, "file_id": file_id, "position": position}
            for position, file_id in enumerate(file_ids)
        ]
        connection.execute(_INSERT_MESSAGE_FILES, rows)
    snoozed = False
    if not moves_clocks:
        return message_id, snoozed
    now = values["created_at"]
    touch = {"conversation_id": values["conversation_id"], "now": now, "message_id": message_id}
    connection.execute(_TOUCH_CONVERSATION, touch)
    ticket_id = values["ticket_id"]
    if ticket_id is None:
        return message_id, snoozed
    clock = {"ticket_id": ticket_id, "now": now}
    if not learn_snoozed:
        connection.execute(_TOUCH_TICKET, clock)
    elif connection.dialect.name == "postgresql":
        connection.execute(_TOUCH_TICKET, clock)
        snoozed = bool(connection.execute(_TICKET_SNOOZED_LOCKED, clock).scalar())
    else:
        snoozed = bool(connection.execute(_TOUCH_TICKET_SNOOZED, clock).scalar())
    return message_id, snoozed


# The columns of ``_INSERT_MESSAGE_SQL`` before ``created_at``, in order.
_MESSAGE_COLUMNS = (
    "conversation_id",
    "ticket_id",
    "direction",
    "sender_type",
    "sender_id",
    "sender_name",
    "body",
    "reply_to",
    "client_id",
)


def _message_row(values: Json, created_at: object) -> tuple[object, ...]:
    """A message's values in the order of ``_INSERT_MESSAGE_SQL``'s placeholders."""
    return (*(values[column] for column in _MESSAGE_COLUMNS), created_at)


def _insert_raw(
    raw: sqlite3.Connection,
    values: Json,
    file_ids: Sequence[int],
    moves_clocks: bool,
    learn_snoozed: bool,
) -> tuple[int, bool]:
    """``_insert_core`` on the inline SQLite connection: the same statements, in order."""
    now = driver_sql.stored_moment(values["created_at"])
    inserted = driver_sql.one(
        raw,
        _INSERT_MESSAGE_SQL,
        _message_row(values, now),
    )
    message_id = int(inserted[0])
    if file_ids:
        rows = [(message_id, file_id, position) for position, file_id in enumerate(file_ids)]
        driver_sql.run_many(raw, _INSERT_MESSAGE_FILE_SQL, rows)
    if not moves_clocks:
        return message_id, False
    driver_sql.run(raw, _TOUCH_CONVERSATION_SQL, (now, message_id, values["conversation_id"]))
    ticket_id = values["ticket_id"]
    if ticket_id is None:
        return message_id, False
    if not learn_snoozed:
        driver_sql.run(raw, _TOUCH_TICKET_SQL, (now, ticket_id))
        return message_id, False
    ticket = driver_sql.one(raw, _TOUCH_TICKET_SNOOZED_SQL, (now, ticket_id))
    return message_id, ticket is not None and bool(ticket[0])


async def _insert_pg(
    driver: asyncpg.Connection,
    values: Json,
    file_ids: Sequence[int],
    moves_clocks: bool,
    learn_snoozed: bool,
) -> tuple[int, bool]:
    """``_insert_core`` on the transaction's asyncpg connection: the same statements and row
    locks, in order; a message without files that moves the clocks in one statement
    (``_INSERT_AND_TOUCH_PG``: its ticket's ``snoozed`` read by the ticket's ``UPDATE``, whose
    row lock is ``FOR NO KEY UPDATE``, not ``FOR UPDATE``)."""
    now = values["created_at"]
    if moves_clocks and not file_ids:
        row = await driver_sql.pg_one(driver, _INSERT_AND_TOUCH_PG, *_message_row(values, now))
        return int(row[0]), learn_snoozed and bool(row[1])
    inserted = await driver_sql.pg_one(
        driver,
        _INSERT_MESSAGE_PG,
        *_message_row(values, now),
    )
    message_id = int(inserted[0])
    if file_ids:
        rows = [(message_id, file_id, position) for position, file_id in enumerate(file_ids)]
        await driver_sql.pg_run_many(driver, _INSERT_MESSAGE_FILE_PG, rows)
    if not moves_clocks:
        return message_id, False
    conversation_id = values["conversation_id"]
    await driver_sql.pg_run(driver, _TOUCH_CONVERSATION_PG, now, message_id, conversation_id)
    ticket_id = values["ticket_id"]
    if ticket_id is None:
        return message_id, False
    await driver_sql.pg_run(driver, _TOUCH_TICKET_PG, now, ticket_id)
    if not learn_snoozed:
        return message_id, False
    ticket = await driver_sql.pg_one(driver, _TICKET_SNOOZED_LOCKED_PG, ticket_id)
    return message_id, ticket is not None and bool(ticket[0])


async def insert_message(
    session: AsyncSession,
    conversation_id: int,
    ticket_id: int | None,
    author: Author,
    direction: str,
    body: str,
    *,
    reply_to: int | None = None,
    client_id: str | None = None,
    file_ids: Sequence[int] = (),
    learn_snoozed: bool = False,
) -> tuple[NewMessage, bool]:
    """``append_message`` with Core statements built once, no ORM object: the message's
    values and (with ``learn_snoozed``) whether its open ticket is snoozed.

    The same rows and row locks as ``append_message`` (message, its files, the conversation's
    and the open ticket's clocks, in that order); with ``learn_snoozed`` the ticket is also
    read as ``snooze.wake_on_reply`` reads it (locked ``FOR UPDATE`` on PostgreSQL). The
    statements run on the transaction's driver connection (``db.driver_sql``), else in one
    hop to it, after the session's pending changes are flushed.
    """
    if session.new or session.dirty or session.deleted:
        await session.flush()
    now = m.utcnow()
    values: Json = {
        "conversation_id": conversation_id,
        "ticket_id": ticket_id,
        "direction": direction,
        "sender_type": author.sender_type,
        "sender_id": author.sender_id,
        "sender_name": author.sender_name,
        "body": body,
        "reply_to": reply_to,
        "client_id": client_id,
        "created_at": now,
    }
    moves_clocks = direction in CONVERSATION_DIRECTIONS
    raw = driver_sql.current(session)
    driver = driver_sql.postgres(session)
    if raw is not None:
        message_id, snoozed = _insert_raw(raw, values, file_ids, moves_clocks, learn_snoozed)
    elif driver is not None:
        message_id, snoozed = await _insert_pg(
            driver, values, file_ids, moves_clocks, learn_snoozed
        )
    else:
        connection = await session.connection()
        message_id, snoozed = await connection.run_sync(
            _insert_core, values, file_ids, moves_clocks, learn_snoozed
        )
    if moves_clocks:
        clocks = {"last_message_at": now, "last_message_id": message_id}
        sync_loaded(session, m.Conversation, conversation_id, clocks)
        if ticket_id is not None:
            sync_loaded(session, m.Ticket, ticket_id, {"last_message_at": now})
    return NewMessage(id=message_id, **values), snoozed


# The id a message's JSON carries until its statement gives it one: no real id is negative.
_ID_PLACEHOLDER = -2_718_281_828


def _unnumbered(
    conversation_id: int,
    ticket_id: int | None,
    author: Author,
    direction: str,
    body: str,
    reply_to: int | None,
    client_id: str | None,
) -> NewMessage:
    """A message written now, its id ``_ID_PLACEHOLDER`` until its statement gives it one."""
    return NewMessage(
        id=_ID_PLACEHOLDER,
        conversation_id=conversation_id,
        ticket_id=ticket_id,
        direction=direction,
        sender_type=author.sender_type,
        sender_id=author.sender_id,
        sender_name=author.sender_name,
        body=body,
        reply_to=reply_to,
        client_id=client_id,
        created_at=m.utcnow(),
    )


async def insert_published(
    session: AsyncSession,
    conversation_id: int,
    ticket_id: int | None,
    author: Author,
    direction: str,
    body: str,
    inbox_id: int,
    *,
    reply_to: int | None = None,
    client_id: str | None = None,
) -> tuple[NewMessage, Json] | None:
    """``insert_message`` (no files, ``learn_snoozed``) and its ``message.created`` event to
    the agents of ``inbox_id`` (``publish_new_message``) in one statement
    (``_INSERT_TOUCH_AND_PUBLISH_PG``): the message and its JSON, for a lean PostgreSQL
    transaction with no event queued yet whose last write this is; ``None`` (nothing done)
    elsewhere. A ticket found snoozed gives the block up (``needs_session``): waking it
    needs the ORM. The event, with the id the statement gave it, is kept for the bus
    (``events.keep_inserted``): once committed it reaches the streams without a read."""
    driver = driver_sql.postgres(session)
    if driver is None or not isinstance(session, LeanSession) or not nothing_pending(session):
        return None
    if direction not in CONVERSATION_DIRECTIONS:
        return None
    message = _unnumbered(conversation_id, ticket_id, author, direction, body, reply_to, client_id)
    now = message.created_at
    data = await load_new_message(session, message)
    around = encoded({"message": data}).split(f'"id":{_ID_PLACEHOLDER}')
    if len(around) != 2:  # never: a string's quotes are escaped, so only a key is ``"id":``
        return None
    before = around[0] + '"id":'
    row = await driver_sql.pg_one(
        driver,
        _INSERT_TOUCH_AND_PUBLISH_PG,
        conversation_id,
        ticket_id,
        direction,
        author.sender_type,
        author.sender_id,
        author.sender_name,
        body,
        reply_to,
        client_id,
        now,
        ADVISORY_LOCK_KEY,
        NOTIFY_CHANNEL,
        before,
        around[1],
        inbox_id,
    )
    if row[1]:
        needs_session(session, "a ticket snoozed meanwhile")
    message.id = data["id"] = int(row[0])
    stored = before + str(message.id) + around[1]  # the event's data as the statement joined it
    keep_inserted(session, StoredEvent.from_row(row[2], MESSAGE_CREATED, stored, inbox_id, None))
    return message, data


# The ticket id a reply's JSON carries until its statement reads it (``_ID_PLACEHOLDER``'s).
_TICKET_PLACEHOLDER = -3_141_592_653


def may_reply_at_once(
    agent: m.Agent, kind: str, body: str, reply_to: int | None, file_ids: Sequence[int]
) -> bool:
    """Whether a reply may try ``reply_at_once``: a text without files or quote, within the
    body's rules, by a working agent. Anything else runs as before (and answers its error)."""
    return (
        kind == "text"
        and not file_ids
        and reply_to is None
        and bool(body.strip())
        and len(body) <= MAX_BODY_CHARS
        and agent.status in WORKING_STATUSES
    )


async def reply_at_once(
    session: AsyncSession,
    agent: m.Agent,
    visibility: Visibility,
    conversation_id: int,
    client_id: str,
    body: str,
    seen_message_id: int | None,
) -> Json | None:
    """A text reply that ``may_reply_at_once``, with its ``message.created`` event, in one
    statement outside any transaction (``_REPLY_AT_ONCE_PG``, on ``Database.autocommit``'s
    session): the message's JSON when it was written, ``None`` when a rule did not hold there
    (the conversation missing or not visible, no open ticket, not the assignee, a first
    response, a snoozed ticket, a ``client_id`` used, a ``seen_message_id`` not checked or
    not current; ``None``: no check, as with ``force``): nothing was written, and
    ``send_agent_message`` runs the reply as before, answering its error. The event, with its
    id, is kept for the bus (``keep_inserted``)."""
    driver = driver_sql.postgres(session)
    assert driver is not None
    ticket_id = _TICKET_PLACEHOLDER
    author = agent_author(agent)
    message = _unnumbered(conversation_id, ticket_id, author, "out", body, None, client_id)
    now = message.created_at
    data = message_json(message)
    text = encoded({"message": data})
    before, _, rest = text.partition(f'"id":{_ID_PLACEHOLDER}')
    between, _, after = rest.partition(f'"ticket_id":{_TICKET_PLACEHOLDER}')
    if not after:  # never: only a key is ``"id":`` (quotes in strings are escaped)
        return None
    before += '"id":'
    between += '"ticket_id":'
    row = await driver_sql.pg_one(
        driver,
        _REPLY_AT_ONCE_PG,
        conversation_id,
        visibility.everything,
        [] if visibility.everything else list(visibility.inbox_ids),
        agent.role == "admin",
        agent.id,
        client_id,
        seen_message_id,
        agent.name,
        body,
        now,
        ADVISORY_LOCK_KEY,
        NOTIFY_CHANNEL,
        before,
        between,
        after,
    )
    if row[0] is None:
        return None
    message.id = data["id"] = int(row[0])
    message.ticket_id = data["ticket_id"] = int(row[1])
    stored = f"{before}{message.id}{between}{message.ticket_id}{after}"
    keep_inserted(session, StoredEvent.from_row(row[3], MESSAGE_CREATED, stored, row[2], None))
    return data


async def append_message(
    session: AsyncSession,
    conversation: m.Conversation,
    author: Author,
    direction: str,
    body: str,
    *,
    reply_to: int | None = None,
    client_id: str | None = None,
    file_ids: Sequence[int] = (),
) -> m.Message:
    """Insert a message (already validated); ``in``/``out`` move the conversation's clocks."""
    now = m.utcnow()
    message = m.Message(
        conversation_id=conversation.id,
        ticket_id=conversation.open_ticket_id,
        direction=direction,
        sender_type=author.sender_type,
        sender_id=author.sender_id,
        sender_name=author.sender_name,
        body=body,
        reply_to=reply_to,
        client_id=client_id,
        created_at=now,
    )
    session.add(message)
    await session.flush()
    for position, file_id in enumerate(file_ids):
        session.add(m.MessageFile(message_id=message.id, file_id=file_id, position=position))
    if direction in CONVERSATION_DIRECTIONS:
        conversation.last_message_at = now
        conversation.last_message_id = message.id
        if conversation.open_ticket_id is not None:
            ticket = session.identity_map.get(identity_key(m.Ticket, conversation.open_ticket_id))
            if isinstance(ticket, m.Ticket):  # in the session (a reply holds it): flushed below
                ticket.last_message_at = now
            else:  # an UPDATE without loading the ticket (Core: nothing to synchronise)
                values = {"ticket_id": conversation.open_ticket_id, "now": now}
                await session.execute(_TOUCH_TICKET, values)
    await session.flush()
    return message


async def publish_message(
    session: AsyncSession,
    bus: EventBus,
    message: m.Message,
    inbox_id: int,
    type_: str = "message.created",
) -> None:
    """Emit ``message.created`` (or ``.updated``) to the agents of the inbox."""
    await bus.publish(
        session, type_, {"message": await load_message(session, message)}, inbox_id=inbox_id
    )


async def publish_new_message(
    session: AsyncSession,
    bus: EventBus,
    message: m.Message | NewMessage,
    inbox_id: int,
    file_ids: Sequence[int] = (),
) -> Json:
    """Emit ``message.created`` for a message just appended; returns its JSON for the answer."""
    data = await load_new_message(session, message, file_ids)
    await bus.publish(session, "message.created", {"message": data}, inbox_id=inbox_id)
    return data


async def add_system_message(
    session: AsyncSession, bus: EventBus, conversation: m.Conversation, what: SystemText
) -> m.Message:
    """A ``system`` line (kind, params, English body such as "Ticket assigned to Anna"),
    published."""
    message = await append_message(session, conversation, SYSTEM, "system", what.text)
    message.system_kind = what.kind
    message.system_params = what.params
    await publish_new_message(session, bus, message, conversation.inbox_id)
    return message


async def visible_conversation(
    session: AsyncSession, visibility: Visibility, conversation_id: int
) -> m.Conversation:
    """A conversation the agent may see; 404 otherwise."""
    conversation = await session.get(m.Conversation, conversation_id)
    if conversation is None:
        raise not_found("conversation")
    require_inbox(visibility, conversation.inbox_id, "conversation")
    return conversation


async def find_by_client_id(
    session: AsyncSession, agent_id: int, client_id: str
) -> m.Message | None:
    """The message this agent already sent with ``client_id``, if any (a Core statement
    built once; the model is loaded only when there is one)."""
    raw = await driver_sql.connection(session)
    if raw is not None:
        found = driver_sql.one(raw, _SENT_WITH_CLIENT_ID_SQL, (agent_id, client_id))
        message_id = None if found is None else found[0]
    elif (driver := driver_sql.postgres(session)) is not None:  # e.g. a lean transaction's
        found = await driver_sql.pg_one(driver, _SENT_WITH_CLIENT_ID_PG, agent_id, client_id)
        message_id = None if found is None else found[0]
    else:  # flushed as ``session.scalar`` would; PostgreSQL: its transaction begins here
        if session.new or session.dirty or session.deleted:
            await session.flush()
        connection = await session.connection()
        parameters = {"agent_id": agent_id, "client_id": client_id}
        message_id = (await connection.execute(_SENT_WITH_CLIENT_ID, parameters)).scalar()
        driver_sql.remember(session, connection)
    return None if message_id is None else await session.get(m.Message, message_id)


@dataclass(frozen=True, slots=True)
class _ReplyConversation:
    """What a reply reads of its conversation."""

    id: int
    inbox_id: int
    open_ticket_id: int | None


@dataclass(frozen=True, slots=True)
class _ReplyTicket:
    """What a reply reads of the conversation's open ticket (locked on PostgreSQL)."""

    id: int
    assignee_id: int | None
    first_response_at: dt.datetime | None


async def _reply_conversation(
    session: AsyncSession, conversation_id: int
) -> _ReplyConversation | None:
    """The reply's conversation, on the inline SQLite connection when there is one."""
    raw = driver_sql.current(session)
    driver = driver_sql.postgres(session)
    if raw is not None:
        row = driver_sql.one(raw, _CONVERSATION_SQL, (conversation_id,))
    elif driver is not None:
        row = await driver_sql.pg_one(driver, _CONVERSATION_PG, conversation_id)
    else:
        connection = await session.connection()
        row = (await connection.execute(_CONVERSATION, {"id": conversation_id})).first()
    return None if row is None else _ReplyConversation(*row)


@dataclass(frozen=True, slots=True)
class _ReplyStart:
    """A reply's first reads: the message already sent with its ``client_id``, else its
    conversation and (PostgreSQL, a text reply) the open ticket already locked."""

    existing: m.Message | None
    conversation: _ReplyConversation | None
    locked_ticket: _ReplyTicket | None = None


async def _sent_and_conversation(
    session: AsyncSession, agent_id: int, client_id: str, conversation_id: int, lock_ticket: bool
) -> _ReplyStart:
    """The message this agent already sent with ``client_id`` (``find_by_client_id``) and,
    when there is none, the reply's conversation (``_reply_conversation``): on a driver
    connection (PostgreSQL's, the inline SQLite one) both in one statement, with
    ``lock_ticket`` the open ticket's read (``_reply_ticket``'s; PostgreSQL: and lock) too."""
    raw = await driver_sql.connection(session)  # flushed first, as ``find_by_client_id``
    driver = driver_sql.postgres(session)
    if raw is not None:
        parameters = (agent_id, client_id, conversation_id, lock_ticket)
        row = driver_sql.one(raw, _SENT_AND_CONVERSATION_SQL, parameters)
    elif driver is not None:
        row = await driver_sql.pg_one(
            driver, _SENT_AND_CONVERSATION_PG, agent_id, client_id, conversation_id, lock_ticket
        )
    else:
        existing = await find_by_client_id(session, agent_id, client_id)
        if existing is not None:
            return _ReplyStart(existing, None)
        return _ReplyStart(None, await _reply_conversation(session, conversation_id))
    existing = None if row[0] is None else await session.get(m.Message, row[0])
    if existing is not None:
        return _ReplyStart(existing, None)
    if row[1] is None:
        return _ReplyStart(None, None)
    conversation = _ReplyConversation(row[1], row[2], row[3])
    if row[4] is None:
        return _ReplyStart(None, conversation)
    if row[6] is None:
        moment = None
    elif raw is not None:
        moment = driver_sql.read_moment(row[6])
    else:
        moment = row[6].astimezone(dt.UTC)
    return _ReplyStart(None, conversation, _ReplyTicket(row[4], row[5], moment))


async def _reply_ticket(
    session: AsyncSession, conversation_id: int, ticket_id: int
) -> _ReplyTicket:
    """The conversation's open ticket, ``FOR UPDATE`` on PostgreSQL after its conversation's
    row (a customer message's order: the other deadlocked); SQLite has no row locks: the
    transaction holds the write lock."""
    raw = driver_sql.current(session)
    driver = driver_sql.postgres(session)
    if raw is not None:
        found = driver_sql.one(raw, _TICKET_FOR_REPLY_SQL, (ticket_id,))
        moment = None if found is None else driver_sql.read_moment(found[2])
    elif driver is not None:
        found = await driver_sql.pg_one(driver, _TICKET_FOR_REPLY_PG, ticket_id, conversation_id)
        moment = None if found is None or found[2] is None else found[2].astimezone(dt.UTC)
    else:
        connection = await session.connection()
        await connection.execute(_CONVERSATION_LOCKED, {"id": conversation_id})
        row = (await connection.execute(_TICKET_FOR_REPLY, {"id": ticket_id})).one()
        return _ReplyTicket(*row)
    if found is None:
        raise NoResultFound("No row was found when one was required")
    return _ReplyTicket(found[0], found[1], moment)


async def send_agent_message(
    session: AsyncSession,
    bus: EventBus,
    agent: m.Agent,
    visibility: Visibility,
    conversation_id: int,
    *,
    client_id: str,
    kind: str,
    body: str,
    reply_to: int | None = None,
    file_ids: Sequence[int] = (),
    seen_message_id: int | None = None,
    force: bool = False,
) -> tuple[Json, bool]:
    """Send a text or note as ``agent``: ``(message as JSON, created)``.

    The same ``client_id`` again returns the first message with ``created`` False. With
    ``seen_message_id`` (the newest message the agent saw) and without ``force``, a reply
    written since by another agent is 409 ``conversation.changed`` (see ``check_unchanged``).
    A note names colleagues with ``@name`` (services.mentions).
    """
    start = await _sent_and_conversation(
        session, agent.id, client_id, conversation_id, lock_ticket=kind == "text"
    )
    if start.existing is not None:
        return await load_message(session, start.existing), False
    conversation = start.conversation
    if conversation is None:
        raise not_found("conversation")
    require_inbox(visibility, conversation.inbox_id, "conversation")
    if not body.strip() and not file_ids:
        raise invalid("A message needs text or a file", "body")
    if len(body) > MAX_BODY_CHARS:
        raise invalid(f"At most {MAX_BODY_CHARS} characters", "body")
    ticket = None
    if kind == "text":
        require_working(agent)
        if conversation.open_ticket_id is None:
            raise ApiError(409, "ticket_closed", "This conversation has no open ticket")
        ticket = start.locked_ticket or await _reply_ticket(
            session, conversation.id, conversation.open_ticket_id
        )
        if ticket.assignee_id != agent.id and agent.role != "admin":
            raise forbidden("Only the agent the ticket is assigned to may reply")
    if seen_message_id is not None and not force:
        await check_unchanged(session, conversation.id, agent.id, seen_message_id)
    await _check_reply_target(session, conversation.id, reply_to)
    await check_files(session, file_ids)
    if file_ids:  # the condition is a SQL expression: built only when there is a file to check
        await require_attachable(
            session,
            file_ids,
            owners={agent.id},
            already_in=m.Conversation.id == conversation.id,
        )
    direction = "out" if kind == "text" else "note"
    if (ticket is not None and ticket.first_response_at is None) or (
        direction == "note" and may_mention(body)
    ):  # the ORM's work below: before the message takes an id from the sequence
        needs_session(session, "a first response or a note's mentions")
    if direction == "out" and not file_ids:  # a lean PostgreSQL transaction: at once
        published = await insert_published(
            session,
            conversation.id,
            conversation.open_ticket_id,
            agent_author(agent),
            direction,
            body,
            conversation.inbox_id,
            reply_to=reply_to,
            client_id=client_id,
        )
        if published is not None:
            return published[1], True
    message, _snoozed = await insert_message(
        session,
        conversation.id,
        conversation.open_ticket_id,
        agent_author(agent),
        direction,
        body,
        reply_to=reply_to,
        client_id=client_id,
        file_ids=file_ids,
    )
    data = await publish_new_message(session, bus, message, conversation.inbox_id, file_ids)
    if direction == "note":
        await create_for_note(session, bus, message, conversation.inbox_id, agent)
    if ticket is not None and ticket.first_response_at is None:
        # Once per ticket: the model (row already locked) for the roll-up and the event.
        first = await session.get(m.Ticket, ticket.id)
        assert first is not None
        before = Snapshot.of(first)
        first.first_response_at = message.created_at
        await session.flush()
        await update_rollup(session, before, first)
        await publish_ticket(session, bus, first, "ticket.updated", ["first_response_at"])
    return data, True


async def check_unchanged(
    session: AsyncSession, conversation_id: int, agent_id: int, seen_message_id: int
) -> None:
    """409 ``conversation.changed`` when another agent replied or wrote a note after
    ``seen_message_id``; extra ``agent_id``, ``agent_name`` and ``message_id`` of the newest."""
    newer = await session.scalar(
        select(m.Message)
        .where(
            m.Message.conversation_id == conversation_id,
            m.Message.id > seen_message_id,
            m.Message.sender_type == "agent",
            m.Message.sender_id != agent_id,
            m.Message.direction.in_(("out", "note")),
        )
        .order_by(m.Message.id.desc())
        .limit(1)
    )
    if newer is not None:
        raise ApiError(
            409,
            "conversation.changed",
            f"{newer.sender_name} wrote in this conversation meanwhile",
            agent_id=newer.sender_id,
            agent_name=newer.sender_name,
            message_id=newer.id,
        )


async def set_reaction(
    session: AsyncSession,
    bus: EventBus,
    agent: m.Agent,
    visibility: Visibility,
    message_id: int,
    emoji: str,
    *,
    present: bool,
) -> m.Message:
    """Add (``present``) or remove this agent's ``emoji`` on a message; idempotent.

    Reacting is an agent action like a reply: the online rule applies (409
    ``agent_not_online`` while Unavailable), even when nothing would change.
    """
    require_working(agent)
    if not emoji or len(emoji) > 64:
        raise invalid("Bad emoji", "emoji")
    message = await session.get(m.Message, message_id)
    if message is None:
        raise not_found("message")
    conversation = await visible_conversation(session, visibility, message.conversation_id)
    existing = await session.get(m.Reaction, (message_id, agent.id, emoji))
    if present == (existing is not None):
        return message
    if present:
        session.add(m.Reaction(message_id=message_id, agent_id=agent.id, emoji=emoji))
    else:
        await session.execute(
            delete(m.Reaction).where(
                m.Reaction.message_id == message_id,
                m.Reaction.agent_id == agent.id,
                m.Reaction.emoji == emoji,
            )
        )
    await session.flush()
    await publish_message(session, bus, message, conversation.inbox_id, "message.updated")
    return message
