"""The per-day rollup behind ``GET /reports`` (table ``report_days``).

One row per UTC day, inbox and assignee (``agent_id`` 0: unassigned) holds what the tickets
of that key did that day: how many were opened and closed, the first-response durations of
the tickets opened that day and the resolution durations of those closed that day (sorted
float64 seconds, packed little-endian), so a 90-day report reads a few hundred rows instead
of every ticket, and its percentiles stay exact.

A ticket counts where it is now (its current inbox and assignee, its current times): the
services that change a ticket take a ``Snapshot`` before and call ``update`` after, in the
same transaction, which moves the ticket's contributions from the old rows to the new ones.
Bulk writers (the demo, the benchmarks, migration 0005) call ``rebuild``.
"""

from __future__ import annotations

import datetime as dt
import sys
from array import array
from bisect import bisect_left, insort
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from sqlalchemy import delete, insert, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from convos_server.db import models as m

UNASSIGNED = 0
_BATCH = 1_000
# a duration removed must be found again: the same timestamps give the same float
_SAME = 1e-6


def pack(values: Iterable[float]) -> bytes:
    """Sorted seconds as little-endian float64 bytes."""
    packed = array("d", sorted(values))
    if sys.byteorder == "big":  # pragma: no cover - every supported server is little-endian
        packed.byteswap()
    return packed.tobytes()


def unpack(data: bytes | None) -> list[float]:
    """The seconds ``pack`` stored, in order."""
    values = array("d")
    if data:
        values.frombytes(data)
        if sys.byteorder == "big":  # pragma: no cover
            values.byteswap()
    return values.tolist()


def _utc(moment: dt.datetime) -> dt.datetime:
    return moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment.astimezone(dt.UTC)


class Key(NamedTuple):
    """A rollup row: UTC day, inbox, assignee (0: unassigned)."""

    day: dt.date
    inbox_id: int
    agent_id: int


class Snapshot(NamedTuple):
    """What of a ticket the rollup depends on."""

    inbox_id: int
    assignee_id: int | None
    opened_at: dt.datetime
    first_response_at: dt.datetime | None
    closed_at: dt.datetime | None

    @classmethod
    def of(cls, ticket: m.Ticket) -> Snapshot:
        """The ticket's current values."""
        return cls(
            ticket.inbox_id,
            ticket.assignee_id,
            ticket.opened_at,
            ticket.first_response_at,
            ticket.closed_at,
        )


@dataclass(slots=True)
class _Delta:
    """The change of one rollup row: counts added, durations added and removed."""

    opened: int = 0
    closed: int = 0
    first_responses: list[float] = field(default_factory=list)
    resolutions: list[float] = field(default_factory=list)
    gone_first_responses: list[float] = field(default_factory=list)
    gone_resolutions: list[float] = field(default_factory=list)

    def counts_only(self) -> bool:
        return not (
            self.first_responses
            or self.resolutions
            or self.gone_first_responses
            or self.gone_resolutions
        )

    def empty(self) -> bool:
        return self.counts_only() and self.opened == 0 and self.closed == 0


def contributions(ticket: Snapshot) -> Iterator[tuple[Key, str, float | None]]:
    """``(row, "opened" | "closed", duration)`` of one ticket (duration ``None``: no reply)."""
    opened_at = _utc(ticket.opened_at)
    agent = ticket.assignee_id or UNASSIGNED
    response = None
    if ticket.first_response_at is not None:
        response = (_utc(ticket.first_response_at) - opened_at).total_seconds()
    yield Key(opened_at.date(), ticket.inbox_id, agent), "opened", response
    if ticket.closed_at is not None:
        closed_at = _utc(ticket.closed_at)
        resolution = (closed_at - opened_at).total_seconds()
        yield Key(closed_at.date(), ticket.inbox_id, agent), "closed", resolution


def _deltas(before: Snapshot | None, after: Snapshot | None) -> dict[Key, _Delta]:
    deltas: dict[Key, _Delta] = defaultdict(_Delta)
    for snapshot, sign in ((before, -1), (after, 1)):
        if snapshot is None:
            continue
        for key, kind, seconds in contributions(snapshot):
            delta = deltas[key]
            if kind == "opened":
                delta.opened += sign
                if seconds is not None:
                    (delta.first_responses if sign > 0 else delta.gone_first_responses).append(
                        seconds
                    )
            else:
                delta.closed += sign
                assert seconds is not None
                (delta.resolutions if sign > 0 else delta.gone_resolutions).append(seconds)
    for delta in deltas.values():
        _cancel(delta.first_responses, delta.gone_first_responses)
        _cancel(delta.resolutions, delta.gone_resolutions)
    return {key: delta for key, delta in deltas.items() if not delta.empty()}


