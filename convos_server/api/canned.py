"""Canned reply routes: the caller's own and the shared ones (admins change those)."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Response
from pydantic import BaseModel, Field

from convos_server.api.deps import AgentDep, BusDep, DbDep
from convos_server.api.params import Id
from convos_server.api.responses import errors
from convos_server.serialize import canned_json
from convos_server.services import canned

router = APIRouter(tags=["canned"])

Language = Literal["it", "en"]


@router.get("/canned")
async def list_canned(agent: AgentDep, db: DbDep) -> list[dict[str, Any]]:
    """Shared replies and the caller's own, by shortcut."""
    async with db.sessionmaker() as session:
        return [canned_json(c) for c in await canned.visible_canned(session, agent)]


class NewCannedBody(BaseModel):
    """``POST /canned``; ``shared`` (admins only) makes a reply for everyone."""

    shortcut: str = Field(min_length=1, max_length=65)
    text: str = Field(min_length=1, max_length=10_000)
    language: Language | None = None
    shared: bool = False


@router.post("/canned", status_code=201, responses=errors(403))
async def create_canned(
    body: NewCannedBody, agent: AgentDep, db: DbDep, bus: BusDep
) -> dict[str, Any]:
    """A new Canned reply."""
    async with db.transaction() as session:
        reply = await canned.create_canned(
            session, bus, agent, body.shortcut, body.text, body.language, body.shared
        )
        data = canned_json(reply)
    bus.wake()
    return data


class CannedPatch(BaseModel):
    """``PATCH /canned/{id}``."""

    shortcut: str | None = Field(default=None, min_length=1, max_length=65)
    text: str | None = Field(default=None, min_length=1, max_length=10_000)
    language: Language | None = None


@router.patch("/canned/{canned_id}", responses=errors(403))
async def update_canned(
    canned_id: Id, body: CannedPatch, agent: AgentDep, db: DbDep, bus: BusDep
) -> dict[str, Any]:
    """Change a reply."""
    async with db.transaction() as session:
        reply = await canned.update_canned(
            session,
            bus,
            agent,
            canned_id,
            shortcut=body.shortcut,
            text=body.text,
            language=body.language,
            language_given="language" in body.model_fields_set,
        )
        data = canned_json(reply)
    bus.wake()
    return data


@router.delete("/canned/{canned_id}", status_code=204, responses=errors(403))
async def delete_canned(canned_id: Id, agent: AgentDep, db: DbDep, bus: BusDep) -> Response:
    """Delete a reply."""
    async with db.transaction() as session:
        await canned.delete_canned(session, bus, agent, canned_id)
    bus.wake()
    return Response(status_code=204)
