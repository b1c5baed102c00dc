"""The first page of ``GET /tickets`` read on the driver connection, in hand-written SQL.

An agent's ticket list polls one shape: the first page, newest activity first, with no text
search, count or side-loaded contacts. Through SQLAlchemy its one statement cost more than the
rest of the request (``benchmarks/RESULTS.md``, issue 14, eighth round): the session, its
``BEGIN``, the execution context, the greenlet hop, the ``ROLLBACK``. Here the same statement
(``serialize.item_select`` of ``tickets.ticket_query`` ordered and limited as
``tickets._first_page`` does it: same columns in the same order, same joins, same
conditions; pinned against it by ``tests/server/test_ticket_page_sql.py``) runs as text:

* **SQLite file**: on ``Database.page_reader``, a plain read-only ``sqlite3`` connection on
  the event-loop thread: the page's heads in their own read transaction, the items read
  whole in one snapshot with their last messages' reactions, files and quoted messages
  (``LoopReader.snapshot``). The page read ran on the loop before too (``Database.read``'s inline
  connections): a first page of a view stops after ``limit + 1`` rows of
  ``ix_tickets_last``. Text searches, counts, and the filters the order's index cannot stop
  early on (labels, snoozes, opening days: ``api.tickets._grows_with_data``), whose cost
  grows with the data, keep aiosqlite's worker threads.
* **PostgreSQL**: on a pooled ``asyncpg`` connection outside any transaction, one of the few
  kept checked out between pages (``Database.kept_connections``, ``db.pg_driver``): each
  statement sees the last commit, of this process or any other, as under the session's
  ``READ COMMITTED`` before.

A polled page reads its heads first (``first_page_items``: ticket ids, ``tickets.revision``
and, for items with their last message, their conversation's ``conversations.revision``: the
database changes the first with every write of a ticket's row or labels, migration 0010, and
the second with every write of the conversation's row, messages, reactions and files,
migration 0011); the same heads as last time give the same page, and otherwise only the items
whose kept fragment has other revisions are read whole (``items_by_id_sql``; on PostgreSQL
with their last messages' parts in the same statement, ``ITEMS_WITH_PARTS_PG``: a changed page
is two round trips, an unchanged one one, where it was up to five and one). Raw driver
values go straight into the fragment key (``serialize.page_item``); errors are raised as
SQLAlchemy's classes, as a Core statement raised them (``db.driver_sql``).
"""

from __future__ import annotations

import functools
import json
import sqlite3
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Dialect

from convos_server.db import driver_sql
from convos_server.db import models as m
from convos_server.db.engine import Database
from convos_server.db.inline_sqlite import LoopReader
from convos_server.db.pg_driver import PgRows, pg_rows
from convos_server.serialize import (
    LM_HAS_FILES,
    LM_ID,
    TICKET_ID,
    Fragment,
    ItemDecoder,
    ItemParts,
    LastMessage,
    TicketFragments,
    WantedParts,
    decoder_for,
    no_parts,
    page_item,
    parts_decoders,
    wanted_parts,
)
from convos_server.services.paging import encode_cursor
from convos_server.services.tickets import TicketFilter
from convos_server.services.visibility import Visibility

_TICKET_COLUMNS = ", ".join(f"tickets.{column.name}" for column in m.Ticket.__table__.c)
_LM_COLUMNS = ", ".join(f"lm.{column.name} AS lm_{column.name}" for column in m.Message.__table__.c)
_LM_HAS = (
    "EXISTS (SELECT * FROM reactions WHERE reactions.message_id = lm.id) AS lm_has_reactions, "
    "EXISTS (SELECT * FROM message_files WHERE message_files.message_id = lm.id) AS lm_has_files"
)
_WITH_LAST_MESSAGE = (
    "tickets JOIN conversations AS lm_conversation "
    "ON lm_conversation.id = tickets.conversation_id "
    "LEFT OUTER JOIN messages AS lm ON lm.id = lm_conversation.last_message_id"
)
_AGGREGATE = {"sqlite": "group_concat", "postgresql": "string_agg"}
_MOMENT = m.UTCDateTime()
_FILE_COLUMNS = ", ".join(f"files.{column.name}" for column in m.File.__table__.c)


