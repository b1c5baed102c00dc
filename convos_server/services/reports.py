"""Performance reports: tickets opened, closed, backlog and response/resolution times.

Read from the per-day rollup (``services.report_rollup``): one grouped query for the backlog,
one read of the range's rows with their counts and sorted durations; the medians and p90 are
computed here over those durations, with linear interpolation between closest ranks (the
usual ``(n - 1) * q`` definition, numpy's default).
"""

from __future__ import annotations

import datetime as dt
import logging
import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from convos_server.db import models as m
from convos_server.services import report_rollup
from convos_server.services.visibility import Visibility

log = logging.getLogger("convos.reports")

Json = dict[str, Any]


def percentile(samples: Sequence[float], quantile: float) -> float | None:
    """The ``quantile`` (0..1) of ``samples`` by linear interpolation; ``None`` if empty."""
    return _of_sorted(sorted(samples), quantile)


def _of_sorted(ordered: Sequence[float], quantile: float) -> float | None:
    """``percentile`` of samples already in order."""
    if not 0.0 <= quantile <= 1.0:
        raise ValueError(f"quantile must be within 0 and 1, not {quantile}")
    if not ordered:
        return None
    rank = (len(ordered) - 1) * quantile
    lower = math.floor(rank)
    upper = math.ceil(rank)
    fraction = rank - lower
    return ordered[lower] + (ordered[upper] - ordered[lower]) * fraction


