"""The SQLite connection set-up: WAL, foreign keys, and write transactions that lock at once."""

from __future__ import annotations

import asyncio
import sqlite3
import threading

import asyncpg
import pytest
from sqlalchemy import event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from convos_server.db import engine as engine_module
from convos_server.db.engine import Database
from tests.server.conftest import fresh_postgres_database


@pytest.fixture
async def sqlite_db(tmp_path):
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'engine.db'}")
    yield db, tmp_path / "engine.db"
    await db.dispose()


async def test_pragmas_are_set_on_every_connection(sqlite_db):
    db, _ = sqlite_db
    async with db.sessionmaker() as session:
        assert (await session.execute(text("PRAGMA journal_mode"))).scalar() == "wal"
        assert (await session.execute(text("PRAGMA foreign_keys"))).scalar() == 1
        assert (await session.execute(text("PRAGMA busy_timeout"))).scalar() == 10_000


async def test_write_transactions_take_the_write_lock_at_begin_and_reads_do_not(sqlite_db):
    db, path = sqlite_db
    other = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        async with db.transaction() as session:
            await session.execute(text("SELECT 1"))
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                other.execute("BEGIN IMMEDIATE")
        async with db.sessionmaker() as session:
            await session.execute(text("SELECT 1"))
            other.execute("BEGIN IMMEDIATE")
            other.execute("ROLLBACK")
    finally:
        other.close()


def _add_thread_function(engine):
    """``thread_id()`` in SQL: the thread that runs the statement inside SQLite."""
    event.listen(
        engine.sync_engine,
        "connect",
        lambda dbapi_connection, _record: dbapi_connection.create_function(
            "thread_id", 0, threading.get_ident
        ),
    )


async def test_writes_run_on_the_loop_thread_and_reads_on_worker_threads(sqlite_db):
    db, _ = sqlite_db
    assert db.write_engine is not None
    _add_thread_function(db.write_engine)
    _add_thread_function(db.engine)
    async with db.transaction() as session:
        await session.execute(text("CREATE TABLE notes (body TEXT, thread INTEGER)"))
        await session.execute(text("INSERT INTO notes VALUES ('kept', thread_id())"))
        writer_thread = (await session.execute(text("SELECT thread_id()"))).scalar()
    async with db.sessionmaker() as session:
        row = (await session.execute(text("SELECT body, thread, thread_id() FROM notes"))).one()
    assert row[0] == "kept"
    assert row[1] == writer_thread == threading.get_ident()
    assert row[2] != threading.get_ident()
    async with db.transaction(threaded=True) as session:
        await session.execute(text("DELETE FROM notes WHERE thread = thread_id()"))
        assert (await session.execute(text("SELECT count(*) FROM notes"))).scalar() == 1
        assert (await session.execute(text("SELECT thread_id()"))).scalar() != writer_thread


async def test_quick_and_bounded_reads_run_inline_beside_a_write_and_see_its_commit(sqlite_db):
    db, _ = sqlite_db
    assert db.read_engine is not None
    _add_thread_function(db.read_engine)
    async with db.transaction() as session:
        await session.execute(text("CREATE TABLE notes (body TEXT)"))

    async def quick() -> tuple[int, int]:
        async with db.quick_read() as connection:
            row = (await connection.execute(text("SELECT count(*), thread_id() FROM notes"))).one()
        return int(row[0]), int(row[1])

    async def bounded() -> tuple[int, int]:
        async with db.read() as session:
            row = (await session.execute(text("SELECT count(*), thread_id() FROM notes"))).one()
        return int(row[0]), int(row[1])

    loop_thread = threading.get_ident()
    assert await quick() == await bounded() == (0, loop_thread)
    async with db.transaction() as session:
        await session.execute(text("INSERT INTO notes VALUES ('not yet committed')"))
        # Not queued behind the writer, and not seeing its uncommitted row.
        assert await quick() == await bounded() == (0, loop_thread)
    assert await quick() == await bounded() == (1, loop_thread)


async def test_the_loop_reader_sees_each_commit_and_its_data_version_moves_only_then(
    sqlite_db,
):
    db, path = sqlite_db
    assert db.loop_reader is not None
    async with db.transaction() as session:
        await session.execute(text("CREATE TABLE notes (body TEXT)"))
    version = db.data_version()
    assert version is not None
    assert db.data_version() == version  # asking changes nothing
    assert db.loop_reader.rows("SELECT count(*) FROM notes", ()) == [(0,)]
    assert db.data_version() == version  # nor does reading
    async with db.transaction() as session:
        await session.execute(text("INSERT INTO notes VALUES ('ours')"))
    after_ours = db.data_version()
    assert after_ours != version
    other = sqlite3.connect(path)  # another process's connection
    other.execute("INSERT INTO notes VALUES ('theirs')")
    other.commit()
    other.close()
    assert db.data_version() != after_ours
    assert db.loop_reader.rows("SELECT body FROM notes ORDER BY rowid", ()) == [
        ("ours",),
        ("theirs",),
    ]
    with pytest.raises(sqlite3.OperationalError, match="readonly"):
        db.loop_reader.rows("INSERT INTO notes VALUES ('never')", ())