def _select_list(dialect: str, last_message: LastMessage) -> str:
    """``serialize._ITEM_COLUMNS[last_message]`` as SQL, in the same order."""
    labels = (
        f"(SELECT {_AGGREGATE[dialect]}(CAST(ticket_labels.label_id AS VARCHAR), ',') "
        "FROM ticket_labels WHERE ticket_labels.ticket_id = tickets.id) AS label_ids"
    )
    columns = [_TICKET_COLUMNS, labels]
    if last_message != "none":
        columns.append(_LM_COLUMNS)
        columns.append("lm_conversation.revision AS conversation_revision")
    if last_message == "full":
        columns.append(_LM_HAS)
    return ", ".join(columns)


class _Statement:
    """A statement's SQL and parameters, with the placeholders of its dialect."""

    def __init__(self, dialect: Dialect) -> None:
        self._dialect = dialect
        self.dialect = dialect.name
        self.where: list[str] = []
        self.parameters: list[Any] = []

    def bind(self, value: Any) -> str:
        """A placeholder for ``value``."""
        self.parameters.append(value)
        return "?" if self.dialect == "sqlite" else f"${len(self.parameters)}"

    def bool_literal(self, value: bool) -> str:
        """``value`` as SQLAlchemy renders it after ``IS``."""
        if self.dialect == "sqlite":
            return "1" if value else "0"
        return "true" if value else "false"

    def moment(self, value: Any) -> Any:
        """A ``UTCDateTime`` parameter as SQLAlchemy binds it."""
        if self.dialect == "sqlite":
            return driver_sql.stored_moment(value)
        return _MOMENT.process_bind_param(value, self._dialect)

    def visible(self, visibility: Visibility) -> None:
        """``visibility.inbox_filter(tickets.inbox_id)`` (not called when it sees nothing)."""
        if visibility.everything:
            return
        ids = sorted(visibility.inbox_ids)
        if self.dialect == "sqlite":
            self.where.append(f"tickets.inbox_id IN ({', '.join(self.bind(i) for i in ids)})")
        else:
            self.where.append(f"tickets.inbox_id = ANY({self.bind(ids)}::INTEGER[])")


def _filtered(statement: _Statement, agent_id: int, flt: TicketFilter) -> None:
    """``tickets.ticket_query``'s conditions for ``flt`` (no text search), in its order."""
    where, bind = statement.where, statement.bind
    status = flt.status or ("open" if flt.view in ("mine", "unassigned") else None)
    if status is not None:
        where.append(f"tickets.status = {bind(status)}")
    if flt.view == "mine":
        where.append(f"tickets.assignee_id = {bind(agent_id)}")
    elif flt.view == "unassigned":
        where.append("tickets.assignee_id IS NULL")
    snoozed = {"mine": False, "unassigned": False, "snoozed": True}.get(flt.view, flt.snoozed)
    if flt.view == "snoozed":
        where.append(f"tickets.status = {bind('open')}")
    if snoozed is not None:
        where.append(f"tickets.snoozed IS {statement.bool_literal(snoozed)}")
    if flt.label_id is not None:
        where.append(
            "tickets.id IN (SELECT ticket_labels.ticket_id FROM ticket_labels "
            f"WHERE ticket_labels.label_id = {bind(flt.label_id)})"
        )
    for column, value in (
        ("inbox_id", flt.inbox_id),
        ("assignee_id", flt.assignee_id),
        ("contact_id", flt.contact_id),
    ):
        if value is not None:
            where.append(f"tickets.{column} = {bind(value)}")
    if flt.opened_from is not None:
        where.append(f"tickets.opened_at >= {bind(statement.moment(flt.opened_from))}")
    if flt.opened_to is not None:
        where.append(f"tickets.opened_at < {bind(statement.moment(flt.opened_to))}")


@dataclass(frozen=True, slots=True)
class FirstPage:
    """The SQL and parameters of one first page (``first_page_sql``)."""

    sql: str
    parameters: tuple[Any, ...]