def day_range(first_day: dt.date, last_day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The UTC instants ``[start of first_day, start of the day after last_day)``."""
    start = dt.datetime.combine(first_day, dt.time(), tzinfo=dt.UTC)
    end = dt.datetime.combine(last_day + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC)
    return start, end


@dataclass(slots=True)
class _Figures:
    """The figures of one report row while they are being gathered."""

    opened: int = 0
    closed: int = 0
    backlog: int = 0
    first_responses: list[float] = field(default_factory=list)
    resolutions: list[float] = field(default_factory=list)

    def add(self, other: _Figures) -> None:
        self.opened += other.opened
        self.closed += other.closed
        self.backlog += other.backlog
        self.first_responses.extend(other.first_responses)
        self.resolutions.extend(other.resolutions)

    def to_json(self) -> Json:
        responses = sorted(self.first_responses)
        resolutions = sorted(self.resolutions)
        return {
            "opened": self.opened,
            "closed": self.closed,
            "backlog": self.backlog,
            "first_response_median_s": _rounded(_of_sorted(responses, 0.5)),
            "first_response_p90_s": _rounded(_of_sorted(responses, 0.9)),
            "resolution_median_s": _rounded(_of_sorted(resolutions, 0.5)),
            "resolution_p90_s": _rounded(_of_sorted(resolutions, 0.9)),
        }


def _rounded(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds, 3)


async def build_report(
    session: AsyncSession,
    visibility: Visibility,
    first_day: dt.date,
    last_day: dt.date,
    by: str,
) -> Json:
    """The ``GET /reports`` body for the tickets of the inboxes ``visibility`` allows.

    ``opened``: tickets opened in the range; ``closed``: closed in it; ``backlog``: open at the
    end of the range. First-response times are those of the tickets opened in the range,
    resolution times those of the tickets closed in it. By agent, rows are the tickets'
    assignees (unassigned tickets count in the total only).
    """
    if by not in ("inbox", "agent"):
        raise ValueError(f"unknown report grouping {by!r}")
    rollup = m.ReportDay
    key = rollup.inbox_id if by == "inbox" else rollup.agent_id
    visible = visibility.inbox_filter(rollup.inbox_id.expression)
    own_only = by == "agent" and not visibility.everything
    if own_only:
        visible = and_(visible, rollup.agent_id == visibility.agent_id)
    figures: dict[int | None, _Figures] = defaultdict(_Figures)
    days = _Days(first_day, last_day)
    await _backlogs(session, figures, key, visible, last_day)
    await _collect(session, figures, days, key, visible, first_day, last_day)
    if own_only:
        names = await _own_name(session, visibility.agent_id)
    else:
        names = await _row_names(session, visibility, by, {k for k in figures if k is not None})
    total = _Figures()
    for row_figures in figures.values():
        total.add(row_figures)
    rows = [
        {"id": row_id, "name": name, **figures.get(row_id, _Figures()).to_json()}
        for row_id, name in sorted(names.items(), key=lambda item: (item[1].casefold(), item[0]))
    ]
    return {
        "from": first_day.isoformat(),
        "to": last_day.isoformat(),
        "by": by,
        "rows": rows,
        "total": total.to_json(),
        "days": days.to_json(total.backlog),
    }


@dataclass(slots=True)
class _DayFigures:
    """What happened on one day of the range, for the total."""

    opened: int = 0
    closed: int = 0
    first_responses: list[float] = field(default_factory=list)
    resolutions: list[float] = field(default_factory=list)


class _Days:
    """The total's figures per UTC day of the range: the report's trend."""

    def __init__(self, first_day: dt.date, last_day: dt.date) -> None:
        self.first_day = first_day
        count = (last_day - first_day).days + 1
        self.days = [_DayFigures() for _ in range(count)]

    def to_json(self, backlog_at_end: int) -> list[Json]:
        """One entry a day; backlog walked back from the range's end by each day's flow."""
        backlog = backlog_at_end
        backlogs: list[int] = []
        for day in reversed(self.days):
            backlogs.append(backlog)
            backlog -= day.opened - day.closed
        backlogs.reverse()
        return [
            {
                "day": (self.first_day + dt.timedelta(days=index)).isoformat(),
                "opened": day.opened,
                "closed": day.closed,
                "backlog": backlogs[index],
                "first_response_median_s": _rounded(percentile(day.first_responses, 0.5)),
                "resolution_median_s": _rounded(percentile(day.resolutions, 0.5)),
            }
            for index, day in enumerate(self.days)
        ]


def _row_key(value: int, by_agent: bool) -> int | None:
    """The report row of a rollup key: the unassigned tickets (agent 0) count in the total only."""
    return None if by_agent and value == report_rollup.UNASSIGNED else value


async def _backlogs(
    session: AsyncSession,
    figures: dict[int | None, _Figures],
    key: InstrumentedAttribute[int],
    visible: ColumnElement[bool],
    last_day: dt.date,
) -> None:
    """Tickets open at the end of the range per key: opened minus closed up to its last day."""
    rollup = m.ReportDay
    rows = await session.execute(
        select(key, func.sum(rollup.opened - rollup.closed))
        .where(visible, rollup.day <= last_day)
        .group_by(key)
    )
    by_agent = key is rollup.agent_id
    for row_key, backlog in rows:
        if backlog:
            figures[_row_key(row_key, by_agent)].backlog += int(backlog)


async def _collect(
    session: AsyncSession,
    figures: dict[int | None, _Figures],
    days: _Days,
    key: InstrumentedAttribute[int],
    visible: ColumnElement[bool],
    first_day: dt.date,
    last_day: dt.date,
) -> None:
    """Opened, closed and the durations of the range per key and per day, from the rollup."""
    rollup = m.ReportDay
    rows = await session.execute(
        select(
            key,
            rollup.day,
            rollup.opened,
            rollup.closed,
            rollup.first_responses,
            rollup.resolutions,
        ).where(visible, rollup.day >= first_day, rollup.day <= last_day)
    )
    by_agent = key is rollup.agent_id
    for row_key, day, opened, closed, first_responses, resolutions in rows:
        row = figures[_row_key(row_key, by_agent)]
        on = days.days[(day - days.first_day).days]
        responses = report_rollup.unpack(first_responses)
        durations = report_rollup.unpack(resolutions)
        row.opened += opened
        row.closed += closed
        row.first_responses += responses
        row.resolutions += durations
        on.opened += opened
        on.closed += closed
        on.first_responses += responses
        on.resolutions += durations


async def _own_name(session: AsyncSession, agent_id: int) -> dict[int, str]:
    """The one row an agent sees by agent: itself."""
    name = await session.scalar(select(m.Agent.name).where(m.Agent.id == agent_id))
    return {agent_id: name or ""}


async def _row_names(
    session: AsyncSession, visibility: Visibility, by: str, keys_with_figures: set[int]
) -> dict[int, str]:
    """Row ids and names: every visible inbox, or every agent who could hold their tickets."""
    if by == "inbox":
        inboxes = await session.execute(
            select(m.Inbox.id, m.Inbox.name).where(visibility.inbox_filter(m.Inbox.id.expression))
        )
        return {row.id: row.name for row in inboxes}
    team_ids = select(m.Inbox.team_id).where(visibility.inbox_filter(m.Inbox.id.expression))
    members = select(m.TeamMember.agent_id).where(m.TeamMember.team_id.in_(team_ids))
    candidates = or_(m.Agent.id.in_(keys_with_figures), m.Agent.id.in_(members))
    if visibility.everything:
        candidates = or_(candidates, m.Agent.active.is_(True))
    agents = await session.execute(select(m.Agent.id, m.Agent.name).where(candidates))
    return {row.id: row.name for row in agents}
