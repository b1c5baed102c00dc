"""Running a write transaction again when it lost a race with another one.

Two server processes (or two requests) can create the same contact or message at once: the
later commit breaks a unique constraint, and its transaction, run again, finds what the other
one made. On PostgreSQL two transactions can also each wait for a row the other holds: the
server aborts one with "deadlock detected" (or "could not serialize"), and running it again is
the documented remedy. Any other database error is raised at once.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

from sqlalchemy.exc import DBAPIError, IntegrityError

log = logging.getLogger("convos.db")

# PostgreSQL: deadlock_detected, serialization_failure
RETRY_SQLSTATES = frozenset({"40P01", "40001"})
DEFAULT_ATTEMPTS = 3

T = TypeVar("T")


def lost_a_race(error: DBAPIError) -> bool:
    """Whether ``error`` is a unique-constraint race, a deadlock or a serialization failure."""
    if isinstance(error, IntegrityError):
        return True
    return getattr(error.orig, "sqlstate", None) in RETRY_SQLSTATES


async def retried(transaction: Callable[[], Awaitable[T]], attempts: int = DEFAULT_ATTEMPTS) -> T:
    """``await transaction()``, again (up to ``attempts`` in all) while it loses a race."""
    for attempt in range(1, attempts + 1):
        try:
            return await transaction()
        except DBAPIError as error:
            if attempt == attempts or not lost_a_race(error):
                raise
            log.info("transaction lost a race (%s): attempt %d", type(error).__name__, attempt + 1)
    raise AssertionError("unreachable")
