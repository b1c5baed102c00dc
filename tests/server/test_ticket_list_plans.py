"""A status's first page (``GET /tickets?status=closed``, ``open``, the Snoozed view) is read off
an index in its order, not sorted (migration 0013, ``ix_tickets_status_last``).

Before it, an admin's closed page was planned on ``ix_tickets_status_closed`` (``status = ?``)
with a temporary B-tree over every closed ticket on SQLite (476 ms at 100,000 tickets), and an
agent of several inboxes got the same sort on ``ix_tickets_status_inbox``; on PostgreSQL, when
the status is not most of the tickets, a sort of all of them. Checked with ``EXPLAIN QUERY
PLAN`` (SQLite, no ``ANALYZE``, as the server runs it) and ``EXPLAIN`` after ``ANALYZE``
(PostgreSQL, closed tickets a tenth of the table) for the statements the page runs: its heads
and its whole items.
"""

from __future__ import annotations

import sqlite3
from typing import Any

import asyncpg
import pytest
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects.sqlite.aiosqlite import SQLiteDialect_aiosqlite
from sqlalchemy.engine import make_url

from convos_server.db.migrate import upgrade_to_head
from convos_server.services import ticket_page
from convos_server.services.tickets import TicketFilter
from convos_server.services.visibility import Visibility
from tests.server.conftest import BACKENDS

TICKETS = 20_000
ADMIN = Visibility(1, True, frozenset())
AGENT_OF_THREE = Visibility(2, False, frozenset({1, 2, 3}))
STATUSES = (
    TicketFilter(status="closed"),
    TicketFilter(status="open"),
    TicketFilter(view="snoozed"),
)


def _statements(dialect: Any, visibility: Visibility, flt: TicketFilter) -> list[Any]:
    """The page's statements for ``flt``: its heads and its whole items."""
    found = [
        ticket_page.first_page_sql(dialect, visibility.agent_id, visibility, flt, 50, "full", heads)
        for heads in (False, True)
    ]
    assert None not in found
    return found


@pytest.mark.parametrize("backend", [BACKENDS[0]])
async def test_on_sqlite_a_status_page_walks_the_status_index(database_url: str) -> None:
    await upgrade_to_head(database_url)
    path = make_url(database_url).database
    assert path is not None
    connection = sqlite3.connect(path)
    try:
        connection.executemany(
            "INSERT INTO tickets (id, conversation_id, inbox_id, contact_id, status, "
            "opened_at, last_message_at, reopen_count, snoozed) "
            "VALUES (?, ?, ?, 1, ?, '2026-01-01', ?, 0, 0)",
            [
                (n, n, n % 20 + 1, "closed" if n % 10 else "open", f"2026-01-01 {n:09d}")
                for n in range(1, 2_001)
            ],
        )
        plans = {}
        for visibility in (ADMIN, AGENT_OF_THREE):
            for flt in STATUSES:
                for page in _statements(SQLiteDialect_aiosqlite(), visibility, flt):
                    rows = connection.execute("EXPLAIN QUERY PLAN " + page.sql, page.parameters)
                    plans[(visibility.agent_id, flt, page.sql)] = " | ".join(r[3] for r in rows)
    finally:
        connection.close()
    for key, plan in plans.items():
        assert "USING INDEX ix_tickets_status_last (status=?)" in plan, (key, plan)
        assert "TEMP B-TREE" not in plan, (key, plan)


@pytest.mark.postgres
@pytest.mark.parametrize("backend", [BACKENDS[1]])
async def test_on_postgres_a_status_page_walks_the_status_index(database_url: str) -> None:
    await upgrade_to_head(database_url)
    url = make_url(database_url).set(drivername="postgresql")
    connection = await asyncpg.connect(url.render_as_string(hide_password=False))
    try:
        await connection.execute(
            "ALTER TABLE tickets DISABLE TRIGGER ALL; "
            "INSERT INTO tickets (id, conversation_id, inbox_id, contact_id, status, opened_at, "
            "last_message_at, snoozed, reopen_count) SELECT n, n, n % 20 + 1, 1, "
            "CASE WHEN n % 10 = 0 THEN 'closed' ELSE 'open' END, now(), "
            "timestamp '2026-01-01' + n * interval '1 second', n % 7 = 0, 0 "
            f"FROM generate_series(1, {TICKETS}) AS n; "
            "ALTER TABLE tickets ENABLE TRIGGER ALL; ANALYZE"
        )
        plans = {}
        for flt in STATUSES[:1]:  # closed: a tenth of the table, the others are most of it
            for page in _statements(postgresql.asyncpg.dialect(), ADMIN, flt):
                rows = await connection.fetch("EXPLAIN " + page.sql, *page.parameters)
                plans[(flt, page.sql)] = "\n".join(row[0] for row in rows)
    finally:
        await connection.close()
    for key, plan in plans.items():
        assert "using ix_tickets_status_last on tickets" in plan, (key, plan)
        assert "Sort" not in plan, (key, plan)
