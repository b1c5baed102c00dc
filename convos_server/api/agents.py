"""Agent routes (writes are admin only)."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field
from sqlalchemy import select

from convos_server.api.deps import AdminDep, AgentDep, BusDep, DbDep, TokenDep
from convos_server.api.params import Id
from convos_server.api.responses import errors
from convos_server.db import models as m
from convos_server.serialize import load_agent, load_agents
from convos_server.services import agents
from convos_server.services.auth import secret_hash

router = APIRouter(tags=["agents"])

Role = Literal["admin", "agent"]


@router.get("/agents")
async def list_agents(_agent: AgentDep, db: DbDep) -> list[dict[str, Any]]:
    """Every Agent."""
    async with db.sessionmaker() as session:
        rows = list(await session.scalars(select(m.Agent).order_by(m.Agent.id)))
        return await load_agents(session, rows)


class NewAgentBody(BaseModel):
    """``POST /agents``."""

    name: str = Field(min_length=1, max_length=200)
    email: str = Field(min_length=3, max_length=320)
    password: str = Field(min_length=1, max_length=1000)
    role: Role = "agent"
    team_ids: list[Id] = Field(default_factory=list)


@router.post("/agents", status_code=201, responses=errors(409))
async def create_agent(
    body: NewAgentBody, _admin: AdminDep, db: DbDep, bus: BusDep
) -> dict[str, Any]:
    """A new Agent."""
    async with db.transaction() as session:
        agent = await agents.create_agent(session, bus, **body.model_dump())
        data = await load_agent(session, agent)
    bus.wake()
    return data


class AgentPatch(BaseModel):
    """``PATCH /agents/{id}``; ``active: false`` disables the account."""

    name: str | None = Field(default=None, min_length=1, max_length=200)
    email: str | None = Field(default=None, min_length=3, max_length=320)
    password: str | None = Field(default=None, min_length=1, max_length=1000)
    role: Role | None = None
    active: bool | None = None
    team_ids: list[Id] | None = None


@router.patch("/agents/{agent_id}", responses=errors(409))
async def update_agent(
    agent_id: Id, body: AgentPatch, _admin: AdminDep, token: TokenDep, db: DbDep, bus: BusDep
) -> dict[str, Any]:
    """Change an Agent; deactivation and a new password revoke tokens (not the caller's)."""
    async with db.transaction() as session:
        agent = await agents.update_agent(
            session, bus, agent_id, **body.model_dump(), keep_token_hash=secret_hash(token)
        )
        data = await load_agent(session, agent)
    bus.wake()
    return data
