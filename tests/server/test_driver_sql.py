"""The hot paths' statements on the driver connection (``db.driver_sql``) write what
SQLAlchemy writes: timestamps in the same stored form as the ORM's, errors as SQLAlchemy's
classes (``db.retry`` runs a transaction again on an ``IntegrityError``)."""

from __future__ import annotations

import asyncio
import datetime as dt
import re
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import event, text
from sqlalchemy.exc import IntegrityError

from convos_server.db import driver_sql
from convos_server.db.engine import Database
from convos_server.db.inline_sqlite import InlineConnection
from convos_server.services.token_cache import NOTIFY_CHANNEL
from tests.server.conftest import BACKENDS, Workspace

# SQLAlchemy's SQLite DATETIME: naive UTC, six fractional digits.
_STORED = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}$")


async def test_a_message_and_a_reply_store_moments_as_the_orm_does(
    ws: Workspace, app: FastAPI
) -> None:
    anna = await ws.agent("Anna", online=True)
    inbox = await ws.inbox("I", await ws.team("T", [anna]))
    first = await ws.handoff(inbox, "carla")  # the hand-off's rows: the ORM's (open_ticket)
    await ws.call("POST", f"/tickets/{first['ticket_id']}/assign", anna, json={})
    url = f"/conversations/{first['conversation_id']}/messages"
    await ws.call("POST", url, anna, json={"client_id": "r-0", "body": "Hi"})  # first response
    db = app.state.db
    through_sqlalchemy: list[str] = []
    event.listen(
        db.write_engine.sync_engine,
        "before_cursor_execute",
        lambda _c, _cur, statement, *_a: through_sqlalchemy.append(statement),
    )
    on_the_connection: list[str] = []
    await trace_writes(db, on_the_connection)
    on_the_connection.clear()
    again = await ws.handoff(inbox, "carla", "Still there?")
    reply = await ws.call("POST", url, anna, json={"client_id": "r-1", "body": "Yes"})
    # Each transaction ran everything on the driver, its BEGIN IMMEDIATE (the session's
    # "begin" hook) included: nothing through SQLAlchemy's execution.
    assert through_sqlalchemy == []
    bounds = [s for s in on_the_connection if s.split()[0] in {"BEGIN", "COMMIT", "ROLLBACK"}]
    assert bounds == ["BEGIN IMMEDIATE", "COMMIT", "BEGIN IMMEDIATE", "COMMIT"]
    assert any(s.startswith("INSERT INTO messages") for s in on_the_connection)
    path = db.engine.url.database
    with sqlite3.connect(path) as connection:
        moments = {
            "message (driver)": connection.execute(
                "SELECT created_at FROM messages WHERE id = ?", (again["message"]["id"],)
            ).fetchone()[0],
            "reply (driver)": connection.execute(
                "SELECT created_at FROM messages WHERE id = ?", (reply["id"],)
            ).fetchone()[0],
            "conversation clock (driver)": connection.execute(
                "SELECT last_message_at FROM conversations WHERE id = ?",
                (first["conversation_id"],),
            ).fetchone()[0],
            "ticket clock (driver)": connection.execute(
                "SELECT last_message_at FROM tickets WHERE id = ?", (first["ticket_id"],)
            ).fetchone()[0],
            "system line (ORM)": connection.execute(
                "SELECT created_at FROM messages WHERE direction = 'system' ORDER BY id LIMIT 1"
            ).fetchone()[0],
            "last event (driver)": connection.execute(
                "SELECT created_at FROM events ORDER BY id DESC LIMIT 1"
            ).fetchone()[0],
        }
    for what, stored in moments.items():
        assert _STORED.match(str(stored)), (what, stored)
    assert moments["conversation clock (driver)"] == moments["reply (driver)"]
    assert moments["ticket clock (driver)"] == moments["reply (driver)"]
    assert driver_sql.read_moment(moments["reply (driver)"]) is not None


async def trace_writes(db: Database, into: list[str]) -> None:
    """Append every statement SQLite runs on ``db``'s inline write connection to ``into``:
    SQLAlchemy's and the hot paths' own (``driver_sql``) alike."""
    assert db.write_engine is not None
    await db.release_writer()  # a lean transaction's kept connection back in the pool
    async with db.write_engine.connect() as connection:  # its only pooled connection
        raw = await connection.get_raw_connection()
        assert isinstance(raw.driver_connection, InlineConnection)
        raw.driver_connection.sqlite.set_trace_callback(into.append)


def test_a_broken_constraint_is_sqlalchemys_integrity_error(tmp_path: Path) -> None:
    connection = sqlite3.connect(tmp_path / "c.db")
    try:
        connection.execute("CREATE TABLE t (a INTEGER UNIQUE)")
        driver_sql.run(connection, "INSERT INTO t (a) VALUES (?)", (1,))
        with pytest.raises(IntegrityError) as raised:
            driver_sql.run(connection, "INSERT INTO t (a) VALUES (?)", (1,))
        assert isinstance(raised.value.orig, sqlite3.IntegrityError)
    finally:
        connection.close()


def test_placeholders_are_numbered_for_postgresql() -> None:
    assert driver_sql.numbered("UPDATE t SET a = ?, b = ? WHERE id = ?") == (
        "UPDATE t SET a = $1, b = $2 WHERE id = $3"
    )