# A page's heads: which tickets, in which order, at which revisions (the ticket's, and its
# conversation's for an item with its last message: migrations 0010, 0011).
_HEADS = "tickets.id, tickets.revision FROM tickets"
_HEADS_WITH_CONVERSATION = (
    "tickets.id, tickets.revision, lm_conversation.revision FROM tickets "
    "JOIN conversations AS lm_conversation ON lm_conversation.id = tickets.conversation_id"
)


@functools.lru_cache(maxsize=1024)
def first_page_sql(
    dialect: Dialect,
    agent_id: int,
    visibility: Visibility,
    flt: TicketFilter,
    size: int,
    last_message: LastMessage,
    heads: bool = False,
) -> FirstPage | None:
    """The first page's statement: ``size + 1`` items, newest activity first (``heads``: only
    their ``_HEADS``); ``None`` when the agent sees no inbox (no row can match). A pure
    function of its arguments, kept for the pages polled again (building it was ~4 % of a
    page's CPU)."""
    if flt.q:
        raise ValueError("a text search is not a driver page")
    if not visibility.everything and not visibility.inbox_ids:
        return None
    statement = _Statement(dialect)
    statement.visible(visibility)
    _filtered(statement, agent_id, flt)
    if heads:
        sql = f"SELECT {_HEADS if last_message == 'none' else _HEADS_WITH_CONVERSATION}"
    else:
        source = "tickets" if last_message == "none" else _WITH_LAST_MESSAGE
        sql = f"SELECT {_select_list(dialect.name, last_message)} FROM {source}"
    if statement.where:
        sql += " WHERE " + " AND ".join(statement.where)
    sql += " ORDER BY tickets.last_message_at DESC, tickets.id DESC"
    sql += f" LIMIT {statement.bind(size + 1)}"
    return FirstPage(sql, tuple(statement.parameters))


def _in_ids(dialect: str, column: str) -> str:
    """``db.in_ids``' SQL: the ids bound as one parameter."""
    if dialect == "sqlite":
        return f"{column} IN (SELECT value FROM json_each(?))"
    return f"{column} = ANY($1::INTEGER[])"


def parts_sql(dialect: str) -> tuple[str, str, str]:
    """``serialize._REACTIONS``, ``_FILES`` and ``_PREVIEWS`` as SQL of ``dialect``."""
    return (
        "SELECT reactions.message_id, reactions.emoji, reactions.agent_id FROM reactions "
        f"WHERE {_in_ids(dialect, 'reactions.message_id')} "
        "ORDER BY reactions.message_id, reactions.created_at, reactions.agent_id",
        f"SELECT message_files.message_id AS of_message, {_FILE_COLUMNS} "
        "FROM message_files JOIN files ON files.id = message_files.file_id "
        f"WHERE {_in_ids(dialect, 'message_files.message_id')} "
        "ORDER BY message_files.message_id, message_files.position",
        "SELECT messages.id, messages.body, messages.sender_name, messages.direction "
        f"FROM messages WHERE {_in_ids(dialect, 'messages.id')}",
    )


_PARTS_SQL = {dialect: parts_sql(dialect) for dialect in ("sqlite", "postgresql")}

# PostgreSQL: the whole rows of the tickets whose ids are bound (``items_by_id_sql``, "full")
# with, after their columns, their last messages' parts: the reactions' (emoji, agent id) and
# the files' rows (``parts_sql``'s columns) as arrays of records in ``parts_sql``'s order, and
# the quoted message's preview as a record. The rows and ``parts_sql``'s three statements in
# one statement: one round trip (and one snapshot).
ITEMS_WITH_PARTS_PG = (
    f"SELECT {_select_list('postgresql', 'full')}, "
    "ARRAY(SELECT ROW(reactions.emoji, reactions.agent_id) FROM reactions "
    "WHERE reactions.message_id = lm.id ORDER BY reactions.created_at, reactions.agent_id), "
    f"ARRAY(SELECT ROW(message_files.message_id, {_FILE_COLUMNS}) "
    "FROM message_files JOIN files ON files.id = message_files.file_id "
    "WHERE message_files.message_id = lm.id ORDER BY message_files.position), "
    "(SELECT ROW(messages.id, messages.body, messages.sender_name, messages.direction) "
    "FROM messages WHERE messages.id = lm.reply_to) "
    f"FROM {_WITH_LAST_MESSAGE} WHERE tickets.id = ANY($1::INTEGER[])"
)
_FULL_WIDTH = LM_HAS_FILES + 1  # an item row's columns ("full"), the parts after them


