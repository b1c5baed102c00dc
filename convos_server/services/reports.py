"""Performance reports: tickets opened, closed, backlog and response/resolution times.

Counts are aggregated in the database (one grouped query per figure); the medians and p90 are
computed here over the durations of the selected range, with linear interpolation between
closest ranks (the usual ``(n - 1) * q`` definition, numpy's default).
"""

from __future__ import annotations

import datetime as dt
import logging
import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from convos_server.db import models as m
from convos_server.services.visibility import Visibility

log = logging.getLogger("convos.reports")

Json = dict[str, Any]


def percentile(samples: Sequence[float], quantile: float) -> float | None:
    """The ``quantile`` (0..1) of ``samples`` by linear interpolation; ``None`` if empty."""
    if not 0.0 <= quantile <= 1.0:
        raise ValueError(f"quantile must be within 0 and 1, not {quantile}")
    if not samples:
        return None
    ordered = sorted(samples)
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
        return {
            "opened": self.opened,
            "closed": self.closed,
            "backlog": self.backlog,
            "first_response_median_s": _rounded(percentile(self.first_responses, 0.5)),
            "first_response_p90_s": _rounded(percentile(self.first_responses, 0.9)),
            "resolution_median_s": _rounded(percentile(self.resolutions, 0.5)),
            "resolution_p90_s": _rounded(percentile(self.resolutions, 0.9)),
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
    start, end = day_range(first_day, last_day)
    key = m.Ticket.inbox_id if by == "inbox" else m.Ticket.assignee_id
    visible = visibility.inbox_filter(m.Ticket.inbox_id.expression)
    own_only = by == "agent" and not visibility.everything
    if own_only:
        visible = and_(visible, m.Ticket.assignee_id == visibility.agent_id)
    figures: dict[int | None, _Figures] = defaultdict(_Figures)
    days = _Days(first_day, last_day)
    await _count(session, figures, key, visible, start, end)
    await _collect_durations(session, figures, days, key, visible, start, end)
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

    def on(self, instant: dt.datetime) -> _DayFigures | None:
        """The figures of the day of ``instant``; ``None`` outside the range."""
        index = (instant.astimezone(dt.UTC).date() - self.first_day).days
        return self.days[index] if 0 <= index < len(self.days) else None

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


async def _count(
    session: AsyncSession,
    figures: dict[int | None, _Figures],
    key: InstrumentedAttribute[int] | InstrumentedAttribute[int | None],
    visible: ColumnElement[bool],
    start: dt.datetime,
    end: dt.datetime,
) -> None:
    """Opened, closed and backlog per key, in one grouped scan of the relevant tickets."""
    ticket = m.Ticket
    opened = and_(ticket.opened_at >= start, ticket.opened_at < end)
    closed = and_(ticket.closed_at >= start, ticket.closed_at < end)
    open_at_end = and_(
        ticket.opened_at < end, or_(ticket.closed_at.is_(None), ticket.closed_at >= end)
    )
    rows = await session.execute(
        select(
            key,
            func.sum(case((opened, 1), else_=0)),
            func.sum(case((closed, 1), else_=0)),
            func.sum(case((open_at_end, 1), else_=0)),
        )
        .where(
            visible,
            ticket.opened_at < end,
            or_(ticket.closed_at.is_(None), ticket.closed_at >= start),
        )
        .group_by(key)
    )
    for row_key, opened_count, closed_count, backlog_count in rows:
        row = figures[row_key]
        row.opened = int(opened_count or 0)
        row.closed = int(closed_count or 0)
        row.backlog = int(backlog_count or 0)


async def _collect_durations(
    session: AsyncSession,
    figures: dict[int | None, _Figures],
    days: _Days,
    key: InstrumentedAttribute[int] | InstrumentedAttribute[int | None],
    visible: ColumnElement[bool],
    start: dt.datetime,
    end: dt.datetime,
) -> None:
    """First-response and resolution durations (seconds) of the range, per key and per day.

    The same scan counts each day's opened and closed tickets for the trend.
    """
    ticket = m.Ticket
    opened = and_(ticket.opened_at >= start, ticket.opened_at < end)
    closed = and_(ticket.closed_at >= start, ticket.closed_at < end)
    rows = await session.execute(
        select(key, ticket.opened_at, ticket.first_response_at, ticket.closed_at).where(
            visible, or_(opened, closed)
        )
    )
    for row_key, opened_at, first_response_at, closed_at in rows:
        row = figures[row_key]
        opened_on = days.on(opened_at)
        if opened_on is not None:
            opened_on.opened += 1
            if first_response_at is not None:
                response = (first_response_at - opened_at).total_seconds()
                row.first_responses.append(response)
                opened_on.first_responses.append(response)
        closed_on = days.on(closed_at) if closed_at is not None else None
        if closed_at is not None and closed_on is not None:
            closed_on.closed += 1
            resolution = (closed_at - opened_at).total_seconds()
            row.resolutions.append(resolution)
            closed_on.resolutions.append(resolution)


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
