"""Team routes (writes are admin only); ``agent_ids`` sets the members."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response
from pydantic import BaseModel, Field
from sqlalchemy import select

from convos_server.api.deps import AdminDep, AgentDep, BusDep, DbDep
from convos_server.api.params import Id
from convos_server.api.responses import errors
from convos_server.db import models as m
from convos_server.serialize import load_teams
from convos_server.services import teams

router = APIRouter(tags=["teams"])


@router.get("/teams")
async def list_teams(_agent: AgentDep, db: DbDep) -> list[dict[str, Any]]:
    """Every Team with its members."""
    async with db.sessionmaker() as session:
        rows = list(await session.scalars(select(m.Team).order_by(m.Team.id)))
        return await load_teams(session, rows)


class NewTeamBody(BaseModel):
    """``POST /teams``."""

    name: str = Field(min_length=1, max_length=200)
    agent_ids: list[Id] = Field(default_factory=list)


@router.post("/teams", status_code=201, responses=errors(409))
async def create_team(
    body: NewTeamBody, _admin: AdminDep, db: DbDep, bus: BusDep
) -> dict[str, Any]:
    """A new Team."""
    async with db.transaction() as session:
        team = await teams.create_team(session, bus, body.name, body.agent_ids)
        data = (await load_teams(session, [team]))[0]
    bus.wake()
    return data


class TeamPatch(BaseModel):
    """``PATCH /teams/{id}``."""

    name: str | None = Field(default=None, min_length=1, max_length=200)
    agent_ids: list[Id] | None = None


@router.patch("/teams/{team_id}", responses=errors(409))
async def update_team(
    team_id: Id, body: TeamPatch, _admin: AdminDep, db: DbDep, bus: BusDep
) -> dict[str, Any]:
    """Rename a team or set its members."""
    async with db.transaction() as session:
        team = await teams.update_team(session, bus, team_id, body.name, body.agent_ids)
        data = (await load_teams(session, [team]))[0]
    bus.wake()
    return data


@router.delete("/teams/{team_id}", status_code=204)
async def delete_team(team_id: Id, _admin: AdminDep, db: DbDep, bus: BusDep) -> Response:
    """Delete a team; its inboxes lose their team."""
    async with db.transaction() as session:
        await teams.delete_team(session, bus, team_id)
    bus.wake()
    return Response(status_code=204)