def items_by_id_sql(dialect: str, last_message: LastMessage) -> str:
    """The item rows of the tickets whose ids are bound as one parameter (any order)."""
    source = "tickets" if last_message == "none" else _WITH_LAST_MESSAGE
    return (
        f"SELECT {_select_list(dialect, last_message)} FROM {source} "
        f"WHERE {_in_ids(dialect, 'tickets.id')}"
    )


_BY_ID_SQL = {
    (dialect, option): items_by_id_sql(dialect, option)
    for dialect in ("sqlite", "postgresql")
    for option in ("full", "brief", "none")
}


def _parts_of(
    dialect: Dialect, wanted: WantedParts, read: Callable[[str, list[int]], Sequence[Any]]
) -> ItemParts:
    """``ItemParts`` from the raw rows ``read(sql, ids)`` gives for the three statements."""
    reactions_sql, files_sql, previews_sql = _PARTS_SQL[dialect.name]
    files, previews = parts_decoders(dialect)
    parts = no_parts()
    for message_id, emoji, agent_id in read(reactions_sql, wanted.with_reactions):
        parts.reactions.setdefault(message_id, []).append((emoji, agent_id))
    for raw in read(files_sql, wanted.with_files):
        row = files.decode(raw)
        parts.files[row.of_message].append(row)
    for raw in read(previews_sql, wanted.quoted):
        row = previews.decode(raw)
        parts.previews[row.id] = row
    return parts


def _sqlite_items(
    connection: sqlite3.Connection,
    dialect: Dialect,
    page: FirstPage,
    last_message: LastMessage,
) -> tuple[list[Any], ItemParts]:
    """The item rows of ``page`` and their parts, on ``connection`` (in its snapshot)."""
    items = driver_sql.rows(connection, page.sql, page.parameters)
    wanted = wanted_parts(items, last_message)
    if wanted is None:
        return items, no_parts()

    def read(sql: str, ids: list[int]) -> list[Any]:
        return driver_sql.rows(connection, sql, (json.dumps(ids),)) if ids else []

    return items, _parts_of(dialect, wanted, read)


def _read_sqlite(
    reader: LoopReader, dialect: Dialect, page: FirstPage, last_message: LastMessage
) -> tuple[list[Any], ItemParts]:
    """The items and their parts, in one read transaction on the event-loop thread."""
    with reader.snapshot() as connection:
        return _sqlite_items(connection, dialect, page, last_message)


async def _pg_items(
    rows: PgRows, dialect: Dialect, page: FirstPage, last_message: LastMessage
) -> tuple[list[Any], ItemParts]:
    """The item rows of ``page`` and their parts, one statement after the other."""
    items = await rows.fetch(page.sql, page.parameters)
    wanted = wanted_parts(items, last_message)
    if wanted is None:
        return items, no_parts()
    fetched: dict[str, list[Any]] = {}
    for sql, ids in zip(
        _PARTS_SQL["postgresql"],
        (wanted.with_reactions, wanted.with_files, wanted.quoted),
        strict=True,
    ):
        fetched[sql] = await rows.fetch(sql, (ids,)) if ids else []
    return items, _parts_of(dialect, wanted, lambda sql, _ids: fetched[sql])


def _add_parts(dialect: Dialect, parts: ItemParts, item: Any, records: Sequence[Any]) -> None:
    """One item's last message's parts from ``ITEMS_WITH_PARTS_PG``'s records, as
    ``_parts_of`` gives them (two tickets of one conversation give the same message's; the
    parts of a message that has none are left out, as ``wanted_parts`` leaves them unread)."""
    reactions, files, preview = records
    files_decoder, previews_decoder = parts_decoders(dialect)
    message_id = item[LM_ID]
    if reactions:
        parts.reactions[message_id] = [(emoji, agent_id) for emoji, agent_id in reactions]
    if files:
        parts.files[message_id] = [files_decoder.decode(file) for file in files]
    if preview is not None:
        parts.previews[preview[0]] = previews_decoder.decode(preview)


