"""Write transactions on PostgreSQL's kept connections (``KeptConnections.transaction``, the
lean path of a customer message and a reply): a failed transaction is rolled back before its
connection is used again, a connection lost inside one is dropped, a kept one found lost at
``BEGIN`` is replaced without failing the write, and one whose state is unknown (cancelled,
its ``ROLLBACK`` refused) is closed, never kept: nothing of one transaction reaches the next
use of its connection."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import asyncpg  # type: ignore[import-untyped]
import pytest
from sqlalchemy.exc import DBAPIError, IntegrityError

from convos_server.db.engine import Database
from convos_server.db.pg_driver import KeptConnections, PgRows
from tests.server.conftest import BACKENDS, _pg_admin_dsn

pytestmark = [pytest.mark.postgres, pytest.mark.parametrize("backend", [BACKENDS[1]])]


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    """A database with a table ``t (a integer primary key)``."""
    database = Database(database_url)
    try:
        async with _kept(database).transaction() as rows:
            await rows.execute("CREATE TABLE t (a integer PRIMARY KEY)")
        yield database
    finally:
        await database.dispose()


def _kept(db: Database) -> KeptConnections:
    assert db.kept_connections is not None
    return db.kept_connections


async def _admin(db: Database, sql: str, *args: Any) -> Any:
    """``sql``'s first value on a connection of its own (not pooled)."""
    url = db.engine.url.render_as_string(hide_password=False)
    admin = await asyncpg.connect(_pg_admin_dsn(url))
    try:
        return await admin.fetchval(sql, *args)
    finally:
        await admin.close()


async def _values(db: Database) -> list[int]:
    values = await _admin(db, "SELECT coalesce(array_agg(a ORDER BY a), '{}') FROM t")
    return [int(v) for v in values]


async def _pid(rows: PgRows) -> int:
    return int((await rows.fetch("SELECT pg_backend_pid()", ()))[0][0])


async def _insert(rows: PgRows, value: int) -> None:
    await rows.fetch("INSERT INTO t (a) VALUES ($1)", (value,))


async def _insert_then_raise(kept: KeptConnections, pids: list[int]) -> None:
    """Insert 1, then fail: the transaction's connection's pid in ``pids``."""
    async with kept.transaction() as rows:
        pids.append(await _pid(rows))
        await _insert(rows, 1)
        raise RuntimeError("refused")


async def _insert_twice(kept: KeptConnections, pids: list[int]) -> None:
    """Insert 2 twice: a broken constraint."""
    async with kept.transaction() as rows:
        pids.append(await _pid(rows))
        await _insert(rows, 2)
        await _insert(rows, 2)


async def _insert_while_lost(db: Database) -> None:
    """Insert 1, the connection's backend ended, insert 2."""
    async with _kept(db).transaction() as rows:
        await _insert(rows, 1)
        await _admin(db, "SELECT pg_terminate_backend($1)", await _pid(rows))
        await _insert(rows, 2)


async def test_a_failed_transaction_is_rolled_back_before_its_connection_is_kept(
    db: Database,
) -> None:
    kept = _kept(db)
    pids: list[int] = []
    with pytest.raises(RuntimeError):
        await _insert_then_raise(kept, pids)
    # A broken constraint leaves the transaction failed ("current transaction is aborted"):
    # it too is rolled back.
    with pytest.raises(IntegrityError):
        await _insert_twice(kept, pids)
    first = pids[0]
    assert pids == [first, first]  # the same connection, kept
    assert kept.kept == 1
    async with kept.transaction() as rows:
        assert await _pid(rows) == first
        await _insert(rows, 3)
    async with kept.rows() as rows:  # a read on it sees no transaction of its own
        assert not rows.driver.is_in_transaction()
        assert [r[0] for r in await rows.fetch("SELECT a FROM t", ())] == [3]
    assert await _values(db) == [3]


async def test_a_connection_lost_inside_a_write_transaction_is_dropped(db: Database) -> None:
    kept = _kept(db)
    with pytest.raises(DBAPIError) as lost:
        await _insert_while_lost(db)
    assert lost.value.connection_invalidated
    assert kept.kept == 0
    async with kept.transaction() as rows:
        await _insert(rows, 3)
    assert await _values(db) == [3]


async def test_a_kept_connection_lost_between_writes_is_replaced_at_begin(db: Database) -> None:
    """A database restart between two writes: the next one finds its kept connection lost at
    ``BEGIN`` and runs on a new one; it does not fail."""
    kept = _kept(db)
    async with kept.transaction() as rows:
        old = await _pid(rows)
        await _insert(rows, 1)
    assert kept.kept == 1
    await _admin(db, "SELECT pg_terminate_backend($1)", old)
    async with kept.transaction() as rows:
        assert await _pid(rows) != old
        await _insert(rows, 2)
    assert await _values(db) == [1, 2]


async def test_a_cancelled_transaction_closes_its_connection(db: Database) -> None:
    kept = _kept(db)
    started = asyncio.Event()
    pids: list[int] = []

    async def slow() -> None:
        async with kept.transaction() as rows:
            pids.append(await _pid(rows))
            await _insert(rows, 1)
            started.set()
            await rows.fetch("SELECT pg_sleep(1)", ())

    task = asyncio.create_task(slow())
    await started.wait()
    await asyncio.sleep(0.05)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert kept.kept == 0
    async with kept.transaction() as rows:
        assert await _pid(rows) != pids[0]
        await _insert(rows, 2)
    # The closed connection's backend ends at its next look at the socket (after the sleep),
    # its insert never committed.
    alive = "SELECT count(*) FROM pg_stat_activity WHERE pid = $1"
    for _ in range(150):
        if await _admin(db, alive, pids[0]) == 0:
            break
        await asyncio.sleep(0.02)
    assert await _admin(db, alive, pids[0]) == 0
    assert await _values(db) == [2]


async def test_a_refused_rollback_closes_the_connection(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    kept = _kept(db)
    execute = PgRows.execute

    async def refusing(self: PgRows, sql: str) -> None:
        if sql == "ROLLBACK":
            raise DBAPIError(sql, (), Exception("refused"))
        await execute(self, sql)

    monkeypatch.setattr(PgRows, "execute", refusing)
    pids: list[int] = []
    with pytest.raises(RuntimeError):
        await _insert_then_raise(kept, pids)
    assert kept.kept == 0
    monkeypatch.undo()
    async with kept.transaction() as rows:
        assert await _pid(rows) != pids[0]
        await _insert(rows, 2)
    assert await _values(db) == [2]


async def test_a_read_that_leaves_a_transaction_open_is_not_kept(db: Database) -> None:
    kept = _kept(db)
    async with kept.rows() as rows:
        pid = await _pid(rows)
        await rows.execute("BEGIN")
        await _insert(rows, 1)
    assert kept.kept == 0
    async with kept.rows() as rows:
        assert await _pid(rows) != pid
    assert await _values(db) == []
