"""The aiosqlite interface over a plain ``sqlite3`` connection, run on the calling thread.

SQLAlchemy's ``sqlite+aiosqlite`` dialect awaits every DBAPI call; aiosqlite answers each
one from its worker thread, one queue hop and event-loop wake-up per call (about 40 per
ingress transaction). The SQLite write path needs none of that: ``Database`` serialises
write transactions behind one lock, and with WAL and ``synchronous=NORMAL`` a commit does not
wait for the disk, so each call takes microseconds. ``connect`` returns an object that
SQLAlchemy's aiosqlite adapter drives exactly like an aiosqlite connection (passed as
``async_creator`` to ``create_async_engine``), but whose coroutines finish without ever
suspending: the whole transaction runs inline on the event-loop thread.

Only for short transactions (writes, and bounded reads on read-only connections): a
statement here blocks the event loop while it runs, so long reads stay on aiosqlite's
threads. The write connection is opened with ``busy_timeout`` 0 (another process holding the
write lock makes ``BEGIN IMMEDIATE`` fail at once with ``SQLITE_BUSY`` and the caller retries
asynchronously instead of blocking the loop).
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

ARRAYSIZE = 1


class InlineCursor:
    """An aiosqlite-style cursor whose coroutines run the ``sqlite3`` call at once."""

    __slots__ = ("_cursor",)

    def __init__(self, cursor: sqlite3.Cursor) -> None:
        self._cursor = cursor

    async def __aenter__(self) -> InlineCursor:
        return self

    async def __aexit__(self, *_exc: object) -> None:
        self._cursor.close()

    @property
    def description(self) -> Any:
        """The DBAPI description of the last statement's columns."""
        return self._cursor.description

    @property
    def rowcount(self) -> int:
        """Rows changed by the last statement."""
        return self._cursor.rowcount

    @property
    def lastrowid(self) -> int | None:
        """The rowid of the last inserted row."""
        return self._cursor.lastrowid

    @property
    def arraysize(self) -> int:
        """Rows ``fetchmany`` returns by default."""
        return self._cursor.arraysize

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        self._cursor.arraysize = value

    async def execute(self, sql: str, parameters: Any = None) -> InlineCursor:
        """Run one statement."""
        if parameters is None:
            self._cursor.execute(sql)
        else:
            self._cursor.execute(sql, parameters)
        return self

    async def executemany(self, sql: str, parameters: Iterable[Any]) -> InlineCursor:
        """Run one statement for each parameter set."""
        self._cursor.executemany(sql, parameters)
        return self

    async def fetchone(self) -> Any:
        """The next row or ``None``."""
        return self._cursor.fetchone()

    async def fetchmany(self, size: int | None = None) -> Sequence[Any]:
        """Up to ``size`` rows."""
        return self._cursor.fetchmany(self._cursor.arraysize if size is None else size)

    async def fetchall(self) -> Sequence[Any]:
        """The remaining rows."""
        return self._cursor.fetchall()

    async def close(self) -> None:
        """Close the cursor."""
        self._cursor.close()


class InlineConnection:
    """An aiosqlite-style connection whose coroutines run the ``sqlite3`` call at once.

    ``_connection`` carries aiosqlite's name for the open ``sqlite3`` connection (``None``
    once closed): SQLAlchemy's adapter reads it before rolling back or committing.
    """

    __slots__ = ("_connection",)

    def __init__(self, connection: sqlite3.Connection) -> None:
        self._connection: sqlite3.Connection | None = connection

    def _open(self) -> sqlite3.Connection:
        if self._connection is None:
            raise ValueError("no active connection")
        return self._connection

    @property
    def sqlite(self) -> sqlite3.Connection:
        """The open ``sqlite3`` connection, for statements run on it directly."""
        return self._open()

    @property
    def isolation_level(self) -> str | None:
        """``None``: SQLite autocommit mode, transactions begin with an explicit BEGIN."""
        return self._open().isolation_level

    def cursor(self) -> InlineCursor:
        """A new cursor (SQLAlchemy enters it with ``async with``)."""
        return InlineCursor(self._open().cursor())

    async def commit(self) -> None:
        """Commit the transaction."""
        self._open().commit()

    async def rollback(self) -> None:
        """Roll the transaction back."""
        self._open().rollback()

    async def create_function(
        self, name: str, num_params: int, func: Callable[..., Any], **options: Any
    ) -> None:
        """Register a Python function for SQL (SQLAlchemy adds ``regexp`` and ``floor``)."""
        self._open().create_function(name, num_params, func, **options)

    async def close(self) -> None:
        """Close the connection (again is a no-op)."""
        self.stop()

    def stop(self) -> None:
        """Close at once: what SQLAlchemy calls when it terminates a connection."""
        if self._connection is not None:
            self._connection.close()
            self._connection = None


async def connect(path: str, busy_timeout_s: float = 0.0) -> InlineConnection:
    """Open ``path`` in autocommit mode with ``busy_timeout`` 0 by default (see module docs)."""
    connection = sqlite3.connect(
        path, timeout=busy_timeout_s, isolation_level=None, check_same_thread=False
    )
    return InlineConnection(connection)


class LoopReader:
    """One plain read-only ``sqlite3`` connection for the event loop's pollers (and one for
    the ticket page's first pages, ``Database.page_reader``).

    A poller that reads a few rows by primary key every second (the event bus's reader) or
    only asks whether anything was committed (``PRAGMA data_version``) pays, through an
    SQLAlchemy connection, a pool checkout, ``BEGIN``, the statement's cache key and a
    ``ROLLBACK``: about 0.5-1.3 ms of CPU per call against ~5 us here. Each statement is its
    own read transaction (autocommit mode; every result is fetched whole, so no read stays
    open), so it sees the last commit of any connection or process. Opened on first use;
    only for statements of microseconds on the event-loop thread.
    """

    __slots__ = ("_busy_timeout_s", "_connection", "_path")

    def __init__(self, path: str, busy_timeout_s: float) -> None:
        self._path = path
        self._busy_timeout_s = busy_timeout_s
        self._connection: sqlite3.Connection | None = None

    def _open(self) -> sqlite3.Connection:
        if self._connection is None:
            connection = sqlite3.connect(
                self._path,
                timeout=self._busy_timeout_s,
                isolation_level=None,
                check_same_thread=False,
            )
            connection.execute("PRAGMA query_only=ON")
            self._connection = connection
        return self._connection

    def connection(self) -> sqlite3.Connection:
        """The connection, in autocommit mode: each statement is its own read transaction."""
        return self._open()

    def rows(self, sql: str, parameters: Sequence[Any]) -> list[Any]:
        """Every row of one short read."""
        return self._open().execute(sql, parameters).fetchall()

    @contextlib.contextmanager
    def snapshot(self) -> Iterator[sqlite3.Connection]:
        """The connection inside one read transaction: every statement run on it in the block
        sees the same commit (a page's items and their last messages' reactions and files).
        Nothing may suspend inside the block (it holds the connection)."""
        connection = self._open()
        connection.execute("BEGIN")
        try:
            yield connection
        finally:
            if connection.in_transaction:  # an error may have ended it already
                connection.execute("ROLLBACK")

    def data_version(self) -> int:
        """SQLite's ``PRAGMA data_version`` of this connection: it differs from an earlier
        answer exactly when some other connection (of any process) committed in between."""
        ((version,),) = self._open().execute("PRAGMA data_version").fetchall()
        return int(version)

    def close(self) -> None:
        """Close the connection (it opens again on the next use)."""
        if self._connection is not None:
            self._connection.close()
            self._connection = None