def _cancel(added: list[float], removed: list[float]) -> None:
    """Drop the durations both added and removed (an unchanged duration of a moved row)."""
    for seconds in list(removed):
        if seconds in added:
            added.remove(seconds)
            removed.remove(seconds)


def _merge(packed: bytes | None, added: list[float], removed: list[float]) -> bytes:
    values = unpack(packed)
    for seconds in removed:
        at = bisect_left(values, seconds - _SAME)
        if at < len(values) and abs(values[at] - seconds) <= _SAME:
            del values[at]
    for seconds in added:
        insort(values, seconds)
    return pack(values)


def _insert(session: AsyncSession) -> Any:
    dialect = session.get_bind().dialect.name
    return (postgresql_insert if dialect == "postgresql" else sqlite_insert)(m.ReportDay)


async def update_rollup(session: AsyncSession, before: Snapshot | None, ticket: m.Ticket) -> None:
    """Move ``ticket``'s contributions from what it was (``before``; ``None``: new) to now.

    Rows are locked in key order (no deadlock between two transitions); a change of counts
    alone is one upsert.
    """
    deltas = _deltas(before, Snapshot.of(ticket))
    table = m.ReportDay
    for key in sorted(deltas):
        delta = deltas[key]
        where = (
            table.day == key.day,
            table.inbox_id == key.inbox_id,
            table.agent_id == key.agent_id,
        )
        new_row = {
            "day": key.day,
            "inbox_id": key.inbox_id,
            "agent_id": key.agent_id,
            "opened": delta.opened,
            "closed": delta.closed,
            "first_responses": b"",
            "resolutions": b"",
        }
        if delta.counts_only():
            statement = _insert(session).values(new_row)
            await session.execute(
                statement.on_conflict_do_update(
                    index_elements=["day", "inbox_id", "agent_id"],
                    set_={
                        "opened": table.opened + statement.excluded.opened,
                        "closed": table.closed + statement.excluded.closed,
                    },
                )
            )
            continue
        await session.execute(
            _insert(session)
            .values({**new_row, "opened": 0, "closed": 0})
            .on_conflict_do_nothing(index_elements=["day", "inbox_id", "agent_id"])
        )
        row = (
            await session.execute(
                select(table.opened, table.closed, table.first_responses, table.resolutions)
                .where(*where)
                .with_for_update()
            )
        ).one()
        await session.execute(
            update(table)
            .where(*where)
            .values(
                opened=row.opened + delta.opened,
                closed=row.closed + delta.closed,
                first_responses=_merge(
                    row.first_responses, delta.first_responses, delta.gone_first_responses
                ),
                resolutions=_merge(row.resolutions, delta.resolutions, delta.gone_resolutions),
            )
        )


def rollup_rows(tickets: Iterable[Snapshot]) -> list[dict[str, Any]]:
    """The ``report_days`` rows of ``tickets`` (everything, from scratch)."""
    rows: dict[Key, _Delta] = defaultdict(_Delta)
    for ticket in tickets:
        for key, kind, seconds in contributions(ticket):
            row = rows[key]
            if kind == "opened":
                row.opened += 1
                if seconds is not None:
                    row.first_responses.append(seconds)
            else:
                row.closed += 1
                assert seconds is not None
                row.resolutions.append(seconds)
    return [
        {
            "day": key.day,
            "inbox_id": key.inbox_id,
            "agent_id": key.agent_id,
            "opened": row.opened,
            "closed": row.closed,
            "first_responses": pack(row.first_responses),
            "resolutions": pack(row.resolutions),
        }
        for key, row in sorted(rows.items())
    ]


async def rebuild(session: AsyncSession) -> None:
    """Recompute the whole rollup from the tickets (after a bulk write)."""
    ticket = m.Ticket
    found = await session.execute(
        select(
            ticket.inbox_id,
            ticket.assignee_id,
            ticket.opened_at,
            ticket.first_response_at,
            ticket.closed_at,
        )
    )
    rows = rollup_rows(Snapshot(*row) for row in found)
    await session.execute(delete(m.ReportDay))
    table = m.Base.metadata.tables[m.ReportDay.__tablename__]
    for start in range(0, len(rows), _BATCH):
        await session.execute(insert(table), rows[start : start + _BATCH])
