"""A write transaction without an ORM session, for the hottest writes.

A customer message and an agent's reply run their statements on the write transaction's
``sqlite3`` connection (``db.driver_sql``); around them ``Database.transaction`` still built
a session, began it, committed it through its event chain and closed it: about a fifth of
each request's CPU (``benchmarks/RESULTS.md``, issue 14, ninth round). ``Database.lean``
gives the same transaction without that: the same write lock, writer count and busy retry
of ``BEGIN IMMEDIATE``, the same connection (the write engine's only one, checked out of its
pool), the events queued by ``EventBus.publish`` inserted before ``COMMIT`` (the hooks in
``Database.lean_before_commit``), the checkpoint counted after it. On PostgreSQL the same
block runs on a pooled connection's ``asyncpg`` connection (``db.pg_driver``): ``BEGIN``,
the block, the hooks (the events with their advisory lock and ``NOTIFY``), ``COMMIT``.

The block gets a ``LeanSession``: what the driver-side code reads of a session (``info`` with
the ``sqlite3`` or ``asyncpg`` connection, no pending ORM changes, an empty identity map).
Anything else a path asks of it (``get``, ``scalar``, ``execute``, ``flush``...: a refusal, a
new contact, a hand-off, a snoozed ticket) raises ``NeedsSession``: the block is rolled back,
having changed nothing (on PostgreSQL a sequence value it took stays taken: the paths give up
before their first insert where they know they will, ``needs_session``), and ``Database.write``
runs it again in ``Database.transaction``. The lean session stands for the database's session
class (``session_class``), so the caches kept per session class (the agents' scopes) are found
through it as through a real session. Nothing flushes ORM objects or runs ORM statements on the
lean path, so the session hooks that watch them (the token cache's) have nothing to see.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Awaitable, Callable
from typing import Any, NoReturn, cast

import asyncpg  # type: ignore[import-untyped]
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from convos_server.db import driver_sql

# A hook run on the lean transaction's session just before ``COMMIT``.
BeforeCommit = Callable[[AsyncSession], Awaitable[None]]


class NeedsSession(Exception):  # noqa: N818 - a signal, not an error
    """The lean path met something only an ORM session does: run it in a real one."""


class LeanSession:
    """The part of a session the driver-side hot paths use; any other use: ``NeedsSession``."""

    new: tuple[()] = ()
    dirty: tuple[()] = ()
    deleted: tuple[()] = ()

    def __init__(
        self, raw: sqlite3.Connection | asyncpg.Connection, session_class: type[Session] = Session
    ) -> None:
        key = (
            driver_sql.INLINE_SQLITE if isinstance(raw, sqlite3.Connection) else driver_sql.ASYNCPG
        )
        self.info: dict[str, Any] = {key: raw}
        self.identity_map: dict[Any, Any] = {}
        self.session_class = session_class  # the class of the sessions this one stands for

    @property
    def sync_session(self) -> Session:
        """Itself: what is read of a session's sync side (``info``, ``new``...) is here."""
        return cast(Session, self)

    def __getattr__(self, name: str) -> NoReturn:
        raise NeedsSession(name)

    def as_session(self) -> AsyncSession:
        """This object where the services' signatures name a session (see module docs)."""
        return cast(AsyncSession, self)


def needs_session(session: AsyncSession, what: str) -> None:
    """Give up a lean block now (``NeedsSession``) when ``session`` is a ``LeanSession``: the
    work ahead needs the ORM, and starting it on the lean path would take values from
    PostgreSQL's sequences that the rollback does not give back."""
    if isinstance(session, LeanSession):
        raise NeedsSession(what)
