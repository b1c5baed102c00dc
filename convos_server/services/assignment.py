"""Automatic assignment of new tickets by inbox mode, and the per-agent capacity cap.

- ``manual`` and ``none``: the ticket stays Unassigned.
- ``round_robin``: the next effectively *online* agent of the inbox's team after the inbox's
  ``last_assigned_agent_id`` (in id order, wrapping), skipping agents at the cap.
- ``least_busy``: the online agent of the team with the fewest open tickets in the inbox
  (ties: the lowest id), skipping agents at the cap.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import ScalarSelect, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from convos_server.db import models as m
from convos_server.errors import ApiError

MODES = ("manual", "round_robin", "least_busy")


async def open_counts(
    session: AsyncSession, inbox_id: int, agent_ids: Sequence[int]
) -> dict[int, int]:
    """Open tickets of each agent in the inbox (agents without any are 0)."""
    counts = dict.fromkeys(agent_ids, 0)
    if agent_ids:
        rows = await session.execute(
            select(m.Ticket.assignee_id, func.count())
            .where(
                m.Ticket.inbox_id == inbox_id,
                m.Ticket.status == "open",
                m.Ticket.assignee_id.in_(agent_ids),
            )
            .group_by(m.Ticket.assignee_id)
        )
        for agent_id, count in rows:
            if agent_id is not None:
                counts[agent_id] = count
    return counts


async def lock_capacity(session: AsyncSession, inbox_id: int) -> None:
    """Hold the inbox's row lock until the transaction ends (PostgreSQL; SQLite needs none).

    Counting an agent's open tickets and assigning one more must not interleave with another
    process doing the same: two hand-offs at the same moment would both see the agent under
    the cap. Every assignment in an inbox with a cap takes this lock first (``open_ticket``
    takes the same one), so the later one counts after the earlier one committed (READ
    COMMITTED). ``FOR NO KEY UPDATE``: it does not wait for transactions that only insert
    rows referencing the inbox (their ``KEY SHARE`` lock), which would deadlock.
    """
    await session.execute(
        select(m.Inbox.id).where(m.Inbox.id == inbox_id).with_for_update(key_share=True)
    )


async def check_capacity(session: AsyncSession, inbox: m.Inbox, agent_id: int) -> None:
    """409 ``at_capacity`` when one more open ticket would pass the inbox's cap."""
    cap = inbox.max_open_per_agent
    if cap is None:
        return
    await lock_capacity(session, inbox.id)
    count = (await open_counts(session, inbox.id, [agent_id]))[agent_id]
    if count >= cap:
        raise ApiError(
            409, "at_capacity", f"The agent already has {count} open tickets here", limit=cap
        )


def _open_count(inbox_id: int) -> ScalarSelect[int]:
    """The agent's open tickets in the inbox, correlated to ``agents``."""
    return (
        select(func.count())
        .select_from(m.Ticket)
        .where(
            m.Ticket.inbox_id == inbox_id,
            m.Ticket.status == "open",
            m.Ticket.assignee_id == m.Agent.id,
        )
        .correlate(m.Agent)
        .scalar_subquery()
    )


async def _online_team_agents(
    session: AsyncSession, team_id: int, inbox_id: int
) -> list[tuple[m.Agent, int]]:
    """The online, active agents of the team in id order, each with its open ticket count."""
    rows = await session.execute(
        select(m.Agent, _open_count(inbox_id))
        .join(m.TeamMember, m.TeamMember.agent_id == m.Agent.id)
        .where(m.TeamMember.team_id == team_id, m.Agent.status == "online", m.Agent.active)
        .order_by(m.Agent.id)
    )
    return [(agent, int(count)) for agent, count in rows]


async def pick_assignee(session: AsyncSession, inbox: m.Inbox) -> m.Agent | None:
    """The agent a new ticket of ``inbox`` goes to, or ``None`` for Unassigned (one query).

    The caller holds the inbox's row lock (``lock_capacity``'s), as ``open_ticket`` does.
    """
    if inbox.assignment not in ("round_robin", "least_busy") or inbox.team_id is None:
        return None
    cap = inbox.max_open_per_agent
    available = [
        (agent, count)
        for agent, count in await _online_team_agents(session, inbox.team_id, inbox.id)
        if cap is None or count < cap
    ]
    if not available:
        return None
    if inbox.assignment == "least_busy":
        return min(available, key=lambda pair: (pair[1], pair[0].id))[0]
    last = inbox.last_assigned_agent_id or 0
    after = [agent for agent, _count in available if agent.id > last]
    return (after or [agent for agent, _count in available])[0]
