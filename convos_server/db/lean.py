"""A write transaction without an ORM session, for the hottest writes on a SQLite file.

A customer message and an agent's reply run their statements on the write transaction's
``sqlite3`` connection (``db.driver_sql``); around them ``Database.transaction`` still built
a session, began it, committed it through its event chain and closed it: about a fifth of
each request's CPU (``benchmarks/RESULTS.md``, issue 14, ninth round). ``Database.lean``
gives the same transaction without that: the same write lock, writer count and busy retry
of ``BEGIN IMMEDIATE``, the same connection (the write engine's only one, checked out of its
pool), the events queued by ``EventBus.publish`` inserted before ``COMMIT`` (the hooks in
``Database.lean_before_commit``), the checkpoint counted after it.

The block gets a ``LeanSession``: what the driver-side code reads of a session (``info``
with the ``sqlite3`` connection, no pending ORM changes, an empty identity map). Anything
else a path asks of it (``get``, ``scalar``, ``execute``, ``flush``...: a refusal, a new
contact, a hand-off, a snoozed ticket) raises ``NeedsSession``: the block is rolled back,
having changed nothing, and ``Database.write`` runs it again in ``Database.transaction``.
The lean session stands for the database's session class (``session_class``), so the caches
kept per session class (the agents' scopes) are found through it as through a real session.
Nothing flushes ORM objects or runs ORM statements on the lean path, so
the session hooks that watch them (the token cache's) have nothing to see.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import Any, NoReturn, cast

from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from convos_server.db import driver_sql

# A hook run on the lean transaction's ``info`` and connection just before ``COMMIT``.
BeforeCommit = Callable[[dict[str, Any], sqlite3.Connection], None]


class NeedsSession(Exception):  # noqa: N818 - a signal, not an error
    """The lean path met something only an ORM session does: run it in a real one."""


class LeanSession:
    """The part of a session the driver-side hot paths use; any other use: ``NeedsSession``."""

    new: tuple[()] = ()
    dirty: tuple[()] = ()
    deleted: tuple[()] = ()

    def __init__(self, raw: sqlite3.Connection, session_class: type[Session] = Session) -> None:
        self.info: dict[str, Any] = {driver_sql.INLINE_SQLITE: raw}
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
