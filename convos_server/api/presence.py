"""``PUT /presence``: the chosen status, the screen, and the heartbeat."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter
from pydantic import BaseModel

from convos_server.api.deps import AgentDep, BusDep, DbDep, SettingsDep
from convos_server.db import models as m
from convos_server.serialize import load_agent
from convos_server.services.presence import heartbeat

router = APIRouter(tags=["presence"])


class PresenceBody(BaseModel):
    """The heartbeat body."""

    status: Literal["online", "busy", "unavailable"]
    screen: Literal["conversations", "other"]


@router.put("/presence")
async def put_presence(
    body: PresenceBody, agent: AgentDep, db: DbDep, bus: BusDep, settings: SettingsDep
) -> dict[str, Any]:
    """Record the heartbeat; returns the Agent with its effective status."""
    async with db.transaction() as session:
        me = await session.get(m.Agent, agent.id, with_for_update=True)
        assert me is not None
        await heartbeat(session, bus, me, body.status, body.screen, settings.presence_ttl_s)
        data = await load_agent(session, me)
    bus.wake()
    return data