async def _pg_items_with_parts(
    rows: PgRows, dialect: Dialect, ids: list[int]
) -> tuple[list[Any], ItemParts]:
    """The item rows ("full") of the tickets ``ids`` and their parts, in one statement."""
    items: list[Any] = []
    parts = no_parts()
    for row in await rows.fetch(ITEMS_WITH_PARTS_PG, (ids,)):
        item = row[:_FULL_WIDTH]
        items.append(item)
        _add_parts(dialect, parts, item, row[_FULL_WIDTH:])
    return items, parts


async def _read_postgres(
    db: Database, page: FirstPage, last_message: LastMessage
) -> tuple[list[Any], ItemParts]:
    """The items and their parts on a pooled ``asyncpg`` connection (no transaction)."""
    async with pg_rows(db.engine) as rows:
        return await _pg_items(rows, db.engine.dialect, page, last_message)


async def read_items(
    db: Database, page: FirstPage, last_message: LastMessage
) -> tuple[list[Any], ItemParts] | None:
    """The raw item rows of ``page`` and their last messages' parts, read on the driver
    connection; ``None`` where there is none (an in-memory SQLite database)."""
    if db.page_reader is not None:
        return _read_sqlite(db.page_reader, db.engine.dialect, page, last_message)
    if db.is_postgres:
        return await _read_postgres(db, page, last_message)
    return None


# A first page as encoded: its items' JSON bytes and the next page's keyset cursor.
Page = tuple[list[bytes], str | None]


@dataclass(frozen=True, slots=True)
class _Current:
    """A first page as read: its heads (``_HEADS`` rows, newest first, up to ``size + 1``),
    the fragments of the items at the heads' revisions, and the raw rows and parts of the
    others."""

    heads: list[Any]
    kept: dict[int, Fragment]
    items: list[Any]
    parts: ItemParts


def _by_ids(dialect: Dialect, last_message: LastMessage, stale: list[int]) -> FirstPage:
    """The item statement of the tickets ``stale``, with its one parameter."""
    ids: Any = json.dumps(stale) if dialect.name == "sqlite" else stale
    return FirstPage(_BY_ID_SQL[(dialect.name, last_message)], (ids,))


def _seen(
    fragments: TicketFragments, heads_page: FirstPage, option: LastMessage, heads: list[Any]
) -> Page | None:
    """The page encoded last time for the same statement and option when its heads were
    exactly these (same tickets, same order, same revisions: no item changed)."""
    found = fragments.pages.get((id(heads_page), option))
    if found is None or found[0] is not heads_page or found[1] != heads:
        return None
    return found[2], found[3]


def _finished(
    fragments: TicketFragments,
    heads_page: FirstPage,
    query: FirstPageQuery,
    read: _Current,
    decoder: ItemDecoder,
) -> Page:
    """The page encoded from ``read``, remembered with its heads for ``_seen``."""
    page = _encoded(read, query, fragments, decoder)
    if len(page[0]) == len(read.heads[: query.size]):  # no ticket gone between statements
        key = (id(heads_page), query.last_message)
        fragments.pages.put(key, (heads_page, read.heads, page[0], page[1]))
    return page


# What a page reads on its driver: the heads of a statement, and the items of ``_by_ids``.
ReadHeads = Callable[[FirstPage], Awaitable[list[Any]]]
ReadItems = Callable[[FirstPage], Awaitable[tuple[list[Any], ItemParts]]]


async def _read_page(
    heads_page: FirstPage,
    query: FirstPageQuery,
    fragments: TicketFragments,
    dialect: Dialect,
    read_heads: ReadHeads,
    read_items: ReadItems,
) -> Page:
    """The heads; when they differ from the last ones, the rows of the items not current in
    ``fragments`` with their parts (each item is kept with the revisions its own row was
    read at)."""
    heads = await read_heads(heads_page)
    seen = _seen(fragments, heads_page, query.last_message, heads)
    if seen is not None:
        return seen
    kept, stale = fragments.current(query.last_message, heads[: query.size])
    items: list[Any] = []
    parts = no_parts()
    if stale:
        items, parts = await read_items(_by_ids(dialect, query.last_message, stale))
    read = _Current(heads, kept, items, parts)
    return _finished(fragments, heads_page, query, read, decoder_for(dialect, query.last_message))


