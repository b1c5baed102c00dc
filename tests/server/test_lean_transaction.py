"""The hot writes without an ORM session (``db.lean``): a warm customer message and a reply
open no session on the write engine, still commit their events, and a path that needs a
session (a new contact, the ticket's first response) is rolled back and run again in one,
leaving its rows and events once."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import sqlite3
from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg  # type: ignore[import-untyped]
import pytest
from fastapi import FastAPI
from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncSession

from convos_server.db import driver_sql
from convos_server.db.engine import Database
from convos_server.db.lean import LeanSession, NeedsSession
from convos_server.services.token_cache import scope_cache_of, scope_cache_of_class
from tests.server.conftest import BACKENDS, Workspace
from tests.server.test_driver_sql import trace_writes, warm_conversation


def _write_sessions(db: Database) -> list[str]:
    """A list that gets an entry each time a session begins on the write engine."""
    assert db.write_engine is not None
    write_engine = db.write_engine.sync_engine
    began: list[str] = []

    def on_begin(_session: Any, _transaction: Any, connection: Any) -> None:
        if connection.engine is write_engine:
            began.append("session")

    event.listen(db.session_class, "after_begin", on_begin)
    return began


async def _traced(db: Database) -> tuple[list[str], list[str]]:
    """From now on (a SQLite file's database: the default backend): the sessions begun on the
    write engine, and every statement SQLite runs on its inline write connection."""
    assert db.write_engine is not None, "a SQLite file's inline writer only"
    began = _write_sessions(db)
    statements: list[str] = []
    await trace_writes(db, statements)
    statements.clear()  # the tracing's own checkout
    return began, statements


def _count(db: Database, sql: str, *parameters: Any) -> int:
    return int(_rows(db, sql, *parameters)[0])


def _rows(db: Database, sql: str, *parameters: Any) -> list[Any]:
    """The first column of ``sql``'s rows, read by a connection of its own."""
    connection = sqlite3.connect(str(db.engine.url.database))
    try:
        return [row[0] for row in connection.execute(sql, parameters)]
    finally:
        connection.close()


async def test_a_warm_message_and_reply_open_no_session(ws: Workspace, app: FastAPI) -> None:
    db: Database = app.state.db
    warm = await warm_conversation(ws)
    anna, inbox, first, url = warm.anna, warm.inbox, warm.first, warm.url
    began, statements = await _traced(db)
    events_before = _count(db, "SELECT count(*) FROM events")
    again = await ws.handoff(inbox, "carla", "Still there?")
    reply = await ws.call("POST", url, anna, json={"client_id": "r-1", "body": "Yes"})
    assert began == []
    bounds = [s for s in statements if s.split()[0] in {"BEGIN", "COMMIT", "ROLLBACK"}]
    assert bounds == ["BEGIN IMMEDIATE", "COMMIT", "BEGIN IMMEDIATE", "COMMIT"]
    assert again["ticket_id"] == first["ticket_id"]
    assert reply["body"] == "Yes"
    # Each request's message.created event was committed with it.
    assert _count(db, "SELECT count(*) FROM events") == events_before + 2


async def test_a_new_contact_falls_back_to_a_session_once(ws: Workspace, app: FastAPI) -> None:
    db: Database = app.state.db
    anna = await ws.agent("Anna", online=True)
    inbox = await ws.inbox("I", await ws.team("T", [anna]))
    await ws.handoff(inbox, "carla")  # the inbox's key now cached: the lean path is tried
    began, statements = await _traced(db)
    events_before = _count(db, "SELECT count(*) FROM events")
    new = await ws.handoff(inbox, "dora", "Hello")
    bounds = [s for s in statements if s.split()[0] in {"BEGIN", "COMMIT", "ROLLBACK"}]
    # The lean attempt found no contact, changed nothing and was rolled back; the session's
    # transaction did the work.
    assert bounds == ["BEGIN IMMEDIATE", "ROLLBACK", "BEGIN IMMEDIATE", "COMMIT"]
    assert began == ["session"]
    assert new["ticket_id"] is not None
    assert _count(db, "SELECT count(*) FROM contacts WHERE external_id = 'dora'") == 1
    assert _count(db, "SELECT count(*) FROM messages WHERE body = 'Hello'") == 1
    created = _count(
        db, "SELECT count(*) FROM events WHERE id > ? AND type = 'message.created'", events_before
    )
    assert created == 1


def test_a_lean_session_refuses_what_only_a_session_does() -> None:
    connection = sqlite3.connect(":memory:")
    try:
        lean = LeanSession(connection)
        assert lean.new == lean.dirty == lean.deleted == ()
        assert lean.identity_map.get("anything") is None
        with pytest.raises(NeedsSession):
            lean.get  # noqa: B018 - the attribute itself refuses
        with pytest.raises(NeedsSession):
            lean.execute  # noqa: B018
    finally:
        connection.close()


async def test_write_runs_the_session_path_only_when_needed(tmp_path: Any) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'w.db'}")
    calls: list[str] = []

    async def work(session: AsyncSession) -> str:
        kind = "lean" if isinstance(session, LeanSession) else "full"
        calls.append(kind)
        raw = driver_sql.current(session)
        assert raw is not None
        raw.execute("INSERT INTO t (a) VALUES (?)", (len(calls),))
        if kind == "lean" and refuse:
            raise NeedsSession("get")
        return kind

    try:
        async with db.transaction() as session:
            await session.execute(text("CREATE TABLE t (a INTEGER)"))
        refuse = False
        assert await db.write(work) == "lean"
        refuse = True
        assert await db.write(work) == "full"  # the refused lean block left nothing behind
        assert await db.write(work, lean_first=False) == "full"
        assert calls == ["lean", "lean", "full", "full"]
        assert _rows(db, "SELECT a FROM t ORDER BY a") == [1, 3, 4]
    finally:
        await db.dispose()


