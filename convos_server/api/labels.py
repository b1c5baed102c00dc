"""Label routes: the workspace's labels (admins manage them) and the labels of a ticket."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Response
from pydantic import BaseModel, Field, StringConstraints

from convos_server.api.deps import AdminDep, AgentDep, BusDep, DbDep
from convos_server.api.params import Id
from convos_server.api.responses import errors
from convos_server.db import models as m
from convos_server.db.engine import Database
from convos_server.serialize import load_ticket
from convos_server.services import labels
from convos_server.services.events import EventBus

router = APIRouter(tags=["labels"])

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
Color = Annotated[str, Field(pattern=labels.COLOR_PATTERN)]


@router.get("/labels")
async def list_labels(agent: AgentDep, db: DbDep) -> list[dict[str, Any]]:
    """Every Label, by name."""
    async with db.sessionmaker() as session:
        return [labels.label_json(label) for label in await labels.all_labels(session)]


class NewLabelBody(BaseModel):
    """``POST /labels``."""

    name: Name
    color: Color


@router.post("/labels", status_code=201, responses=errors(403, 409))
async def create_label(
    body: NewLabelBody, admin: AdminDep, db: DbDep, bus: BusDep
) -> dict[str, Any]:
    """A new Label (admins)."""
    async with db.transaction() as session:
        data = labels.label_json(await labels.create_label(session, bus, body.name, body.color))
    bus.wake()
    return data


class LabelPatch(BaseModel):
    """``PATCH /labels/{id}``."""

    name: Name | None = None
    color: Color | None = None


@router.patch("/labels/{label_id}", responses=errors(403, 409))
async def update_label(
    label_id: Id, body: LabelPatch, admin: AdminDep, db: DbDep, bus: BusDep
) -> dict[str, Any]:
    """Rename or recolour a Label (admins)."""
    async with db.transaction() as session:
        label = await labels.update_label(session, bus, label_id, body.name, body.color)
        data = labels.label_json(label)
    bus.wake()
    return data


@router.delete("/labels/{label_id}", status_code=204, responses=errors(403))
async def delete_label(label_id: Id, admin: AdminDep, db: DbDep, bus: BusDep) -> Response:
    """Delete a Label; it leaves every ticket (admins)."""
    async with db.transaction() as session:
        await labels.delete_label(session, bus, label_id)
    bus.wake()
    return Response(status_code=204)


async def _set(
    ticket_id: int, label_id: int, agent: m.Agent, db: Database, bus: EventBus, on: bool
) -> dict[str, Any]:
    async with db.transaction() as session:
        ticket = await labels.set_ticket_label(session, bus, agent, ticket_id, label_id, on)
        data = await load_ticket(session, ticket)
    bus.wake()
    return data


@router.put("/tickets/{ticket_id}/labels/{label_id}")
async def add_ticket_label(
    ticket_id: Id, label_id: Id, agent: AgentDep, db: DbDep, bus: BusDep
) -> dict[str, Any]:
    """Put a label on a ticket the caller sees; returns the Ticket."""
    return await _set(ticket_id, label_id, agent, db, bus, True)


@router.delete("/tickets/{ticket_id}/labels/{label_id}")
async def remove_ticket_label(
    ticket_id: Id, label_id: Id, agent: AgentDep, db: DbDep, bus: BusDep
) -> dict[str, Any]:
    """Take a label off a ticket the caller sees; returns the Ticket."""
    return await _set(ticket_id, label_id, agent, db, bus, False)
