"""Hand-written SQL on a write transaction's own SQLite connection, for the hottest paths.

A customer message and an agent's reply run six and eight statements. Through SQLAlchemy each
one costs far more than SQLite takes to run it, even as a Core statement built once: the
``AsyncConnection``'s greenlet hop, the execution context, parameter and result processing
(about a third of the request's CPU, see ``benchmarks/RESULTS.md``, issue 14). On a SQLite
file a write transaction runs on the inline connection (``db.inline_sqlite``): a plain
``sqlite3`` connection used on the event-loop thread. ``Database.transaction`` keeps it in the
session's ``info`` (``remember``) once ``BEGIN IMMEDIATE`` has run on it, and ``connection``
gives it to the hot paths, which run their statements on it directly: the same connection
and transaction as the session's, no extra lock (SQLite has no row locks; the write lock is
the transaction's). Anywhere else (PostgreSQL, a threaded transaction on aiosqlite's worker
thread) it is ``None`` and the callers run their Core statements as before.

Values are bound as SQLAlchemy's types store them: ``stored_moment`` is ``UTCDateTime``'s own
bind processor for SQLite (naive UTC text, microseconds), ``read_moment`` its result
processor; integers, text and ``None`` pass through as the pysqlite driver passes them.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Sequence
from typing import Any

import asyncpg  # type: ignore[import-untyped]
from sqlalchemy.dialects.sqlite.aiosqlite import SQLiteDialect_aiosqlite
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError, StatementError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.orm import Session

from convos_server.db.inline_sqlite import InlineConnection
from convos_server.db.models import UTCDateTime

INLINE_SQLITE = "convos_inline_sqlite"
ASYNCPG = "convos_asyncpg"

_DIALECT = SQLiteDialect_aiosqlite()
_MOMENT = UTCDateTime().dialect_impl(_DIALECT)
_bind_moment = _MOMENT.bind_processor(_DIALECT)
_result_moment = _MOMENT.result_processor(_DIALECT, None)


def numbered(sql: str) -> str:
    """``sql`` written with ``?`` placeholders, with PostgreSQL's ``$1``, ``$2``... instead."""
    parts = sql.split("?")
    return parts[0] + "".join(f"${n}{part}" for n, part in enumerate(parts[1:], start=1))


def stored_moment(value: dt.datetime) -> str:
    """``value`` as ``UTCDateTime`` stores it on SQLite: its bind processor's text (naive
    UTC, six fractional digits), formatted here without the processors' chain of calls
    (several microseconds each time; ``tests/server/test_driver_sql.py`` compares the two)."""
    if value.tzinfo is None:
        raise ValueError("naive datetime given to UTCDateTime")
    if value.tzinfo is not dt.UTC:
        value = value.astimezone(dt.UTC)
    return value.replace(tzinfo=None).isoformat(" ", "microseconds")


def stored_moment_by_sqlalchemy(value: dt.datetime) -> str:
    """``stored_moment`` through SQLAlchemy's own bind processor (the reference)."""
    assert _bind_moment is not None
    return str(_bind_moment(value))


def read_moment(value: str | None) -> dt.datetime | None:
    """A stored ``UTCDateTime`` as SQLAlchemy reads it on SQLite (aware UTC)."""
    assert _result_moment is not None
    return None if value is None else _result_moment(value)


def _driver_of(connection: AsyncConnection) -> Any:
    return connection.sync_connection.connection.driver_connection  # type: ignore[union-attr]


def remember(session: AsyncSession, connection: AsyncConnection) -> None:
    """Keep the session's driver connection in its ``info``: the inline ``sqlite3`` one, or
    the ``asyncpg`` one once its transaction has begun (SQLAlchemy begins it lazily, at the
    first statement: a statement run before would run outside the transaction)."""
    driver = _driver_of(connection)
    if isinstance(driver, InlineConnection):
        session.info[INLINE_SQLITE] = driver.sqlite
    elif isinstance(driver, asyncpg.Connection) and driver.is_in_transaction():
        session.info[ASYNCPG] = driver


def forget(session: AsyncSession) -> None:
    """The transaction ended: its connection is no longer the session's to use."""
    session.info.pop(INLINE_SQLITE, None)
    session.info.pop(ASYNCPG, None)