def test_a_lean_session_finds_the_scope_cache_of_the_class_it_stands_for(
    app: FastAPI,
) -> None:
    db: Database = app.state.db
    connection = sqlite3.connect(":memory:")
    try:
        lean = LeanSession(connection, db.session_class)
        cache = scope_cache_of(lean.sync_session)
        assert cache is not None
        assert cache is scope_cache_of_class(db.session_class)
        assert scope_cache_of(LeanSession(connection).sync_session) is None  # no class watched
    finally:
        connection.close()


async def _insert_then_refuse(db: Database) -> None:
    async with db.lean() as session:
        raw = driver_sql.current(session)
        assert raw is not None
        raw.execute("INSERT INTO t (a) VALUES (2)")
        raise RuntimeError("refused")


async def test_a_lean_transaction_waits_for_another_process_and_commits(tmp_path: Any) -> None:
    path = tmp_path / "c.db"
    other = sqlite3.connect(path, isolation_level=None)
    db = Database(f"sqlite+aiosqlite:///{path}")
    try:
        other.execute("PRAGMA journal_mode=WAL")
        other.execute("BEGIN IMMEDIATE")  # another process holds the write lock
        asyncio.get_running_loop().call_later(0.05, other.execute, "COMMIT")
        async with db.lean() as session:
            raw = driver_sql.current(session)
            assert raw is not None
            raw.execute("CREATE TABLE t (a INTEGER)")
            raw.execute("INSERT INTO t (a) VALUES (1)")
        with pytest.raises(RuntimeError):
            await _insert_then_refuse(db)
        assert other.execute("SELECT a FROM t").fetchall() == [(1,)]
    finally:
        other.close()
        await db.dispose()