@dataclass(frozen=True)
class WarmConversation:
    """An agent's assigned conversation after one ingress and one reply: every cache the hot
    paths read (the inbox's key, the agent's scope) is warm."""

    anna: int
    inbox: dict[str, Any]
    first: dict[str, Any]
    url: str


async def warm_conversation(ws: Workspace, app: FastAPI | None = None) -> WarmConversation:
    """Anna's team inbox, carla's hand-off assigned to Anna, and Anna's first reply.

    On PostgreSQL (``app`` given) the setup's ``NOTIFY convos_agents`` (a new team, inbox,
    agent: every process drops its cached scopes and inbox keys) reach this process through
    its LISTEN connection a little later: the caches are warmed again once all have come."""
    anna = await ws.agent("Anna", online=True)
    inbox = await ws.inbox("I", await ws.team("T", [anna]))
    first = await ws.handoff(inbox, "carla")
    await ws.call("POST", f"/tickets/{first['ticket_id']}/assign", anna, json={})
    url = f"/conversations/{first['conversation_id']}/messages"
    await ws.call("POST", url, anna, json={"client_id": "r-0", "body": "Hi"})
    if app is not None and app.state.db.is_postgres:
        await agents_notifications_handled(app)
        await ws.handoff(inbox, "carla", "Again")
        await ws.call("POST", url, anna, json={"client_id": "r-00", "body": "Hi again"})
    return WarmConversation(anna, inbox, first, url)


async def agents_notifications_handled(app: FastAPI, timeout_s: float = 10.0) -> None:
    """Wait until this process has handled every ``convos_agents`` notification sent so far:
    one more, sent now, comes after them on the LISTEN connection."""
    bus = app.state.bus
    handled: list[set[int]] = []
    forward = bus._on_agents_changed
    mark = -424242  # no agent's id: drops nothing

    def noted(agent_ids: set[int]) -> None:
        handled.append(agent_ids)
        forward(agent_ids)

    bus._on_agents_changed = noted
    try:
        async with app.state.db.engine.connect() as connection:
            await connection.execute(text(f"SELECT pg_notify('{NOTIFY_CHANNEL}', '{mark}')"))
            await connection.commit()
        deadline = asyncio.get_running_loop().time() + timeout_s
        while not any(mark in ids for ids in handled):
            assert asyncio.get_running_loop().time() < deadline, "no LISTEN connection"
            await asyncio.sleep(0.01)
    finally:
        bus._on_agents_changed = forward


@pytest.mark.parametrize("backend", [BACKENDS[1]])
async def test_a_warm_message_and_reply_on_postgres_run_no_statement_through_sqlalchemy(
    ws: Workspace, app: FastAPI
) -> None:
    """On PostgreSQL a warm ingress and reply run in a lean transaction (``db.lean``) and
    every statement of theirs runs on asyncpg: none reaches SQLAlchemy's cursor (the token
    lookups and the presence run theirs outside the two)."""
    db: Database = app.state.db
    warm = await warm_conversation(ws, app)
    anna, inbox, first, url = warm.anna, warm.inbox, warm.first, warm.url
    statements: list[str] = []

    def on_execute(_conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        statements.append(statement)

    event.listen(db.engine.sync_engine, "before_cursor_execute", on_execute)
    try:
        again = await ws.handoff(inbox, "carla", "Still there?")
        reply = await ws.call("POST", url, anna, json={"client_id": "r-1", "body": "Yes"})
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", on_execute)
    hot = ("contacts", "conversations", "messages", "tickets", "events")
    assert [s for s in statements if any(table in s for table in hot)] == []
    assert again["conversation_id"] == first["conversation_id"]
    assert reply["body"] == "Yes"
    # A repeated client_id still finds the first message (its first read on the driver too).
    repeated = await ws.http.post(
        f"/api/v1{url}", headers=ws.auth(anna), json={"client_id": "r-1", "body": "Yes"}
    )
    assert repeated.status_code == 200
    assert repeated.json()["id"] == reply["id"]


@pytest.mark.parametrize(
    "moment",
    [
        dt.datetime(2026, 12, 7, 4, 40, 56, 768000, tzinfo=dt.UTC),
        dt.datetime(2026, 12, 7, 4, 40, 56, tzinfo=dt.UTC),
        dt.datetime(1, 1, 1, 0, 0, 0, 1, tzinfo=dt.UTC),
        dt.datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=dt.UTC),
        dt.datetime(2026, 3, 1, 1, 2, 3, 4, tzinfo=dt.timezone(dt.timedelta(hours=5, minutes=30))),
        dt.datetime(2026, 3, 1, 1, 2, 3, 4, tzinfo=dt.timezone(dt.timedelta(hours=-8))),
    ],
)
def test_a_moment_is_stored_as_sqlalchemys_bind_processor_stores_it(moment: dt.datetime) -> None:
    assert driver_sql.stored_moment(moment) == driver_sql.stored_moment_by_sqlalchemy(moment)
    assert driver_sql.read_moment(driver_sql.stored_moment(moment)) == moment


def test_a_naive_moment_is_refused_as_sqlalchemy_refuses_it() -> None:
    naive = dt.datetime(2026, 12, 7, 4, 40, 56)
    with pytest.raises(ValueError, match="naive"):
        driver_sql.stored_moment(naive)