def _sqlite_readers(
    reader: LoopReader, dialect: Dialect, last_message: LastMessage
) -> tuple[ReadHeads, ReadItems]:
    """The heads in one statement (its own read transaction), the items in one snapshot
    with their parts."""

    async def heads(page: FirstPage) -> list[Any]:
        return driver_sql.rows(reader.connection(), page.sql, page.parameters)

    async def items(page: FirstPage) -> tuple[list[Any], ItemParts]:
        with reader.snapshot() as connection:
            return _sqlite_items(connection, dialect, page, last_message)

    return heads, items


def _pg_readers(
    rows: PgRows, dialect: Dialect, last_message: LastMessage
) -> tuple[ReadHeads, ReadItems]:
    """The same on ``asyncpg``: each statement sees the last commit; the items with their
    last messages' parts in one statement (``ITEMS_WITH_PARTS_PG``: two round trips for a
    changed page, not up to five)."""

    async def heads(page: FirstPage) -> list[Any]:
        return await rows.fetch(page.sql, page.parameters)

    async def items(page: FirstPage) -> tuple[list[Any], ItemParts]:
        if last_message == "full":
            return await _pg_items_with_parts(rows, dialect, page.parameters[0])
        return await _pg_items(rows, dialect, page, last_message)

    return heads, items


def _encoded(
    read: _Current, query: FirstPageQuery, fragments: TicketFragments, decoder: ItemDecoder
) -> Page:
    """The page's items as JSON bytes in the heads' order, kept or formatted from their rows
    (``page_item``, which stores them with their revisions), and the next page's keyset
    cursor. A ticket gone between the statements (PostgreSQL) is left out."""
    rows = {item[TICKET_ID]: item for item in read.items}
    encoded: list[bytes] = []
    values: Sequence[Any] = ()
    for head in read.heads[: query.size]:
        ticket_id = head[0]
        found = read.kept.get(ticket_id)
        if found is not None:
            values = found[0]
            encoded.append(found[2])
        elif (item := rows.get(ticket_id)) is not None:
            values = item
            encoded.append(page_item(item, read.parts, query.last_message, fragments, decoder))
    cursor = None
    if len(read.heads) > query.size and values:
        cursor = encode_cursor(decoder.last_message_at(values), values[TICKET_ID])
    return encoded, cursor


async def first_page_items(
    db: Database,
    agent_id: int,
    visibility: Visibility,
    query: FirstPageQuery,
    fragments: TicketFragments,
) -> Page | None:
    """The first page's items as JSON bytes and the next page's keyset cursor, read on the
    driver connection; ``None`` where there is none to read on (an in-memory SQLite
    database): the caller reads it through SQLAlchemy.

    The page's heads (ids and revisions, newest first) are read first: the same heads as
    last time give the same page; otherwise only the items whose revisions differ from their
    fragment's are read whole (``tickets.revision`` and ``conversations.revision``,
    migrations 0010 and 0011)."""
    dialect = db.engine.dialect
    heads_page = first_page_sql(
        dialect, agent_id, visibility, query.flt, query.size, query.last_message, True
    )
    if heads_page is None:
        return [], None
    if db.page_reader is not None:
        readers = _sqlite_readers(db.page_reader, dialect, query.last_message)
        return await _read_page(heads_page, query, fragments, dialect, *readers)
    if db.kept_connections is not None:
        async with db.kept_connections.rows() as rows:
            readers = _pg_readers(rows, dialect, query.last_message)
            return await _read_page(heads_page, query, fragments, dialect, *readers)
    return None


@dataclass(frozen=True, slots=True)
class FirstPageQuery:
    """What a first page is read for: its filters, size and ``last_message`` option."""

    flt: TicketFilter
    size: int
    last_message: LastMessage
