"""The SQLite connection set-up: WAL, foreign keys, and write transactions that lock at once."""

from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy import text

from convos_server.db.engine import Database


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
