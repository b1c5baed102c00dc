"""The async database engine: SQLite (aiosqlite, WAL) by default, PostgreSQL (asyncpg) to scale.

``Database`` bundles the engine, the session factory and write transactions. On SQLite every
write transaction starts with ``BEGIN IMMEDIATE`` behind an in-process lock, so writers queue
instead of failing with "database is locked" and events get their sequence in commit order.

SQLite write transactions run on a second engine of one connection whose driver calls run
inline on the event-loop thread (``inline_sqlite``): the lock already serialises them, and a
WAL commit does not wait for the disk, so a transaction costs no thread hop per statement.
Bounded reads (a page, a row, a token lookup: ``Database.read``) run the same way on a small
pool of inline read-only connections (WAL readers never wait for the writer); long reads
(reports, counts, exports, search) keep aiosqlite's worker threads, so a slow query never
blocks the loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import sqlite3
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import event
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.exc import DisconnectionError, OperationalError
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import Session
from sqlalchemy.pool import ConnectionPoolEntry, PoolProxiedConnection
from sqlalchemy.util import greenlet_spawn

from convos_server.db import driver_sql, inline_sqlite
from convos_server.db.lean import BeforeCommit, LeanSession, NeedsSession
from convos_server.db.pg_driver import KeptConnections

log = logging.getLogger("convos.db")
T = TypeVar("T")

SQLITE_BUSY_TIMEOUT_MS = 10_000
IMMEDIATE_OPTION = "convos_sqlite_immediate"
# Back-off while another process holds the SQLite write lock (the inline writer never waits
# inside SQLite: that would block the event loop).
BUSY_RETRY_FIRST_S = 0.001
BUSY_RETRY_MAX_S = 0.05
# Inline SQLite readers: a read never suspends, but AsyncSession.close gives the connection
# back from a shielded task, so the requests in flight hold about one connection each; a
# connection taken beyond ``pool_size`` is closed when it comes back (and reopened next
# time), so the pool keeps as many as a busy process has requests in flight.
READ_POOL_SIZE = 32
READ_POOL_OVERFLOW = 32
# PostgreSQL: at most 40 connections per process, as before, but kept open (see
# ``create_engine``).
PG_POOL_SIZE = 30
PG_POOL_OVERFLOW = 10
# A WAL reader waits for a lock only in rare moments (the WAL index being rebuilt after a
# crash); it waits this long, on the loop, before failing.
READ_BUSY_TIMEOUT_MS = 100
# A pooled PostgreSQL connection idle this long is pinged before use.
IDLE_PING_S = 10.0
# The inline SQLite writer does not checkpoint the WAL when it commits (a checkpoint syncs
# the file: tens of ms on the event loop here); every this many commits a passive
# checkpoint runs on a worker thread instead.
CHECKPOINT_EVERY_COMMITS = 100
_IDLE_SINCE = "convos_idle_since"


def _install_sqlite_hooks(
    engine: AsyncEngine, busy_timeout_ms: int, extra_pragmas: tuple[str, ...] = ()
) -> None:
    """Pragmas on every new connection and explicit BEGIN (deferred or immediate)."""

    @event.listens_for(engine.sync_engine, "connect")
    def on_connect(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
        # Let SQLAlchemy's "begin" hook below issue BEGIN itself.
        if dbapi_connection.isolation_level is not None:
            dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        for pragma in (
            "PRAGMA journal_mode=WAL",
            "PRAGMA foreign_keys=ON",
            f"PRAGMA busy_timeout={busy_timeout_ms}",
            "PRAGMA synchronous=NORMAL",
            *extra_pragmas,
        ):
            cursor.execute(pragma)
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def on_begin(connection: Connection) -> None:
        immediate = connection.get_execution_options().get(IMMEDIATE_OPTION, False)
        statement = "BEGIN IMMEDIATE" if immediate else "BEGIN"
        driver = connection.connection.driver_connection
        if isinstance(driver, inline_sqlite.InlineConnection):
            # An inline connection (the writer, the readers): straight to ``sqlite3``, as the
            # hot paths' statements are (``driver_sql``); SQLAlchemy's execution of a
            # statement costs many times what SQLite takes to begin.
            driver_sql.run(driver.sqlite, statement, ())
        else:
            connection.exec_driver_sql(statement)


def _sqlite_file(url: URL) -> str | None:
    """The database file of a SQLite URL, ``None`` for an in-memory database."""
    if not url.database or url.database == ":memory:" or url.query.get("mode") == "memory":
        return None
    return url.database


def create_engine(database_url: str) -> AsyncEngine:
    """An async engine for ``database_url`` with the project's connection set-up."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        path = _sqlite_file(url)
        if path is not None:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(url, pool_size=8, max_overflow=16)
        _install_sqlite_hooks(engine, SQLITE_BUSY_TIMEOUT_MS)
        return engine
    # Most of the 40 connections stay open: SQLAlchemy closes a connection taken beyond
    # ``pool_size`` when it comes back, and a new asyncpg connection costs milliseconds of
    # CPU. AsyncSession.close returns its connection from a shielded task, so a process with
    # ~16 requests in flight holds more connections than requests for a moment: with a pool
    # of 10, every third request opened one (measured: 131 connects in 320 reads).
    engine = create_async_engine(url, pool_size=PG_POOL_SIZE, max_overflow=PG_POOL_OVERFLOW)
    _ping_idle_connections(engine)
    return engine


