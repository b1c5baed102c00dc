"""PostgreSQL statements on a pooled connection's ``asyncpg`` connection, without SQLAlchemy.

The hottest PostgreSQL reads (an agent's first ticket page, the event reader's next rows) run
fixed statements many times a second. Through SQLAlchemy each one costs an ``AsyncConnection``,
the execution context, a result proxy and the greenlet hops around them: on the event reader
about a third of the server CPU of a customer message (``benchmarks/RESULTS.md``, issue 14,
eleventh round). ``pg_rows`` checks a connection out of the engine's pool, runs the statements on
its ``asyncpg`` connection outside any transaction (each one sees the last commit, as under
``READ COMMITTED``) and gives it back; errors are raised as SQLAlchemy raises them for a Core
statement, and a lost connection is dropped from the pool as SQLAlchemy drops it.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Sequence
from typing import Any

from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine
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
