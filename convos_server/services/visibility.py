"""Who may see what: an agent sees the inboxes of its teams (and team-less ones); admins all."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import ColumnElement, bindparam, false, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from convos_server.db import models as m
from convos_server.errors import not_found


@dataclass(frozen=True, slots=True)
class Visibility:
    """The inboxes one agent may see; ``everything`` for admins."""

    agent_id: int
    everything: bool
    inbox_ids: frozenset[int]

    def sees_inbox(self, inbox_id: int | None) -> bool:
        """Whether an object of ``inbox_id`` is visible (``None``: not inbox-bound)."""
        return self.everything or inbox_id is None or inbox_id in self.inbox_ids

    def inbox_filter(
        self, column: ColumnElement[int] | InstrumentedAttribute[int]
    ) -> ColumnElement[bool]:
        """A WHERE clause restricting ``column`` (an inbox id) to the visible inboxes."""
        if self.everything:
            return true()
        if not self.inbox_ids:
            return false()
        return column.in_(self.inbox_ids)


# One agent's visible inboxes in one statement, built once (a statement built per call costs
# more in SQLAlchemy than SQLite takes to run it).
_ALL_INBOXES = select(m.Inbox.id)
_AGENT_INBOXES = select(m.Inbox.id).where(
    or_(
        m.Inbox.team_id.is_(None),
        m.Inbox.team_id.in_(
            select(m.TeamMember.team_id).where(m.TeamMember.agent_id == bindparam("agent_id"))
        ),
    )
)


async def visibility_for(session: AsyncSession, agent: m.Agent) -> Visibility:
    """The visibility of one agent (one statement)."""
    admin = agent.role == "admin"
    if admin:
        rows = await session.scalars(_ALL_INBOXES)
    else:
        rows = await session.scalars(_AGENT_INBOXES, {"agent_id": agent.id})
    return Visibility(agent.id, admin, frozenset(rows))


async def visibility_map(
    session: AsyncSession, admin_by_agent: dict[int, bool]
) -> dict[int, Visibility]:
    """Visibility of several agents (``{agent_id: is_admin}``) with two queries."""
    agent_ids: Collection[int] = [a for a, admin in admin_by_agent.items() if not admin]
    teams: dict[int, set[int]] = defaultdict(set)
    if agent_ids:
        rows = await session.execute(
            select(m.TeamMember.agent_id, m.TeamMember.team_id).where(
                m.TeamMember.agent_id.in_(agent_ids)
            )
        )
        for agent_id, team_id in rows:
            teams[agent_id].add(team_id)
    inbox_rows = list(await session.execute(select(m.Inbox.id, m.Inbox.team_id)))
    result = {}
    for agent_id, admin in admin_by_agent.items():
        visible = frozenset(
            inbox_id
            for inbox_id, team_id in inbox_rows
            if admin or team_id is None or team_id in teams[agent_id]
        )
        result[agent_id] = Visibility(agent_id, admin, visible)
    return result


def require_inbox(visibility: Visibility, inbox_id: int, what: str = "object") -> None:
    """404 unless ``inbox_id`` is visible (hidden objects look like missing ones)."""
    if not visibility.sees_inbox(inbox_id):
        raise not_found(what)