async def test_a_bounded_read_session_cannot_write(sqlite_db):
    db, _ = sqlite_db
    async with db.transaction() as session:
        await session.execute(text("CREATE TABLE notes (body TEXT)"))
    async with db.read() as session:
        with pytest.raises(OperationalError, match="readonly"):
            await session.execute(text("INSERT INTO notes VALUES ('refused')"))


async def test_a_failed_write_transaction_keeps_nothing(sqlite_db):
    db, _ = sqlite_db
    async with db.transaction() as session:
        await session.execute(text("CREATE TABLE notes (body TEXT)"))

    async def fail_after_insert() -> None:
        async with db.transaction() as session:
            await session.execute(text("INSERT INTO notes VALUES ('lost')"))
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        await fail_after_insert()
    async with db.transaction() as session:
        assert (await session.execute(text("SELECT count(*) FROM notes"))).scalar() == 0


async def test_a_write_waits_for_another_process_without_blocking_the_loop(sqlite_db):
    db, path = sqlite_db
    async with db.transaction() as session:
        await session.execute(text("CREATE TABLE notes (body TEXT)"))
    other = sqlite3.connect(path, timeout=0, isolation_level=None)
    ticks = 0

    async def tick() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0.01)

    async def write() -> None:
        async with db.transaction() as session:
            await session.execute(text("INSERT INTO notes VALUES ('after')"))

    ticker = asyncio.create_task(tick())
    try:
        other.execute("BEGIN IMMEDIATE")
        writer = asyncio.create_task(write())
        await asyncio.sleep(0.3)
        assert not writer.done()
        assert ticks >= 10
        other.execute("ROLLBACK")
        await asyncio.wait_for(writer, 5)
    finally:
        ticker.cancel()
        other.close()
    async with db.sessionmaker() as session:
        assert (await session.execute(text("SELECT body FROM notes"))).scalar() == "after"


async def test_a_write_gives_up_when_the_lock_stays_taken(sqlite_db, monkeypatch):
    db, path = sqlite_db
    monkeypatch.setattr(engine_module, "SQLITE_BUSY_TIMEOUT_MS", 200)
    other = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        with pytest.raises(OperationalError, match="locked"):
            async with db.transaction():
                pass
    finally:
        other.execute("ROLLBACK")
        other.close()
    async with db.transaction() as session:
        assert (await session.execute(text("SELECT 1"))).scalar() == 1


@pytest.mark.postgres
async def test_a_postgres_connection_lost_while_idle_is_replaced_before_use(monkeypatch):
    async with fresh_postgres_database() as url:
        db = Database(url)
        try:
            async with db.sessionmaker() as session:
                lost = (await session.execute(text("SELECT pg_backend_pid()"))).scalar()
            admin_dsn = make_url(url).set(drivername="postgresql")
            admin = await asyncpg.connect(admin_dsn.render_as_string(hide_password=False))
            try:
                await admin.execute("SELECT pg_terminate_backend($1)", lost)
            finally:
                await admin.close()
            monkeypatch.setattr(engine_module, "IDLE_PING_S", 0.0)
            async with db.sessionmaker() as session:
                fresh = (await session.execute(text("SELECT pg_backend_pid()"))).scalar()
            assert fresh != lost
        finally:
            await db.dispose()


async def test_the_wal_is_checkpointed_off_the_loop_and_stays_small(sqlite_db, monkeypatch):
    db, path = sqlite_db
    monkeypatch.setattr(engine_module, "CHECKPOINT_EVERY_COMMITS", 10)
    async with db.transaction() as session:
        await session.execute(text("CREATE TABLE blobs (data BLOB)"))
        assert (await session.execute(text("PRAGMA wal_autocheckpoint"))).scalar() == 0
    for _ in range(300):
        async with db.transaction() as session:
            await session.execute(text("INSERT INTO blobs VALUES (randomblob(4000))"))
        await asyncio.sleep(0.001)  # the server's requests yield like this between writes
    written = 300 * 4000
    assert path.with_name(path.name + "-wal").stat().st_size < written / 4
