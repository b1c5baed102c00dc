"""Agent accounts (admin only): create, edit, team membership; ``agent.changed`` events."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from convos_server.db import models as m
from convos_server.errors import ApiError, invalid, not_found
from convos_server.serialize import load_agent
from convos_server.services.auth import hash_password, revoke_agent_tokens
from convos_server.services.events import EventBus

ROLES = ("admin", "agent")


async def publish_agent(session: AsyncSession, bus: EventBus, agent: m.Agent) -> None:
    """Emit ``agent.changed`` (visible to everyone)."""
    await bus.publish(session, "agent.changed", {"agent": await load_agent(session, agent)})


async def _check_email_free(session: AsyncSession, email: str, agent_id: int | None) -> None:
    other = await session.scalar(select(m.Agent.id).where(m.Agent.email == email))
    if other is not None and other != agent_id:
        raise ApiError(409, "conflict", "Another agent has this email", field="email")


async def set_teams(session: AsyncSession, agent_id: int, team_ids: Sequence[int]) -> None:
    """Make ``team_ids`` the agent's teams."""
    wanted = set(team_ids)
    found = set(await session.scalars(select(m.Team.id).where(m.Team.id.in_(wanted))))
    if found != wanted:
        raise invalid(f"No such teams: {sorted(wanted - found)}", "team_ids")
    await session.execute(delete(m.TeamMember).where(m.TeamMember.agent_id == agent_id))
    session.add_all(m.TeamMember(team_id=team_id, agent_id=agent_id) for team_id in wanted)
    await session.flush()


def _check_fields(
    name: str | None, email: str | None, password: str | None, role: str | None
) -> None:
    if name is not None and not name.strip():
        raise invalid("The name must not be empty", "name")
    if email is not None and "@" not in email:
        raise invalid("Not an email address", "email")
    if password is not None and not password:
        raise invalid("The password must not be empty", "password")
    if role is not None and role not in ROLES:
        raise invalid("role must be admin or agent", "role")


async def create_agent(
    session: AsyncSession,
    bus: EventBus,
    *,
    name: str,
    email: str,
    password: str,
    role: str = "agent",
    team_ids: Sequence[int] = (),
) -> m.Agent:
    """A new agent account."""
    _check_fields(name, email, password, role)
    email = email.strip().lower()
    await _check_email_free(session, email, None)
    agent = m.Agent(
        name=name.strip(),
        email=email,
        password_hash=await asyncio.to_thread(hash_password, password),
        role=role,
    )
    session.add(agent)
    await session.flush()
    await set_teams(session, agent.id, team_ids)
    await publish_agent(session, bus, agent)
    return agent


async def update_agent(
    session: AsyncSession,
    bus: EventBus,
    agent_id: int,
    *,
    name: str | None = None,
    email: str | None = None,
    password: str | None = None,
    role: str | None = None,
    active: bool | None = None,
    team_ids: Sequence[int] | None = None,
    keep_token_hash: str | None = None,
) -> m.Agent:
    """Change an agent; a deactivated agent can no longer log in or use its tokens.

    Deactivation revokes all the agent's tokens (reactivation brings none back); a password
    change revokes all but ``keep_token_hash`` (the caller's own token, when the caller
    changes its own password).
    """
    agent = await session.get(m.Agent, agent_id)
    if agent is None:
        raise not_found("agent")
    _check_fields(name, email, password, role)
    if name is not None:
        agent.name = name.strip()
    if email is not None:
        email = email.strip().lower()
        await _check_email_free(session, email, agent.id)
        agent.email = email
    if password is not None:
        agent.password_hash = await asyncio.to_thread(hash_password, password)
        await revoke_agent_tokens(session, bus, agent.id, keep=keep_token_hash)
    if role is not None:
        agent.role = role
    if active is not None:
        agent.active = active
        if not active:
            agent.status = "unavailable"
            agent.chosen_status = "unavailable"
            await revoke_agent_tokens(session, bus, agent.id)
    if team_ids is not None:
        await set_teams(session, agent.id, team_ids)
    await session.flush()
    await publish_agent(session, bus, agent)
    return agent
