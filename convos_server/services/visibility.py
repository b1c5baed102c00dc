"""Who may see what: an agent sees the inboxes of its teams (and team-less ones); admins all.

An agent's scope (its team ids and visibility) is cached per process beside its tokens
(``TokenCache.scopes``) and dropped with them: at a commit of this process that changes a
membership, an inbox's team, an inbox or a team, or the agent; in the other processes by the
same NOTIFY (PostgreSQL) or when the entry expires (SQLite across processes, as tokens).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import ColumnElement, bindparam, false, select, true
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from convos_server.db import models as m
from convos_server.errors import not_found
from convos_server.services.token_cache import ScopeCache, scope_cache_of


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


@dataclass(frozen=True, slots=True)
class AgentScope:
    """What an agent's requests need beside its row: its team ids and its visibility."""

    team_ids: tuple[int, ...]
    visibility: Visibility


# Built once (a statement built per call costs more in SQLAlchemy than SQLite takes to run it).
_INBOX_TEAMS = select(m.Inbox.id, m.Inbox.team_id)
_AGENT_TEAMS = select(m.TeamMember.team_id).where(m.TeamMember.agent_id == bindparam("agent_id"))


def cached_scope(cache: ScopeCache | None, agent: m.Agent) -> AgentScope | None:
    """The agent's scope when ``cache`` holds it (no statement at all)."""
    return cached_scope_of(cache, agent.id, agent.role)


def cached_scope_of(cache: ScopeCache | None, agent_id: int, role: str) -> AgentScope | None:
    """``cached_scope`` by the agent's id and role."""
    if cache is None:
        return None
    scope = cache.get(agent_id, role)
    return scope if isinstance(scope, AgentScope) else None


async def scope_for(session: AsyncSession, agent: m.Agent) -> AgentScope:
    """The scope of one agent: from the process's cache, or two statements (then cached).

    The cache is skipped in a session that changed who sees what and has not committed.
    """
    cache = scope_cache_of(session.sync_session)
    scope = cached_scope(cache, agent)
    if scope is not None:
        return scope
    generation = cache.generation if cache is not None else 0
    admin = agent.role == "admin"
    team_ids = tuple(sorted(await session.scalars(_AGENT_TEAMS, {"agent_id": agent.id})))
    teams = set(team_ids)
    visible = frozenset(
        inbox_id
        for inbox_id, team_id in await session.execute(_INBOX_TEAMS)
        if admin or team_id is None or team_id in teams
    )
    scope = AgentScope(team_ids, Visibility(agent.id, admin, visible))
    if cache is not None:
        cache.put(agent.id, agent.role, scope, generation)
    return scope


async def visibility_for(session: AsyncSession, agent: m.Agent) -> Visibility:
    """The visibility of one agent (cached; ``scope_for``)."""
    return (await scope_for(session, agent)).visibility


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
