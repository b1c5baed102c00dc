"""The ticket page's first pages read on the driver connection (``services.ticket_page``).

The hand-written statement must give the rows ``serialize.item_select`` gives through
SQLAlchemy (same values, same order, same cursor) for every filter a first page takes, on
SQLite and PostgreSQL; the route must use it for the shapes clients poll and keep SQLAlchemy
(and aiosqlite's threads) for text searches and counts; errors come out as SQLAlchemy's.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import itertools
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import event, text
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects.sqlite.aiosqlite import SQLiteDialect_aiosqlite
from sqlalchemy.exc import DBAPIError

from convos_server import serialize
from convos_server.db import models as m
from convos_server.db.engine import Database
from convos_server.serialize import LastMessage, TicketFragments, load_ticket_page_items
from convos_server.services import ticket_page, tickets
from convos_server.services.tickets import TicketFilter
from convos_server.services.visibility import Visibility, visibility_for
from tests.server.conftest import BACKENDS, Workspace
from tests.server.test_ticket_page_pinned import _rich_workspace

OPTIONS: tuple[LastMessage, ...] = ("full", "brief", "none")


def _filters(inbox_ids: list[int], agent_ids: list[int], contact_id: int) -> list[TicketFilter]:
    """Every condition a first page takes, alone and as the views combine them."""
    today = dt.datetime.now(dt.UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    combined = [
        TicketFilter(view=view, status=status, snoozed=snoozed)
        for view, status, snoozed in itertools.product(
            ("all", "mine", "unassigned", "snoozed"), (None, "open", "closed"), (None, True, False)
        )
    ]
    single = [
        *(TicketFilter(inbox_id=i) for i in [*inbox_ids, 999]),
        *(TicketFilter(assignee_id=a) for a in [*agent_ids, 999]),
        TicketFilter(contact_id=contact_id),
        *(TicketFilter(label_id=label) for label in (1, 2, 999)),
        TicketFilter(opened_from=today),
        TicketFilter(opened_from=today + dt.timedelta(days=1)),
        TicketFilter(opened_to=today + dt.timedelta(days=1)),
        TicketFilter(opened_to=today),
        TicketFilter(view="mine", label_id=2, inbox_id=inbox_ids[0], opened_from=today),
    ]
    return combined + single


async def _through_sqlalchemy(
    db: Database,
    agent: m.Agent,
    visibility: Visibility,
    flt: TicketFilter,
    size: int,
    option: LastMessage,
) -> tuple[list[tuple[Any, ...]], list[bytes], str | None]:
    async with db.read() as session:
        rows, cursor = await tickets.list_tickets(
            session, agent, visibility, flt, None, size, last_message=option
        )
        items = await load_ticket_page_items(session, rows, TicketFragments(), last_message=option)
    return [tuple(row) for row in rows], items, cursor


async def _on_the_driver(
    db: Database,
    agent: m.Agent,
    visibility: Visibility,
    flt: TicketFilter,
    size: int,
    option: LastMessage,
) -> tuple[list[tuple[Any, ...]], list[bytes], str | None]:
    page = ticket_page.first_page_sql(db.engine.dialect, agent.id, visibility, flt, size, option)
    assert page is not None
    read = await ticket_page.read_items(db, page, option)
    assert read is not None
    rows = [tuple(row) for row in read[0]][:size]
    query = ticket_page.FirstPageQuery(flt, size, option)
    found = await ticket_page.first_page_items(db, agent.id, visibility, query, TicketFragments())
    assert found is not None
    return rows, *found


async def _quotes_and_reactions(ws: Workspace) -> None:
    """Last messages that quote another and carry reactions (the pinned workspace's
    reactions are on messages that are no longer last)."""
    page = (await ws.call("GET", "/tickets?limit=200"))["items"]
    agents = {agent["id"] for agent in await ws.call("GET", "/agents")}
    for index, item in enumerate(
        t for t in page if t["status"] == "open" and t["assignee_id"] in agents
    ):
        if item["last_message"]["files"]:  # keep a last message with a file
            continue
        quoted = item["last_message"]["id"]
        reply = await ws.call(
            "POST",
            f"/conversations/{item['conversation_id']}/messages",
            item["assignee_id"],
            json={"client_id": f"q-{index}", "body": "As you said", "reply_to": quoted},
        )
        if index % 2 == 0:
            await ws.call(
                "PUT", f"/messages/{reply['id']}/reactions/\U0001f44d", item["assignee_id"]
            )


@pytest.mark.parametrize("backend", BACKENDS)
async def test_the_driver_statement_reads_what_item_select_reads(
    ws: Workspace, app: FastAPI
) -> None:
    readers = await _rich_workspace(ws)
    await _quotes_and_reactions(ws)
    db: Database = app.state.db
    page = (await ws.call("GET", "/tickets?limit=200"))["items"]
    inbox_ids = sorted({item["inbox_id"] for item in page})
    compared = 0
    with_parts: dict[bytes, int] = {}
    async with db.read() as session:
        agents = [await session.get(m.Agent, agent_id) for agent_id in readers]
        visibilities = [await visibility_for(session, agent) for agent in agents if agent]
    for agent, visibility in zip(agents, visibilities, strict=True):
        assert agent is not None
        for flt in _filters(inbox_ids, readers, page[0]["contact_id"]):
            for size, option in itertools.product((2, 50), OPTIONS):
                expected = await _through_sqlalchemy(db, agent, visibility, flt, size, option)
                found = await _on_the_driver(db, agent, visibility, flt, size, option)
                assert found == expected, (agent.id, flt, size, option)
                compared += 1
                body = b"".join(found[1])
                for part in (b'"reactions":[{', b'"files":[{', b'"reply_preview":{'):
                    with_parts[part] = with_parts.get(part, 0) + (part in body)
    assert compared > 900
    assert min(with_parts.values()) > 10  # the extras' statements ran too (each kind)


@pytest.mark.parametrize("backend", BACKENDS)
async def test_an_agent_who_sees_no_inbox_reads_nothing(ws: Workspace, app: FastAPI) -> None:
    await _rich_workspace(ws)
    db: Database = app.state.db
    blind = Visibility(12345, False, frozenset())
    assert (
        ticket_page.first_page_sql(db.engine.dialect, 1, blind, TicketFilter(), 50, "full") is None
    )
    query = ticket_page.FirstPageQuery(TicketFilter(), 50, "full")
    assert await ticket_page.first_page_items(db, 1, blind, query, TicketFragments()) == ([], None)
    async with db.read() as session:
        agent = await session.get(m.Agent, ws.admin_id)
        assert agent is not None
        rows, _ = await tickets.list_tickets(session, agent, blind, TicketFilter(), None, 50)
    assert rows == []


def _count_statements(db: Database, engine_of: dict[str, str] | None = None) -> list[str]:
    """Every statement run through SQLAlchemy from now on (``engine_of``: statement -> which
    engine ran it, ``main`` being aiosqlite's worker threads on SQLite)."""
    seen: list[str] = []
    engines = {"main": db.engine, "read": db.read_engine, "write": db.write_engine}
    for name, engine in engines.items():
        if engine is None:
            continue

        def listen(_c: Any, _cur: Any, statement: str, *_a: Any, name: str = name) -> None:
            seen.append(statement)
            if engine_of is not None:
                engine_of[statement] = name

        event.listen(engine.sync_engine, "before_cursor_execute", listen)
    return seen


DRIVER_SHAPES = (
    "?limit=50",
    "",
    "?view=mine",
    "?view=unassigned",
    "?last_message=brief",
    "?last_message=none",
    "?status=closed",
    "?snoozed=false",
    "?inbox=1",
    "?contact=1",
)
# On SQLite they would read more rows the more tickets there are: on the worker threads.
GROWING_SHAPES = (
    "?label=1",
    "?view=snoozed",
    "?snoozed=true",
    "?from=2026-01-01",
    "?to=2030-01-01",
)


@pytest.mark.parametrize("backend", BACKENDS)
async def test_the_route_reads_first_pages_on_the_driver(ws: Workspace, app: FastAPI) -> None:
    readers = await _rich_workspace(ws)
    db: Database = app.state.db
    headers = ws.auth(readers[1])
    driver_shapes = DRIVER_SHAPES if db.is_sqlite else DRIVER_SHAPES + GROWING_SHAPES
    for query in driver_shapes:  # warm: the agent's scope cached
        await ws.http.get(f"/api/v1/tickets{query}", headers=headers)
    engine_of: dict[str, str] = {}
    seen = _count_statements(db, engine_of)
    for query in driver_shapes:
        response = await ws.http.get(f"/api/v1/tickets{query}", headers=headers)
        assert response.status_code == 200
    assert seen == []  # nothing through SQLAlchemy
    others = ("?q=help", "?count=true", "?include=contacts", "?order=asc", "?sort=opened")
    for query in others + (GROWING_SHAPES if db.is_sqlite else ()):
        response = await ws.http.get(f"/api/v1/tickets{query}", headers=headers)
        assert response.status_code == 200
        pages = [statement for statement in seen if "FROM tickets" in statement]
        assert pages, query
        if db.is_sqlite and query not in ("?include=contacts", "?order=asc", "?sort=opened"):
            assert {engine_of[statement] for statement in pages} == {"main"}, query
        seen.clear()


async def test_without_a_page_reader_the_page_reads_through_sqlalchemy(
    ws: Workspace, app: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An in-memory SQLite database has no plain connection to read on (no ``page_reader``)."""
    readers = await _rich_workspace(ws)
    db: Database = app.state.db
    url, headers = "/api/v1/tickets?limit=50", ws.auth(readers[1])
    before = (await ws.http.get(url, headers=headers)).content
    monkeypatch.setattr(db, "page_reader", None)
    assert await ticket_page.read_items(db, ticket_page.FirstPage("SELECT 1", ()), "full") is None
    seen = _count_statements(db)
    assert (await ws.http.get(url, headers=headers)).content == before
    assert any("FROM tickets" in statement for statement in seen)


@pytest.mark.parametrize("backend", BACKENDS)
async def test_errors_come_out_as_sqlalchemy_raised_them(
    ws: Workspace, app: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    await _rich_workspace(ws)
    db: Database = app.state.db
    bad = "SELECT no_such_column FROM tickets"
    async with db.read() as session:
        with pytest.raises(DBAPIError) as through_sqlalchemy:
            await session.execute(text(bad))
    with pytest.raises(DBAPIError) as on_the_driver:
        await ticket_page.read_items(db, ticket_page.FirstPage(bad, ()), "full")
    assert type(on_the_driver.value) is type(through_sqlalchemy.value)
    assert type(on_the_driver.value.orig) is type(through_sqlalchemy.value.orig)
    assert on_the_driver.value.statement == bad
    assert not on_the_driver.value.connection_invalidated
    # The route raises it as before (the ASGI transport re-raises the app's exception), from
    # the first request on (the query string solved by FastAPI, the scope read into the
    # cache) as from the next (the query string and the scope cached).
    monkeypatch.setattr(ticket_page, "first_page_sql", lambda *_a: ticket_page.FirstPage(bad, ()))
    for _ in range(2):
        with pytest.raises(type(through_sqlalchemy.value)):
            await ws.http.get("/api/v1/tickets?limit=50", headers=ws.auth(ws.admin_id))
    # The page reader is usable again (SQLite: its read transaction was ended).
    monkeypatch.undo()
    response = await ws.http.get("/api/v1/tickets?limit=50", headers=ws.auth(ws.admin_id))
    assert response.status_code == 200


@pytest.mark.postgres
@pytest.mark.parametrize("backend", [BACKENDS[1]])
async def test_a_lost_postgres_connection_is_dropped_from_the_pool(
    ws: Workspace, app: FastAPI
) -> None:
    await _rich_workspace(ws)
    db: Database = app.state.db
    url = "/api/v1/tickets?limit=50"
    headers = ws.auth(ws.admin_id)
    assert (await ws.http.get(url, headers=headers)).status_code == 200
    async with db.engine.connect() as connection:
        await connection.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        )
    with pytest.raises(DBAPIError) as lost:
        await ws.http.get(url, headers=headers)
    assert lost.value.connection_invalidated
    # The pool was invalidated at the first loss, as SQLAlchemy does it: no second failure.
    assert (await ws.http.get(url, headers=headers)).status_code == 200


def test_a_text_search_is_not_a_driver_page() -> None:
    with pytest.raises(ValueError, match="text search"):
        ticket_page.first_page_sql(
            SQLiteDialect_aiosqlite(),
            1,
            Visibility(1, True, frozenset()),
            TicketFilter(q="help"),
            50,
            "full",
        )


def _pg_item(system_params: dict[str, Any]) -> tuple[Any, ...]:
    """A raw ``full`` item row as ``asyncpg`` gives it: a ticket whose last message is a
    system line with ``system_params`` (decoded JSON)."""
    moment = dt.datetime(2026, 12, 6, 12, 0, tzinfo=dt.UTC)
    values: dict[str, Any] = dict.fromkeys(serialize._ITEM_COLUMN_NAMES["full"])
    values.update(
        id=1, conversation_id=1, inbox_id=1, contact_id=1, status="open", opened_at=moment,
        reopen_count=0, last_message_at=moment, snoozed=False, lm_id=5, lm_conversation_id=1,
        lm_direction="system", lm_sender_type="system", lm_sender_name="", lm_body="",
        lm_system_kind="ticket.snoozed", lm_system_params=system_params, lm_created_at=moment,
        lm_has_reactions=False, lm_has_files=False,
    )  # fmt: skip
    return tuple(values.values())


def test_a_decoded_json_value_is_compared_as_its_json() -> None:
    """``{"n": 1} == {"n": True}`` in Python, but their JSON differs: the fragment must not be
    reused across them (``asyncpg`` gives a JSON column decoded)."""
    decoder = serialize.decoder_for(postgresql.asyncpg.dialect(), "full")  # type: ignore[attr-defined]
    fragments = TicketFragments()
    page = [
        serialize.page_item(_pg_item(params), serialize.no_parts(), "full", fragments, decoder)
        for params in ({"n": 1}, {"n": True}, {"n": 1.0}, {"n": 1})
    ]
    assert [b'"n":1}' in page[0], b'"n":true}' in page[1], b'"n":1.0}' in page[2]] == [True] * 3
    assert page[3] == page[0]


async def _kept(db: Database, count: int) -> None:
    """``count`` page connections used at once, hence kept after."""
    assert db.kept_connections is not None
    async with contextlib.AsyncExitStack() as stack:
        for _ in range(count):
            await stack.enter_async_context(db.kept_connections.rows())
    assert db.kept_connections.kept == count


async def _terminate_the_others(db: Database) -> None:
    async with db.engine.connect() as connection:
        await connection.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        )


@pytest.mark.postgres
@pytest.mark.parametrize("backend", [BACKENDS[1]])
async def test_the_kept_kept_connections_are_all_given_up_when_one_is_lost(
    ws: Workspace, app: FastAPI
) -> None:
    """Three connections kept, all lost: the page fails once (the one it took), and the next
    one neither takes another kept one nor an older pooled one."""
    await _rich_workspace(ws)
    db: Database = app.state.db
    url = "/api/v1/tickets?limit=50"
    headers = ws.auth(ws.admin_id)
    assert (await ws.http.get(url, headers=headers)).status_code == 200
    await _kept(db, 3)
    await _terminate_the_others(db)
    with pytest.raises(DBAPIError) as lost:
        await ws.http.get(url, headers=headers)
    assert lost.value.connection_invalidated
    assert db.kept_connections is not None
    assert db.kept_connections.kept == 0
    for _ in range(3):
        assert (await ws.http.get(url, headers=headers)).status_code == 200


@pytest.mark.postgres
@pytest.mark.parametrize("backend", [BACKENDS[1]])
async def test_a_kept_page_connection_idle_too_long_is_pinged_first(
    ws: Workspace, app: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Kept idle beyond ``idle_s`` and lost meanwhile (a database restart): the page pings
    it, drops it and reads on a new connection; no request fails."""
    await _rich_workspace(ws)
    db: Database = app.state.db
    assert db.kept_connections is not None
    monkeypatch.setattr(db.kept_connections, "_idle_s", 0.0)
    url = "/api/v1/tickets?limit=50"
    headers = ws.auth(ws.admin_id)
    assert (await ws.http.get(url, headers=headers)).status_code == 200
    await _kept(db, 2)
    await _terminate_the_others(db)
    assert (await ws.http.get(url, headers=headers)).status_code == 200