def _full_transactions(db: Database, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """A list that gets an entry for each ``Database.transaction`` (on PostgreSQL reads and
    writes share one engine, so sessions begun there would count the token and presence
    reads too)."""
    began: list[str] = []
    transaction = db.transaction

    def counted(*args: Any, **kwargs: Any) -> Any:
        began.append("session")
        return transaction(*args, **kwargs)

    monkeypatch.setattr(db, "transaction", counted)
    return began


async def _pg_count(db: Database, sql: str) -> int:
    async with db.engine.connect() as connection:
        return int((await connection.execute(text(sql))).scalar_one())


@pytest.mark.parametrize("backend", [BACKENDS[1]])
async def test_on_postgres_a_warm_message_and_reply_open_no_session(
    ws: Workspace, app: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    db: Database = app.state.db
    warm = await warm_conversation(ws, app)
    anna, inbox, first, url = warm.anna, warm.inbox, warm.first, warm.url
    began = _full_transactions(db, monkeypatch)
    events_before = await _pg_count(db, "SELECT count(*) FROM events")
    again = await ws.handoff(inbox, "carla", "Still there?")
    reply = await ws.call("POST", url, anna, json={"client_id": "r-1", "body": "Yes"})
    assert began == []
    assert again["ticket_id"] == first["ticket_id"]
    assert reply["body"] == "Yes"
    assert await _pg_count(db, "SELECT count(*) FROM events") == events_before + 2
    # The two committed in order, with consecutive message ids (nothing taken and dropped).
    assert reply["id"] == again["message"]["id"] + 1


@pytest.mark.parametrize("backend", [BACKENDS[1]])
async def test_on_postgres_a_new_contact_or_a_snoozed_ticket_falls_back_to_a_session(
    ws: Workspace, app: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    db: Database = app.state.db
    anna = await ws.agent("Anna", online=True)
    inbox = await ws.inbox("I", await ws.team("T", [anna]))
    first = await ws.handoff(inbox, "carla")  # the inbox's key now cached
    began = _full_transactions(db, monkeypatch)
    await ws.handoff(inbox, "dora", "Hello")
    assert began == ["session"]
    assert await _pg_count(db, "SELECT count(*) FROM contacts WHERE external_id = 'dora'") == 1
    assert await _pg_count(db, "SELECT count(*) FROM messages WHERE body = 'Hello'") == 1
    until = (dt.datetime.now(dt.UTC) + dt.timedelta(days=1)).isoformat()
    ticket = f"/tickets/{first['ticket_id']}"
    await ws.call("POST", f"{ticket}/assign", anna, json={})
    await ws.call("POST", f"{ticket}/snooze", anna, json={"until": until})

    async def next_id_falls_back(send: Callable[[], Awaitable[dict[str, Any]]]) -> None:
        """``send`` runs in one session after its lean attempt gave up, and its message takes
        the next id: the attempt took none from the sequence."""
        began.clear()
        last_id = await _pg_count(db, "SELECT max(id) FROM messages")
        message = await send()
        assert began == ["session"]
        assert message["id"] == last_id + 1

    await next_id_falls_back(lambda: _message_of(ws.handoff(inbox, "carla", "Wake up")))
    snoozed = f"SELECT count(*) FROM tickets WHERE snoozed AND id = {first['ticket_id']}"
    assert await _pg_count(db, snoozed) == 0
    # A hand-off that opens a ticket, then the first response on it, then a note that
    # mentions someone: each needs the ORM.
    await ws.call("POST", f"{ticket}/close", anna, json={})
    reopened = await ws.handoff(inbox, "carla", "Me again")
    await ws.call("POST", f"/tickets/{reopened['ticket_id']}/assign", anna, json={})
    url = f"/conversations/{reopened['conversation_id']}/messages"
    reply = {"client_id": "a", "body": "Hi"}
    await next_id_falls_back(lambda: ws.call("POST", url, anna, json=reply))
    note = {"client_id": "n", "kind": "note", "body": "@Admin look"}
    await next_id_falls_back(lambda: ws.call("POST", url, anna, json=note))


async def _message_of(answer: Awaitable[dict[str, Any]]) -> dict[str, Any]:
    """The message of an ingress's answer."""
    return dict((await answer)["message"])


async def test_lean_transactions_keep_the_write_connection_between_them(tmp_path: Any) -> None:
    """The write engine's connection is checked out once for a run of lean transactions (no
    pool check-in, reset and check-out per write), and given back to its pool when a session's
    transaction or ``dispose`` needs it; a lean block that failed leaves it usable."""
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'k.db'}")
    assert db.write_engine is not None
    checkouts: list[str] = []
    event.listen(db.write_engine.sync_engine, "checkout", lambda *_: checkouts.append("out"))

    async def insert(value: int) -> None:
        async with db.lean() as session:
            raw = driver_sql.current(session)
            assert raw is not None
            raw.execute("INSERT INTO t (a) VALUES (?)", (value,))

    try:
        async with db.transaction() as session:
            await session.execute(text("CREATE TABLE t (a INTEGER)"))
        checkouts.clear()
        for value in (1, 2, 3):
            await insert(value)
        assert checkouts == ["out"]  # the first lean transaction's only
        with pytest.raises(RuntimeError):
            await _insert_then_refuse(db)
        await insert(4)
        assert checkouts == ["out"]
        async with db.transaction() as session:  # the session's transaction gets it back
            await session.execute(text("INSERT INTO t (a) VALUES (5)"))
        assert checkouts == ["out", "out"]
        await insert(6)
        assert _rows(db, "SELECT a FROM t ORDER BY a") == [1, 2, 3, 4, 5, 6]
    finally:
        await db.dispose()
    assert db.write_engine.sync_engine.pool.checkedout() == 0  # type: ignore[attr-defined]


def _sent_statements(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every statement sent through ``asyncpg``'s query methods from now on, but the event
    reader's (it reads outside the write transactions, on its own schedule)."""
    sent: list[str] = []
    for name in ("execute", "fetch", "fetchrow", "fetchval"):
        original = getattr(asyncpg.Connection, name)

        def recording(self: Any, query: str, *args: Any, _original: Any = original) -> Any:
            if not query.startswith("SELECT id, type, data, inbox_id, agent_id FROM events"):
                sent.append(query)
            return _original(self, query, *args)

        monkeypatch.setattr(asyncpg.Connection, name, recording)
    return sent


@pytest.mark.parametrize("backend", [BACKENDS[1]])
async def test_on_postgres_a_warm_message_and_reply_take_few_round_trips(
    ws: Workspace, app: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A warm customer message is ``BEGIN``, the contact found with its conversation locked,
    the message with its clocks and its event, ``COMMIT``: four round trips (nine before the
    thirteenth round, five before the fourteenth); a reply one, outside any transaction (four
    before the sixteenth, six before the fourteenth)."""
    db: Database = app.state.db
    warm = await warm_conversation(ws, app)
    sent = _sent_statements(monkeypatch)
    again = await ws.handoff(warm.inbox, "carla", "Still there?")
    assert len(sent) == 4, sent
    assert (sent[0], sent[-1]) == ("BEGIN", "COMMIT")
    assert "FOR NO KEY UPDATE OF conversations" in sent[1]
    assert "pg_advisory_xact_lock" in sent[2]
    sent.clear()
    reply = await ws.call("POST", warm.url, warm.anna, json={"client_id": "r-1", "body": "Yes"})
    assert reply["body"] == "Yes"
    assert len(sent) == 1, sent
    assert "FOR UPDATE" in sent[0]
    assert "pg_advisory_xact_lock" in sent[0]
    # Each event is the answer's message, as the agents' streams and the answer must agree.
    async with db.engine.connect() as connection:
        rows = await connection.execute(
            text("SELECT type, data, inbox_id, agent_id FROM events ORDER BY id DESC LIMIT 2")
        )
        stored = [(row[0], json.loads(row[1]), row[2], row[3]) for row in rows]
    inbox_id = warm.inbox["id"]
    assert stored == [
        ("message.created", {"message": reply}, inbox_id, None),
        ("message.created", {"message": again["message"]}, inbox_id, None),
    ]
