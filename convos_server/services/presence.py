"""Presence: the heartbeat, the effective status, the TTL sweeper and the online rule.

Effective status is ``unavailable`` when the screen is ``other``, when the chosen status is
``unavailable`` or when no heartbeat came for the TTL; else the chosen status. Each change of
the effective status is a ``presence.changed`` event, visible to everyone.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from convos_server.db import models as m
from convos_server.db.engine import Database
from convos_server.errors import ApiError
from convos_server.services.events import EventBus

log = logging.getLogger("convos.presence")

STATUSES = ("online", "busy", "unavailable")
SCREENS = ("conversations", "other")
WORKING_STATUSES = frozenset({"online", "busy"})


def effective_status(agent: m.Agent, now: dt.datetime, ttl_s: float) -> str:
    """The status others see for ``agent`` at ``now``."""
    beat = agent.last_heartbeat_at
    if agent.screen != "conversations" or beat is None:
        return "unavailable"
    if (now - beat).total_seconds() > ttl_s:
        return "unavailable"
    return agent.chosen_status


def require_working(agent: m.Agent) -> None:
    """The online rule: 409 ``agent_not_online`` unless effectively online or busy.

    Uses the stored effective status, which the sweeper keeps within one sweep of the TTL.
    """
    if agent.status not in WORKING_STATUSES:
        raise ApiError(409, "agent_not_online", "Set your status to Online to do this")


async def publish_presence(session: AsyncSession, bus: EventBus, agent: m.Agent) -> None:
    """Emit ``presence.changed`` for ``agent``'s current stored status."""
    await bus.publish(
        session,
        "presence.changed",
        {"agent_id": agent.id, "status": agent.status, "chosen_status": agent.chosen_status},
    )


async def heartbeat(
    session: AsyncSession, bus: EventBus, agent: m.Agent, status: str, screen: str, ttl_s: float
) -> m.Agent:
    """Record a heartbeat with the chosen status and screen; event when the effective one moves."""
    now = m.utcnow()
    before = (agent.status, agent.chosen_status)
    agent.chosen_status = status
    agent.screen = screen
    agent.last_heartbeat_at = now
    agent.status = effective_status(agent, now, ttl_s)
    if (agent.status, agent.chosen_status) != before:
        await publish_presence(session, bus, agent)
    return agent


async def expire_stale(session: AsyncSession, bus: EventBus, ttl_s: float) -> list[int]:
    """Mark unavailable every agent whose heartbeat is older than the TTL; their ids."""
    cutoff = m.utcnow() - dt.timedelta(seconds=ttl_s)
    stale = list(
        await session.scalars(
            select(m.Agent)
            .where(
                m.Agent.status != "unavailable",
                (m.Agent.last_heartbeat_at.is_(None)) | (m.Agent.last_heartbeat_at < cutoff),
            )
            .with_for_update()
        )
    )
    for agent in stale:
        agent.status = "unavailable"
        await publish_presence(session, bus, agent)
    return [agent.id for agent in stale]


async def run_sweeper(db: Database, bus: EventBus, ttl_s: float, interval_s: float) -> None:
    """Expire stale presence every ``interval_s`` seconds until cancelled."""
    while True:
        await asyncio.sleep(interval_s)
        try:
            async with db.transaction() as session:
                expired = await expire_stale(session, bus, ttl_s)
        except Exception:
            log.exception("presence sweep failed")
            continue
        if expired:
            log.info("presence expired for agents %s", expired)
            bus.wake()