def postgres(session: Session | AsyncSession) -> asyncpg.Connection | None:
    """The ``asyncpg`` connection of the session's transaction once ``remember`` kept it."""
    driver: asyncpg.Connection | None = session.info.get(ASYNCPG)
    return driver


def current(session: Session | AsyncSession) -> sqlite3.Connection | None:
    """The inline ``sqlite3`` connection of ``session``'s transaction, or ``None`` (no flush:
    for the commit's own hooks)."""
    connection: sqlite3.Connection | None = session.info.get(INLINE_SQLITE)
    return connection


async def connection(session: AsyncSession) -> sqlite3.Connection | None:
    """The inline ``sqlite3`` connection of the session's transaction (see module docs), with
    the session's pending changes flushed first (a statement run on the driver does not
    autoflush); ``None`` when there is none."""
    raw: sqlite3.Connection | None = session.info.get(INLINE_SQLITE)
    if raw is not None and (session.new or session.dirty or session.deleted):
        await session.flush()
    return raw


def one(raw: sqlite3.Connection, sql: str, parameters: tuple[Any, ...]) -> Any:
    """The first row of ``sql`` (``None`` when there is none), the statement run to its end
    (an ``INSERT ... RETURNING`` must finish before the commit)."""
    try:
        rows = raw.execute(sql, parameters).fetchall()
    except sqlite3.Error as error:
        raise _translated(sql, parameters, error) from error
    return rows[0] if rows else None


def rows(raw: sqlite3.Connection, sql: str, parameters: tuple[Any, ...]) -> list[Any]:
    """Every row of ``sql``."""
    try:
        return raw.execute(sql, parameters).fetchall()
    except sqlite3.Error as error:
        raise _translated(sql, parameters, error) from error


def run(raw: sqlite3.Connection, sql: str, parameters: tuple[Any, ...]) -> None:
    """Run ``sql`` once."""
    try:
        raw.execute(sql, parameters)
    except sqlite3.Error as error:
        raise _translated(sql, parameters, error) from error


def run_many(raw: sqlite3.Connection, sql: str, rows: Sequence[tuple[Any, ...]]) -> None:
    """Run ``sql`` once for each of ``rows``."""
    try:
        raw.executemany(sql, rows)
    except sqlite3.Error as error:
        raise _translated(sql, rows, error) from error


def _translated(sql: str, parameters: Any, error: sqlite3.Error) -> StatementError:
    """The error SQLAlchemy raises for ``error`` (``IntegrityError``, ``OperationalError``...),
    so that ``db.retry`` and the error handlers see what they saw from a Core statement."""
    return DBAPIError.instance(sql, parameters, error, sqlite3.Error)


async def pg_one(driver: asyncpg.Connection, sql: str, *parameters: Any) -> Any:
    """The first row of ``sql`` on PostgreSQL (``None`` when there is none)."""
    try:
        return await driver.fetchrow(sql, *parameters)
    except asyncpg.PostgresError as error:
        raise pg_translated(sql, parameters, error) from error


async def pg_run(driver: asyncpg.Connection, sql: str, *parameters: Any) -> None:
    """Run ``sql`` once on PostgreSQL."""
    try:
        await driver.execute(sql, *parameters)
    except asyncpg.PostgresError as error:
        raise pg_translated(sql, parameters, error) from error


async def pg_run_many(
    driver: asyncpg.Connection, sql: str, rows: Sequence[tuple[Any, ...]]
) -> None:
    """Run ``sql`` once for each of ``rows`` on PostgreSQL."""
    try:
        await driver.executemany(sql, rows)
    except asyncpg.PostgresError as error:
        raise pg_translated(sql, rows, error) from error


def pg_translated(sql: str, parameters: Any, error: asyncpg.PostgresError) -> DBAPIError:
    """SQLAlchemy's class for ``error`` (a constraint: ``IntegrityError``; a deadlock or a
    serialization failure: ``OperationalError``; ``orig.sqlstate`` kept for ``db.retry``)."""
    if isinstance(error, asyncpg.IntegrityConstraintViolationError):
        return IntegrityError(sql, parameters, error)
    if isinstance(error, asyncpg.TransactionRollbackError):
        return OperationalError(sql, parameters, error)
    return DBAPIError(sql, parameters, error)
