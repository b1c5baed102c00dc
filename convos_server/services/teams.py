"""Teams (admin only): members decide which inboxes an agent sees.

Every change emits ``team.changed`` (the team, or its ``deleted_id``) to everyone. Membership
changes also emit ``agent.changed`` for every agent who joined or left (event readers
recompute visibility on it) and ``inbox.changed`` for the team's inboxes.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from convos_server.db import models as m
from convos_server.errors import ApiError, invalid, not_found
from convos_server.serialize import load_teams
from convos_server.services.agents import publish_agent
from convos_server.services.events import EventBus
from convos_server.services.inboxes import publish_inbox


async def _check_name_free(session: AsyncSession, name: str, team_id: int | None) -> str:
    name = name.strip()
    if not name:
        raise invalid("The name must not be empty", "name")
    other = await session.scalar(select(m.Team.id).where(m.Team.name == name))
    if other is not None and other != team_id:
        raise ApiError(409, "conflict", "Another team has this name", field="name")
    return name


async def _set_members(
    session: AsyncSession, bus: EventBus, team: m.Team, agent_ids: Sequence[int]
) -> None:
    wanted = set(agent_ids)
    agents = {a.id: a for a in await session.scalars(select(m.Agent).where(m.Agent.id.in_(wanted)))}
    if set(agents) != wanted:
        raise invalid(f"No such agents: {sorted(wanted - set(agents))}", "agent_ids")
    current = set(
        await session.scalars(select(m.TeamMember.agent_id).where(m.TeamMember.team_id == team.id))
    )
    if current == wanted:
        return
    await session.execute(
        delete(m.TeamMember).where(
            m.TeamMember.team_id == team.id, m.TeamMember.agent_id.in_(current - wanted)
        )
    )
    session.add_all(m.TeamMember(team_id=team.id, agent_id=a) for a in wanted - current)
    await session.flush()
    for agent_id in sorted(current ^ wanted):
        agent = agents.get(agent_id) or await session.get(m.Agent, agent_id)
        if agent is not None:
            await publish_agent(session, bus, agent)
    for inbox in await session.scalars(select(m.Inbox).where(m.Inbox.team_id == team.id)):
        await publish_inbox(session, bus, inbox)


TEAM_EVENT = "team.changed"


async def publish_team(session: AsyncSession, bus: EventBus, team: m.Team) -> None:
    """``team.changed`` with the team and its members, to everyone."""
    await bus.publish(session, TEAM_EVENT, {"team": (await load_teams(session, [team]))[0]})


async def create_team(
    session: AsyncSession, bus: EventBus, name: str, agent_ids: Sequence[int]
) -> m.Team:
    """A new team with members."""
    team = m.Team(name=await _check_name_free(session, name, None))
    session.add(team)
    await session.flush()
    await _set_members(session, bus, team, agent_ids)
    await publish_team(session, bus, team)
    return team


async def update_team(
    session: AsyncSession,
    bus: EventBus,
    team_id: int,
    name: str | None,
    agent_ids: Sequence[int] | None,
) -> m.Team:
    """Rename a team and/or set its members."""
    team = await session.get(m.Team, team_id)
    if team is None:
        raise not_found("team")
    if name is not None:
        team.name = await _check_name_free(session, name, team.id)
    if agent_ids is not None:
        await _set_members(session, bus, team, agent_ids)
    await session.flush()
    await publish_team(session, bus, team)
    return team


async def delete_team(session: AsyncSession, bus: EventBus, team_id: int) -> None:
    """Delete a team; its inboxes lose their team."""
    team = await session.get(m.Team, team_id)
    if team is None:
        raise not_found("team")
    await _set_members(session, bus, team, [])
    inboxes = list(await session.scalars(select(m.Inbox).where(m.Inbox.team_id == team.id)))
    for inbox in inboxes:
        inbox.team_id = None
    await session.delete(team)
    await session.flush()
    for inbox in inboxes:
        await publish_inbox(session, bus, inbox)
    await bus.publish(session, TEAM_EVENT, {"deleted_id": team_id})
