"""The ticket history as CSV: every matching ticket, streamed in batches.

Each batch reads in a short session of its own, so a long download holds no connection or
read transaction, and memory stays that of one batch whatever the number of tickets.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import AsyncIterator, Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from convos_server.db import models as m
from convos_server.db.engine import Database
from convos_server.services.tickets import TicketFilter, TicketSort, list_tickets
from convos_server.services.visibility import Visibility

BATCH = 500
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
    """CSV bytes: the header (with a BOM, for spreadsheets), then one chunk per batch."""
    async with db.sessionmaker() as session:
        inboxes = {
            row.id: row.name for row in await session.execute(select(m.Inbox.id, m.Inbox.name))
        }
        agents = {
            row.id: row.name for row in await session.execute(select(m.Agent.id, m.Agent.name))
        }
    yield ("\ufeff" + _line(HEADER)).encode()
    cursor: str | None = None
    while True:
        async with db.sessionmaker() as session:
            rows, cursor = await list_tickets(
                session, agent, visibility, flt, cursor, BATCH, sort, descending, BATCH
            )
            contacts = await _contacts(session, rows)
        lines = [_ticket_line(t, inboxes, agents, contacts) for t in rows]
        if lines:
            yield "".join(lines).encode()
        if cursor is None:
            return


async def _contacts(session: AsyncSession, rows: Sequence[m.Ticket]) -> dict[int, m.Contact]:
    ids = {ticket.contact_id for ticket in rows}
    if not ids:
        return {}
    found = await session.scalars(select(m.Contact).where(m.Contact.id.in_(ids)))
    return {contact.id: contact for contact in found}


def _ticket_line(
    ticket: m.Ticket,
    inboxes: dict[int, str],
    agents: dict[int, str],
    contacts: dict[int, m.Contact],
) -> str:
    contact = contacts.get(ticket.contact_id)
    return _line(
        (
            str(ticket.id),
            ticket.status,
            inboxes.get(ticket.inbox_id, ""),
            contact.name if contact else "",
            (contact.phone or "") if contact else "",
            (contact.email or "") if contact else "",
            agents.get(ticket.assignee_id, "") if ticket.assignee_id else "",
            _iso(ticket.opened_at),
            _seconds(ticket.opened_at, ticket.first_response_at),
            _iso(ticket.closed_at),
            _seconds(ticket.opened_at, ticket.closed_at),
            str(ticket.reopen_count),
        )
    )


def _iso(moment: dt.datetime | None) -> str:
    return moment.astimezone(dt.UTC).isoformat(timespec="seconds") if moment else ""


def _seconds(start: dt.datetime, end: dt.datetime | None) -> str:
    return "" if end is None else str(round((end - start).total_seconds()))


def _line(cells: Sequence[str]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow([_defused(cell) for cell in cells])
    return buffer.getvalue()


def _defused(cell: str) -> str:
    """A cell a spreadsheet will not run as a formula (CSV injection)."""
    return "'" + cell if cell[:1] in ("=", "+", "-", "@", "\t", "\r") else cell
