"""``db.retry``: a transaction that lost a race runs again; any other error is raised at once."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError

from convos_server.db.retry import lost_a_race, retried


class DriverError(Exception):
    """A driver exception with a PostgreSQL SQLSTATE, as asyncpg's adapter raises."""

    def __init__(self, sqlstate: str) -> None:
        super().__init__(sqlstate)
        self.sqlstate = sqlstate


def wrapped(sqlstate: str) -> DBAPIError:
    return OperationalError("UPDATE conversations ...", None, DriverError(sqlstate))


def test_deadlocks_serialization_failures_and_unique_races_are_races():
    assert lost_a_race(wrapped("40P01"))
    assert lost_a_race(wrapped("40001"))
    assert lost_a_race(IntegrityError("INSERT ...", None, DriverError("23505")))
    assert not lost_a_race(wrapped("57014"))  # query_canceled


async def test_a_deadlock_runs_the_transaction_again():
    calls: list[int] = []

    async def transaction() -> str:
        calls.append(1)
        if len(calls) < 3:
            raise wrapped("40P01")
        return "done"

    assert await retried(transaction) == "done"
    assert len(calls) == 3


async def test_the_last_attempt_and_other_errors_are_raised():
    calls: list[int] = []

    async def deadlocking() -> None:
        calls.append(1)
        raise wrapped("40P01")

    with pytest.raises(OperationalError):
        await retried(deadlocking, attempts=2)
    assert len(calls) == 2

    async def canceled() -> None:
        calls.append(1)
        raise wrapped("57014")

    with pytest.raises(OperationalError):
        await retried(canceled)
    assert len(calls) == 3
