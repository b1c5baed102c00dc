"""PostgreSQL statements on a pooled connection's ``asyncpg`` connection, without SQLAlchemy.

The hottest PostgreSQL reads (an agent's first ticket page, the event reader's next rows) run
fixed statements many times a second. Through SQLAlchemy each one costs an ``AsyncConnection``,
the execution context, a result proxy and the greenlet hops around them: on the event reader
about a third of the server CPU of a customer message (``benchmarks/RESULTS.md``, issue 14,
eleventh round). ``pg_rows`` checks a connection out of the engine's pool, runs the statements on
its ``asyncpg`` connection outside any transaction (each one sees the last commit, as under
``READ COMMITTED``) and gives it back; errors are raised as SQLAlchemy raises them for a Core
statement, and a lost connection is dropped from the pool as SQLAlchemy drops it.
``KeptConnections`` keeps a few of them checked out between uses: the pool's checkout and
check-in cost more than the page's statement (issue 14, twelfth round). The ticket page, the
event reader and the lean write transactions of a customer message and a reply
(``KeptConnections.transaction``) share them (thirteenth round); a connection goes back to the
kept ones only outside any transaction, and one whose transaction could not be rolled back is
closed, never used again.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import AsyncIterator, Sequence
from typing import Any

from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.pool import PoolProxiedConnection
from sqlalchemy.util import greenlet_spawn


class PgRows:
    """Statements on a pooled connection's ``asyncpg`` connection, their errors raised as
    SQLAlchemy raises them for a Core statement: the dialect's DBAPI adapter translates the
    ``asyncpg`` error (``ProgrammingError``, ``IntegrityError``... with ``orig.sqlstate``),
    ``DBAPIError.instance`` wraps it, and a closed connection is flagged
    ``connection_invalidated`` (``pg_rows`` then drops it from the pool)."""

    def __init__(self, dialect: Dialect, adapter: Any, driver: Any) -> None:
        self._dialect = dialect
        self._adapter = adapter
        self._driver = driver

    @property
    def driver(self) -> Any:
        """The ``asyncpg`` connection itself (for ``driver_sql``'s statements)."""
        return self._driver

    async def execute(self, sql: str) -> None:
        """Run ``sql`` once, without parameters (``BEGIN``, ``COMMIT``, ``ROLLBACK``)."""
        try:
            await self._driver.execute(sql)
        except Exception as error:
            raise self._translated(sql, (), error) from error

    async def fetch(self, sql: str, parameters: Sequence[Any]) -> list[Any]:
        """Every row of ``sql`` (``$1``... placeholders)."""
        try:
            return await self._driver.fetch(sql, *parameters)  # type: ignore[no-any-return]
        except Exception as error:
            raise self._translated(sql, parameters, error) from error

    def _translated(self, sql: str, parameters: Sequence[Any], error: Exception) -> Exception:
        try:
            self._adapter._handle_exception(error)  # raises the DBAPI adapter's class
        except self._dialect.loaded_dbapi.Error as translated:
            disconnect = self._dialect.is_disconnect(translated, self._adapter, None)
            return DBAPIError.instance(
                sql,
                parameters,
                translated,
                self._dialect.loaded_dbapi.Error,
                dialect=self._dialect,
                connection_invalidated=disconnect,
            )
        except Exception as other:  # not a driver error: as it is
            return other
        return error


@contextlib.asynccontextmanager
async def pg_rows(engine: AsyncEngine) -> AsyncIterator[PgRows]:
    """A pooled connection of ``engine`` (asyncpg) for ``PgRows.fetch``, given back at the
    end; lost (``connection_invalidated``), it is dropped and every older one is recycled at
    its next checkout, as SQLAlchemy does on a disconnect."""
    pooled = await engine.raw_connection()
    try:
        yield PgRows(engine.dialect, pooled.dbapi_connection, pooled.driver_connection)
    except DBAPIError as error:
        if error.connection_invalidated:
            await greenlet_spawn(engine.sync_engine.pool._invalidate, pooled, error)
        raise
    finally:
        await greenlet_spawn(pooled.close)


class KeptConnections:
    """A few of ``engine``'s pooled connections kept checked out between uses, for the
    statements made many times a second: an agent's polled ticket page, the event reader's
    next rows (``rows``), the write transactions of a customer message and a reply
    (``transaction``).

    A checkout and check-in through SQLAlchemy's pool (its queue, events and reset, each in a
    greenlet) cost ~35 us of CPU, more than the page's statement on ``asyncpg`` (~28 us:
    ``benchmarks/RESULTS.md``, issue 14, twelfth round). ``rows`` takes the connection used
    last, or checks one out when none is kept; a use that ends cleanly keeps it (up to
    ``keep``: the others go back to the pool), any error or cancellation gives it back to the
    pool as ``pg_rows`` does (a lost one dropped, with the kept ones). ``keep`` is the uses in
    flight at once that skip the pool; the connections are kept only as many as were in use
    together, up to 16 of the process's 40 (``engine.PG_POOL_SIZE`` and overflow): a wrk run
    of 16 connections had ~16 pages in flight, and with 4 kept most of them still went
    through the pool. ``rows``' statements run outside any transaction, so each one sees the
    last commit, in this process or any other.

    No connection is kept or given back inside a transaction: the pool's reset cannot end a
    transaction begun on ``asyncpg`` (SQLAlchemy's adapter rolls back only the transactions
    it began), so a connection still in one would carry its locks, its snapshot or its failed
    state into the next use. ``transaction`` rolls back on any error; when that is not
    possible (the connection lost, the task cancelled, the ``ROLLBACK`` refused) the
    connection is closed and dropped from the pool instead. A connection kept idle for
    ``idle_s`` is pinged before use (the pool's own idle check does not see it: it is checked
    out) and replaced when lost. Event-loop only; ``close`` gives them all back."""

    def __init__(self, engine: AsyncEngine, keep: int = 16, idle_s: float = 10.0) -> None:
        self._engine = engine
        self._keep = keep
        self._idle_s = idle_s
        # (the pool's connection, its statements, when it was last given back)
        self._free: list[tuple[PoolProxiedConnection, PgRows, float]] = []

    @property
    def kept(self) -> int:
        """How many connections are kept checked out now."""
        return len(self._free)

    async def _checked_out(self) -> tuple[PoolProxiedConnection, PgRows]:
        pooled = await self._engine.raw_connection()
        rows = PgRows(self._engine.dialect, pooled.dbapi_connection, pooled.driver_connection)
        return pooled, rows

    async def _take(self) -> tuple[PoolProxiedConnection, PgRows]:
        while self._free:
            pooled, rows, since = self._free.pop()
            if time.monotonic() - since < self._idle_s:
                return pooled, rows
            try:
                await rows.fetch("SELECT 1", ())
            except DBAPIError as error:
                await self._drop(pooled, error)
                continue
            return pooled, rows
        return await self._checked_out()

    async def _drop(self, pooled: PoolProxiedConnection, error: DBAPIError) -> None:
        """Give ``pooled`` back after ``error``. Lost, it is dropped from the pool, which
        recycles every older connection at its next checkout (as SQLAlchemy does on a
        disconnect), and the kept ones go back to it too: none is used again."""
        if error.connection_invalidated:
            await greenlet_spawn(self._engine.sync_engine.pool._invalidate, pooled, error)
            await self.close()
        await greenlet_spawn(pooled.close)

    async def _discard(self, pooled: PoolProxiedConnection, rows: PgRows) -> None:
        """Close ``pooled`` at once and drop it from the pool (the pool opens a new one in its
        place at a later checkout): what its transaction left behind ends with it."""
        rows.driver.terminate()
        await greenlet_spawn(pooled.invalidate)

    async def _release(self, pooled: PoolProxiedConnection, rows: PgRows) -> None:
        """After a use that ended cleanly: keep ``pooled`` (up to ``keep``) or give it back;
        one still inside a transaction (it never should be) is closed instead."""
        if rows.driver.is_in_transaction():
            await self._discard(pooled, rows)
        elif len(self._free) < self._keep:
            self._free.append((pooled, rows, time.monotonic()))
        else:
            await greenlet_spawn(pooled.close)

    @contextlib.asynccontextmanager
    async def rows(self) -> AsyncIterator[PgRows]:
        """A kept (or newly checked-out) connection's ``PgRows`` for the block."""
        pooled, rows = await self._take()
        try:
            yield rows
        except DBAPIError as error:
            await self._drop(pooled, error)
            raise
        except BaseException:
            await greenlet_spawn(pooled.close)
            raise
        await self._release(pooled, rows)

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[PgRows]:
        """``BEGIN``, the block, ``COMMIT`` on a kept (or newly checked-out) connection.

        On an error in the block or at ``COMMIT`` the transaction is rolled back and the
        connection kept as after a clean use; lost (``connection_invalidated``), it is dropped
        with the kept ones as in ``rows``; cancelled, or when the ``ROLLBACK`` does not
        succeed, it is closed (``_discard``): a transaction of unknown state never reaches
        another use."""
        pooled, rows = await self._begun()
        try:
            yield rows
            await rows.execute("COMMIT")
        except Exception as error:
            await self._after_failed(pooled, rows, error)
            raise
        except BaseException:  # cancelled: the connection may be in the middle of a statement
            await self._discard(pooled, rows)
            raise
        await self._release(pooled, rows)

    async def _begun(self) -> tuple[PoolProxiedConnection, PgRows]:
        """A connection whose transaction has begun. A kept one found lost at ``BEGIN`` (a
        database restart since its last use) is dropped with the others and ``BEGIN`` sent
        once more on a new connection: nothing of the block has run yet."""
        for attempt in (1, 2):
            pooled, rows = await self._take()
            try:
                await rows.execute("BEGIN")
            except DBAPIError as error:
                await self._drop(pooled, error)
                if attempt == 2 or not error.connection_invalidated:
                    raise
                continue
            except BaseException:
                await self._discard(pooled, rows)
                raise
            return pooled, rows
        raise AssertionError("unreachable")

    async def _after_failed(
        self, pooled: PoolProxiedConnection, rows: PgRows, error: Exception
    ) -> None:
        """End a transaction that failed with ``error``: rolled back and kept, lost and
        dropped, or closed when the ``ROLLBACK`` does not succeed."""
        if isinstance(error, DBAPIError) and error.connection_invalidated:
            await self._drop(pooled, error)
            return
        try:
            if rows.driver.is_in_transaction():
                await rows.execute("ROLLBACK")
        except DBAPIError as failed:
            if failed.connection_invalidated:
                await self._drop(pooled, failed)
            else:
                await self._discard(pooled, rows)
            return
        except Exception:
            await self._discard(pooled, rows)
            return
        except BaseException:
            await self._discard(pooled, rows)
            raise
        await self._release(pooled, rows)

    async def close(self) -> None:
        """Give every kept connection back to the pool."""
        while self._free:
            pooled, _rows, _since = self._free.pop()
            await greenlet_spawn(pooled.close)
