"""The ticket history as CSV: every matching ticket, streamed in batches.

Each batch reads in a short session of its own, so a long download holds no connection or
read transaction, and memory stays that of one batch whatever the number of tickets. A batch
is one query of just the columns written (the contact joined in), paged by keyset on the
sort value and the id: each batch starts where the last one ended, without counting past
the rows before it, so the export is linear in the number of tickets.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import AsyncIterator, Iterable, Sequence
from typing import Any

from sqlalchemy import ColumnElement, Row, select, tuple_
from sqlalchemy.orm import aliased

from convos_server.db import models as m
from convos_server.db.engine import Database
from convos_server.services.search import TextMatch, text_match
from convos_server.services.tickets import TicketFilter, TicketSort, sort_key, ticket_query
from convos_server.services.visibility import Visibility

BATCH = 2_000
HEADER = (
    "ticket_id",
    "status",
    "inbox",
    "contact",
    "contact_phone",
    "contact_email",
    "assignee",
    "opened_at",
    "first_response_s",
    "closed_at",
    "resolution_s",
    "reopen_count",
)


async def export(
    db: Database,
    agent: m.Agent,
    visibility: Visibility,
    flt: TicketFilter,
    sort: TicketSort,
    descending: bool,
) -> AsyncIterator[bytes]:
    """CSV bytes: the header (with a BOM, for spreadsheets), then one chunk per batch.

    The order is the history screen's: by the sort value, tickets without one last, ties by id.
    """
    async with db.sessionmaker() as session:
        inboxes = {
            row.id: row.name for row in await session.execute(select(m.Inbox.id, m.Inbox.name))
        }
        agents = {
            row.id: row.name for row in await session.execute(select(m.Agent.id, m.Agent.name))
        }
        dialect = session.get_bind().dialect.name
        text = await text_match(session, flt.q)
    yield ("\ufeff" + _lines([HEADER])).encode()
    key = (
        m.Ticket.last_message_at.expression
        if sort == TicketSort.ACTIVITY
        else sort_key(sort, dialect)
    )
    # first the tickets with a value in order, then those without one (by id)
    for with_value in (True, False):
        after: tuple[Any, int] | None = None
        while True:
            async with db.sessionmaker() as session:
                query = _batch_query(
                    agent, visibility, flt, text, key, descending, with_value, after
                )
                rows = (await session.execute(query.limit(BATCH))).all()
            if rows:
                yield _lines(_cells(row, inboxes, agents) for row in rows).encode()
            if len(rows) < BATCH:
                break
            after = (rows[-1].sort_value, rows[-1].id)


def _batch_query(
    agent: m.Agent,
    visibility: Visibility,
    flt: TicketFilter,
    text: TextMatch | None,
    key: ColumnElement[Any],
    descending: bool,
    with_value: bool,
    after: tuple[Any, int] | None,
) -> Any:
    ticket = m.Ticket
    # an alias: the name sorts' own sub-select of contacts must not correlate with this join
    contact = aliased(m.Contact)
    query = (
        ticket_query(agent, visibility, flt, text)
        .with_only_columns(
            ticket.id,
            ticket.status,
            ticket.inbox_id,
            ticket.assignee_id,
            ticket.opened_at,
            ticket.first_response_at,
            ticket.closed_at,
            ticket.reopen_count,
            contact.name,
            contact.phone,
            contact.email,
            key.label("sort_value"),
        )
        .outerjoin(contact, contact.id == ticket.contact_id)
    )
    query = query.where(key.is_not(None) if with_value else key.is_(None))
    if after is not None:
        value, last_id = after
        if with_value:
            position, last = tuple_(key, ticket.id), tuple_(value, last_id)
            query = query.where(position < last if descending else position > last)
        else:
            query = query.where(ticket.id < last_id if descending else ticket.id > last_id)
    ids = ticket.id.desc() if descending else ticket.id.asc()
    if with_value:
        return query.order_by(key.desc() if descending else key.asc(), ids)
    return query.order_by(ids)


def _cells(row: Row[Any], inboxes: dict[int, str], agents: dict[int, str]) -> tuple[str, ...]:
    return (
        str(row.id),
        row.status,
        inboxes.get(row.inbox_id, ""),
        row.name or "",
        row.phone or "",
        row.email or "",
        agents.get(row.assignee_id, "") if row.assignee_id else "",
        _iso(row.opened_at),
        _seconds(row.opened_at, row.first_response_at),
        _iso(row.closed_at),
        _seconds(row.opened_at, row.closed_at),
        str(row.reopen_count),
    )


def _iso(moment: dt.datetime | None) -> str:
    return moment.astimezone(dt.UTC).isoformat(timespec="seconds") if moment else ""


def _seconds(start: dt.datetime, end: dt.datetime | None) -> str:
    return "" if end is None else str(round((end - start).total_seconds()))


def _lines(rows: Iterable[Sequence[str]]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(
        [_defused(cell) for cell in cells] for cells in rows
    )
    return buffer.getvalue()


def _defused(cell: str) -> str:
    """A cell a spreadsheet will not run as a formula (CSV injection)."""
    return "'" + cell if cell[:1] in ("=", "+", "-", "@", "\t", "\r") else cell
