"""The first page of ``GET /tickets`` read on the driver connection, in hand-written SQL.

An agent's ticket list polls one shape: the first page, newest activity first, with no text
search, count or side-loaded contacts. Through SQLAlchemy its one statement cost more than the
rest of the request (``benchmarks/RESULTS.md``, issue 14, eighth round): the session, its
``BEGIN``, the execution context, the greenlet hop, the ``ROLLBACK``. Here the same statement
(``serialize.item_select`` of ``tickets.ticket_query`` ordered and limited as
``tickets._first_page`` does it: same columns in the same order, same joins, same
conditions; pinned against it by ``tests/server/test_ticket_page_sql.py``) runs as text:

* **SQLite file**: on ``Database.page_reader``, a plain read-only ``sqlite3`` connection on
  the event-loop thread, inside one read transaction (``LoopReader.snapshot``: the last
  messages' reactions, files and quoted messages are read in the same snapshot as the
  items). The page read ran on the loop before too (``Database.read``'s inline
  connections): a first page of a view stops after ``limit + 1`` rows of
  ``ix_tickets_last``. Text searches, counts, and the filters the order's index cannot stop
  early on (labels, snoozes, opening days: ``api.tickets._grows_with_data``), whose cost
  grows with the data, keep aiosqlite's worker threads.
* **PostgreSQL**: on a pooled ``asyncpg`` connection outside any transaction
  (``db.pg_driver``): each statement sees the last commit, as under the session's
  ``READ COMMITTED`` before.

Raw driver values go straight into the fragment key (``serialize.page_item``); errors are
raised as SQLAlchemy's classes, as a Core statement raised them (``db.driver_sql``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Dialect

from convos_server.db import driver_sql
from convos_server.db import models as m
from convos_server.db.engine import Database
from convos_server.db.inline_sqlite import LoopReader
from convos_server.db.pg_driver import pg_rows
from convos_server.serialize import (
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


def first_page_sql(
    dialect: Dialect,
    agent_id: int,
    visibility: Visibility,
    flt: TicketFilter,
    size: int,
    last_message: LastMessage,
) -> FirstPage | None:
    """The first page's statement: ``size + 1`` items, newest activity first; ``None`` when
    the agent sees no inbox (no row can match: nothing to run)."""
    if flt.q:
        raise ValueError("a text search is not a driver page")
    if not visibility.everything and not visibility.inbox_ids:
        return None
    statement = _Statement(dialect)
    statement.visible(visibility)
    _filtered(statement, agent_id, flt)
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


def _read_sqlite(
    reader: LoopReader, dialect: Dialect, page: FirstPage, last_message: LastMessage
) -> tuple[list[Any], ItemParts]:
    """The items and their parts, in one read transaction on the event-loop thread."""
    with reader.snapshot() as connection:
        items = driver_sql.rows(connection, page.sql, page.parameters)
        wanted = wanted_parts(items, last_message)
        if wanted is None:
            return items, no_parts()

        def read(sql: str, ids: list[int]) -> list[Any]:
            return driver_sql.rows(connection, sql, (json.dumps(ids),)) if ids else []

        return items, _parts_of(dialect, wanted, read)


async def _read_postgres(
    db: Database, page: FirstPage, last_message: LastMessage
) -> tuple[list[Any], ItemParts]:
    """The items and their parts on a pooled ``asyncpg`` connection (no transaction)."""
    async with pg_rows(db.engine) as rows:
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
    return items, _parts_of(db.engine.dialect, wanted, lambda sql, _ids: fetched[sql])


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


async def first_page_items(
    db: Database,
    agent_id: int,
    visibility: Visibility,
    query: FirstPageQuery,
    fragments: TicketFragments,
) -> tuple[list[bytes], str | None] | None:
    """The first page's items as JSON bytes and the next page's keyset cursor, read on the
    driver connection; ``None`` where there is none to read on (an in-memory SQLite
    database): the caller reads it through SQLAlchemy."""
    dialect = db.engine.dialect
    page = first_page_sql(dialect, agent_id, visibility, query.flt, query.size, query.last_message)
    if page is None:
        return [], None
    read = await read_items(db, page, query.last_message)
    if read is None:
        return None
    items, parts = read
    decoder = decoder_for(dialect, query.last_message)
    cursor = None
    if len(items) > query.size:
        items = items[: query.size]
        cursor = encode_cursor(decoder.last_message_at(items[-1]), items[-1][0])
    encoded = [page_item(item, parts, query.last_message, fragments, decoder) for item in items]
    return encoded, cursor


@dataclass(frozen=True, slots=True)
class FirstPageQuery:
    """What a first page is read for: its filters, size and ``last_message`` option."""

    flt: TicketFilter
    size: int
    last_message: LastMessage