def _ping_idle_connections(engine: AsyncEngine) -> None:
    """Check a pooled connection before use only when it sat idle for ``IDLE_PING_S``.

    SQLAlchemy's ``pool_pre_ping`` pings on every checkout; asyncpg's ping is three round
    trips (BEGIN, a query, ROLLBACK), measured at about 4 ms of server CPU per ingress
    message. A connection the server lost (database restart, idle timeout) is found the
    same way after a quiet spell; one lost within seconds of its last use fails that one
    request, and SQLAlchemy then renews the pool.
    """

    @event.listens_for(engine.sync_engine, "checkin")
    def on_checkin(_dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
        record.info[_IDLE_SINCE] = time.monotonic()

    @event.listens_for(engine.sync_engine, "checkout")
    def on_checkout(dbapi_connection: Any, record: ConnectionPoolEntry, _proxy: Any) -> None:
        idle_since = record.info.get(_IDLE_SINCE)
        if idle_since is None or time.monotonic() - idle_since < IDLE_PING_S:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except Exception as error:
            log.info("pooled connection lost while idle; opening a new one: %s", error)
            raise DisconnectionError(str(error)) from error


def _inline_sqlite_engine(
    database_url: str,
    *,
    busy_timeout_ms: int,
    pool_size: int,
    max_overflow: int,
    extra_pragmas: tuple[str, ...],
) -> AsyncEngine | None:
    """An engine of inline connections to a SQLite file database, else ``None``."""
    url = make_url(database_url)
    path = _sqlite_file(url) if url.get_backend_name() == "sqlite" else None
    if path is None or url.query.get("uri"):
        return None
    engine = create_async_engine(
        url,
        async_creator=functools.partial(
            inline_sqlite.connect, path, busy_timeout_s=busy_timeout_ms / 1000
        ),
        pool_size=pool_size,
        max_overflow=max_overflow,
    )
    _install_sqlite_hooks(engine, busy_timeout_ms, extra_pragmas)
    return engine


def create_sqlite_write_engine(database_url: str) -> AsyncEngine | None:
    """The inline write engine of a SQLite file database (one connection), else ``None``."""
    # No checkpoint inside a commit (its fsync would stall the loop): see Database.
    return _inline_sqlite_engine(
        database_url,
        busy_timeout_ms=0,
        pool_size=1,
        max_overflow=0,
        extra_pragmas=("PRAGMA wal_autocheckpoint=0",),
    )


def create_loop_reader(database_url: str) -> inline_sqlite.LoopReader | None:
    """The pollers' plain read-only connection to a SQLite file database, else ``None``."""
    url = make_url(database_url)
    path = _sqlite_file(url) if url.get_backend_name() == "sqlite" else None
    if path is None or url.query.get("uri"):
        return None
    return inline_sqlite.LoopReader(path, busy_timeout_s=READ_BUSY_TIMEOUT_MS / 1000)


def create_sqlite_read_engine(database_url: str) -> AsyncEngine | None:
    """Inline read-only connections to a SQLite file database (``query_only``), else ``None``."""
    return _inline_sqlite_engine(
        database_url,
        busy_timeout_ms=READ_BUSY_TIMEOUT_MS,
        pool_size=READ_POOL_SIZE,
        max_overflow=READ_POOL_OVERFLOW,
        extra_pragmas=("PRAGMA query_only=ON",),
    )


def _is_busy(error: OperationalError) -> bool:
    return getattr(error.orig, "sqlite_errorcode", None) == sqlite3.SQLITE_BUSY


class _LeanSqlite:
    """``Database.lean`` on the inline writer: its lock, ``BEGIN IMMEDIATE`` with the busy
    retry, ``COMMIT`` with the hooks, the connection kept for the next one, the checkpoint
    counted. A class, not a generator-based context manager: it is entered for every customer
    message and reply, and the generator's machinery (two async generators, their
    first-iteration hook and contextlib's wrappers) cost more than the rest of it."""

    __slots__ = ("_db", "_proxied", "_raw", "_session")

    def __init__(self, db: Database) -> None:
        self._db = db
        self._proxied: PoolProxiedConnection | None = None
        self._raw: sqlite3.Connection | None = None
        self._session: AsyncSession | None = None

    async def __aenter__(self) -> AsyncSession:
        db = self._db
        assert db.write_engine is not None
        assert db._write_lock is not None
        db._writers += 1
        try:
            await db._write_lock.acquire()
        except BaseException:
            db._writers -= 1
            raise
        try:
            proxied, db._parked = db._parked, None
            if proxied is None:
                proxied = await db.write_engine.raw_connection()
            try:
                await db._lean_begin(proxied)
            except BaseException:  # BEGIN failed: the pool decides
                await greenlet_spawn(proxied.close)
                raise
        except BaseException:
            db._write_lock.release()
            db._writers -= 1
            raise
        self._proxied = proxied
        self._raw = raw = proxied.driver_connection.sqlite  # type: ignore[union-attr]
        self._session = session = LeanSession(raw, db.session_class).as_session()
        return session

    async def __aexit__(self, exc_type: type[BaseException] | None, *_exc: object) -> None:
        db, raw, session = self._db, self._raw, self._session
        assert raw is not None
        assert session is not None
        assert db._write_lock is not None
        ended = False
        try:
            try:
                if exc_type is None:
                    for hook in db.lean_before_commit:
                        await hook(session)
                    driver_sql.run(raw, "COMMIT", ())
                    for after in db.lean_after_commit:
                        after(session)
            finally:
                if raw.in_transaction:
                    raw.rollback()
                ended = not raw.in_transaction
        finally:
            try:
                if ended:
                    # Kept for the next lean transaction: no pool check-in and check-out
                    # (two greenlet hops and the reset's ROLLBACK) per write; it is outside
                    # any transaction, as the pool's reset would leave it.
                    db._parked = self._proxied
                else:  # the rollback failed: the pool decides
                    assert self._proxied is not None
                    await greenlet_spawn(self._proxied.close)
            finally:
                db._write_lock.release()
                db._writers -= 1
        if exc_type is None:
            db._count_inline_commit()


class Database:
    """The engine, the session factory and write transactions of one server process."""

    # ``ping`` asks the database again once its last answer is this old.
    PING_FRESH_S = 1.0

    def __init__(self, database_url: str) -> None:
        self.engine = create_engine(database_url)
        self.is_sqlite = self.engine.dialect.name == "sqlite"
        self.is_postgres = self.engine.dialect.name == "postgresql"
        self.dialect_name: str = self.engine.dialect.name
        self._pinged_at = -self.PING_FRESH_S
        # A Session class of this database's own, so session events (the event bus writes
        # its pending events in ``before_commit``) do not leak into other databases.
        self.session_class: type[Session] = type(
            "ConvosSession", (Session,), {"__doc__": "A session of one Convos database."}
        )
        self.sessionmaker = self._sessionmaker_of(self.engine)
        self.write_engine = create_sqlite_write_engine(database_url)
        self._write_sessionmaker = self._sessionmaker_of(self.write_engine)
        self.read_engine = create_sqlite_read_engine(database_url)
        self._read_sessionmaker = self._sessionmaker_of(self.read_engine)
        # SQLite file: the pollers' reads and change checks without SQLAlchemy (``LoopReader``).
        self.loop_reader = create_loop_reader(database_url)
        # SQLite file: the ticket page's first pages (``services.ticket_page``), a connection of
        # their own (the pollers' ``data_version`` stays theirs).
        self.page_reader = create_loop_reader(database_url)
        # PostgreSQL: a few pooled connections kept checked out, for the ticket page's first
        # pages, the event reader and the lean write transactions (``db.pg_driver``).
        self.kept_connections = (
            KeptConnections(self.engine, idle_s=IDLE_PING_S) if self.is_postgres else None
        )
        self._write_lock = asyncio.Lock() if self.is_sqlite else None
        self._commits_since_checkpoint = 0
        self._checkpoint_task: asyncio.Task[None] | None = None
        self._writers = 0  # write transactions running or waiting for the lock
        # The write engine's only connection, kept checked out between ``lean`` transactions
        # (under the write lock, outside any transaction); a session's transaction or
        # ``dispose`` gives it back to the pool first (``release_writer``).
        self._parked: PoolProxiedConnection | None = None
        # What a ``lean`` transaction runs before its COMMIT (the event bus's inserts): the
        # session hooks' counterparts (``db.lean``).
        self.lean_before_commit: list[BeforeCommit] = []
        # What a ``lean`` transaction runs once its COMMIT succeeded (the event bus takes the
        # events it inserted with their ids: its reader need not read them back).
        self.lean_after_commit: list[Callable[[AsyncSession], None]] = []

    @property
    def has_lean(self) -> bool:
        """Whether ``lean`` transactions exist here (a SQLite file's inline writer, or
        PostgreSQL's asyncpg connections)."""
        return self.write_engine is not None or self.is_postgres

    def lean(self) -> contextlib.AbstractAsyncContextManager[AsyncSession]:
        """A write transaction on the driver without an ORM session (``db.lean``):
        committed when the block ends, rolled back on an exception (``NeedsSession`` too)."""
        if self.is_postgres:
            return self._lean_postgres()
        return _LeanSqlite(self)

    async def release_writer(self) -> None:
        """Give the write engine's connection a ``lean`` transaction kept back to its pool
        (its only connection: anything else that checks it out waits for it otherwise).
        Only under the write lock, or when no write runs (tests, shutdown)."""
        parked, self._parked = self._parked, None
        if parked is not None:
            await greenlet_spawn(parked.close)

    @contextlib.asynccontextmanager
    async def _lean_postgres(self) -> AsyncIterator[AsyncSession]:
        """``lean`` on a kept connection's asyncpg connection (``KeptConnections.transaction``):
        its errors raised as SQLAlchemy's, rolled back on any error, a lost connection dropped
        from the pool, one that could not be rolled back closed."""
        assert self.kept_connections is not None
        self._writers += 1
        try:
            async with self.kept_connections.transaction() as pg:
                session = LeanSession(pg.driver, self.session_class).as_session()
                yield session
                for hook in self.lean_before_commit:
                    await hook(session)
        finally:
            self._writers -= 1
        for after in self.lean_after_commit:  # committed: the block ended without an error
            after(session)

    @contextlib.asynccontextmanager
    async def autocommit(self) -> AsyncIterator[AsyncSession]:
        """PostgreSQL: a ``LeanSession`` on a kept connection outside any transaction, each
        statement committed on its own (no ``BEGIN``, no ``COMMIT``: a write that is one
        statement, ``messages.reply_at_once``). Nothing may queue an event in it (the hooks
        of ``lean_before_commit`` do not run); once the block ended without an error
        ``lean_after_commit``'s do, for the events its statements kept (``keep_inserted``)."""
        assert self.kept_connections is not None
        self._writers += 1
        try:
            async with self.kept_connections.rows() as pg:
                session = LeanSession(pg.driver, self.session_class).as_session()
                yield session
        finally:
            self._writers -= 1
        for after in self.lean_after_commit:
            after(session)

    async def write(
        self, work: Callable[[AsyncSession], Awaitable[T]], *, lean_first: bool = True
    ) -> T:
        """``work(session)`` in one write transaction: first without an ORM session (``lean``)
        where there is one and ``lean_first``; when the work needs a session
        (``NeedsSession``: the lean block was rolled back, having changed nothing), or there
        is no lean transaction here, in ``transaction``."""
        if lean_first and self.has_lean:
            try:
                async with self.lean() as session:
                    return await work(session)
            except NeedsSession:
                pass
        async with self.transaction() as session:
            return await work(session)

    async def _lean_begin(self, proxied: PoolProxiedConnection) -> None:
        """``BEGIN IMMEDIATE`` on the inline writer, retried while another process holds the
        lock, as ``_begin_write`` does."""
        raw: sqlite3.Connection = proxied.driver_connection.sqlite  # type: ignore[union-attr]
        loop = asyncio.get_running_loop()
        deadline = loop.time() + SQLITE_BUSY_TIMEOUT_MS / 1000
        pause = BUSY_RETRY_FIRST_S
        while True:
            try:
                driver_sql.run(raw, "BEGIN IMMEDIATE", ())
            except OperationalError as error:
                if not _is_busy(error) or loop.time() + pause > deadline:
                    raise
                log.debug("SQLite write lock held elsewhere; retrying in %.3f s", pause)
                await asyncio.sleep(pause)
                pause = min(pause * 2, BUSY_RETRY_MAX_S)
            else:
                return

    @contextlib.asynccontextmanager
    async def transaction(self, *, threaded: bool = False) -> AsyncIterator[AsyncSession]:
        """A write transaction, committed when the block ends, rolled back on an exception.

        ``threaded``: on SQLite, run it on a worker thread instead of inline, for a statement
        that may take long inside SQLite (a bulk DELETE) and must not stall the event loop.
        """
        async with contextlib.AsyncExitStack() as stack:
            self._writers += 1
            stack.callback(self._writer_done)
            if self._write_lock is not None:
                await stack.enter_async_context(self._write_lock)
                await self.release_writer()
            session = await stack.enter_async_context(await self._begin_write(threaded))
            stack.callback(driver_sql.forget, session)
            try:
                yield session
            except BaseException:
                await session.rollback()
                raise
            await session.commit()
        if self.write_engine is not None and not threaded:
            self._count_inline_commit()

    def _writer_done(self) -> None:
        self._writers -= 1

    def _count_inline_commit(self) -> None:
        self._commits_since_checkpoint += 1
        running = self._checkpoint_task is not None and not self._checkpoint_task.done()
        if self._commits_since_checkpoint < CHECKPOINT_EVERY_COMMITS or running:
            return
        self._commits_since_checkpoint = 0
        self._checkpoint_task = asyncio.create_task(
            self._checkpoint(), name="convos-sqlite-checkpoint"
        )

    async def _checkpoint(self) -> None:
        """Copy the WAL into the database file, on a worker thread, between two writes.

        Writers wait meanwhile (as they did for SQLite's own checkpoint inside a commit), so
        the checkpoint completes and the next write starts the WAL file over instead of
        growing it; reads and the event loop go on.
        """
        assert self._write_lock is not None
        try:
            async with self._write_lock, self.engine.connect() as connection:
                await connection.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)")
        except Exception:
            log.warning("SQLite WAL checkpoint failed; the next one retries", exc_info=True)

    async def ping(self) -> None:
        """Raise unless the database answered ``SELECT 1`` in the last ``PING_FRESH_S``.

        Only a success is remembered: while the database is unreachable every call asks it.
        """
        now = time.monotonic()
        if now - self._pinged_at < self.PING_FRESH_S:
            return
        # A bare connection (a session costs several more round trips to the driver), the
        # inline one on SQLite: no worker-thread hand-off for a statement of microseconds.
        async with self.quick_read() as connection:
            await connection.exec_driver_sql("SELECT 1")
        self._pinged_at = time.monotonic()

    def _sessionmaker_of(self, engine: AsyncEngine | None) -> async_sessionmaker[AsyncSession]:
        """Sessions of this database's class on ``engine`` (``None``: the main ones)."""
        if engine is None:
            return self.sessionmaker
        return async_sessionmaker(
            engine, expire_on_commit=False, sync_session_class=self.session_class
        )

    def data_version(self) -> int | None:
        """A value that changes whenever anything was committed to the database since it was
        last read (SQLite files: ``PRAGMA data_version``, a few microseconds); ``None`` where
        no such check exists (PostgreSQL, in-memory SQLite): the caller must look."""
        if self.loop_reader is None:
            return None
        return self.loop_reader.data_version()

    def forget_ping(self) -> None:
        """Make the next ``ping`` ask the database."""
        self._pinged_at = -self.PING_FRESH_S

    @contextlib.asynccontextmanager
    async def quick_read(self) -> AsyncIterator[AsyncConnection]:
        """A connection for a short read (a few rows by primary key, ``SELECT 1``).

        On a SQLite file it is an inline read-only connection (as ``read`` uses): no
        worker-thread hand-off, where an aiosqlite read costs several, and no wait for the
        writers (a WAL reader sees the last commit). Elsewhere a pooled connection. Long
        reads (reports) must not use it: they would stall the event loop.
        """
        engine = self.engine if self.read_engine is None else self.read_engine
        async with engine.connect() as connection:
            yield connection

    def read(self) -> AsyncSession:
        """A session for a bounded read: a page (``limit`` <= 200), a few rows, a token.

        On a SQLite file its statements run inline on the event loop over a read-only
        connection (no worker-thread hand-off per DBAPI call; WAL readers do not wait for
        the writer); elsewhere it is an ordinary pooled session. Reads whose cost grows with
        the data (reports, counts, exports, search) use ``sessionmaker`` instead, and
        nothing may write through it (``query_only`` refuses on SQLite).
        """
        return self._read_sessionmaker()

    async def _begin_write(self, threaded: bool) -> AsyncSession:
        """A new write session; on SQLite its transaction already holds the write lock.

        While another process holds the lock, ``BEGIN IMMEDIATE`` is retried with a growing
        pause for up to ``SQLITE_BUSY_TIMEOUT_MS`` (the inline connection does not wait).
        """
        sessionmaker = self.sessionmaker if threaded else self._write_sessionmaker
        session = sessionmaker()
        if not self.is_sqlite:
            return session
        loop = asyncio.get_running_loop()
        deadline = loop.time() + SQLITE_BUSY_TIMEOUT_MS / 1000
        pause = BUSY_RETRY_FIRST_S
        while True:
            try:
                connection = await session.connection(execution_options={IMMEDIATE_OPTION: True})
            except OperationalError as error:
                await session.close()
                if not _is_busy(error) or loop.time() + pause > deadline:
                    raise
                log.debug("SQLite write lock held elsewhere; retrying in %.3f s", pause)
                await asyncio.sleep(pause)
                pause = min(pause * 2, BUSY_RETRY_MAX_S)
                session = sessionmaker()
            else:
                if not threaded:
                    driver_sql.remember(session, connection)
                return session

    async def dispose(self) -> None:
        """Close every pooled connection (after a running checkpoint)."""
        if self._checkpoint_task is not None:
            await self._checkpoint_task
        if self.kept_connections is not None:
            await self.kept_connections.close()
        await self.engine.dispose()
        if self.read_engine is not None:
            await self.read_engine.dispose()
        if self.write_engine is not None:
            await self.release_writer()
            await self.write_engine.dispose()
        if self.loop_reader is not None:
            self.loop_reader.close()
        if self.page_reader is not None:
            self.page_reader.close()
