"""Inbox routes (writes are admin only); the API key appears only on create and rotate."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Response
from pydantic import BaseModel, Field
from sqlalchemy import select

from convos_server.api.deps import AdminDep, AgentDep, BusDep, DbDep
from convos_server.api.params import Id
from convos_server.api.responses import errors
from convos_server.db import models as m
from convos_server.serialize import inbox_json
from convos_server.services import inboxes
from convos_server.services.visibility import visibility_for

router = APIRouter(tags=["inboxes"])

Channel = Literal["whatsapp", "web", "email", "telegram", "sms"]
Mode = Literal["manual", "round_robin", "least_busy"]
MAX_OPEN_PER_AGENT = 10_000


@router.get("/inboxes")
async def list_inboxes(agent: AgentDep, db: DbDep) -> list[dict[str, Any]]:
    """The inboxes the caller may see (all for admins)."""
    async with db.sessionmaker() as session:
        visibility = await visibility_for(session, agent)
        rows = await session.scalars(
            select(m.Inbox).where(visibility.inbox_filter(m.Inbox.id)).order_by(m.Inbox.id)
        )
        return [inbox_json(inbox) for inbox in rows]


class NewInboxBody(BaseModel):
    """``POST /inboxes``."""

    name: str = Field(min_length=1, max_length=200)
    channel: Channel = "whatsapp"
    team_id: Id | None = None
    assignment: Mode = "manual"
    max_open_per_agent: int | None = Field(default=None, ge=1, le=MAX_OPEN_PER_AGENT)
    business_hours: str = Field(default="", max_length=500)
    active: bool = True


@router.post("/inboxes", status_code=201)
async def create_inbox(
    body: NewInboxBody, _admin: AdminDep, db: DbDep, bus: BusDep
) -> dict[str, Any]:
    """A new Inbox, with its ``api_key`` (shown only now)."""
    async with db.transaction() as session:
        inbox, api_key = await inboxes.create_inbox(session, bus, **body.model_dump())
        data = inbox_json(inbox, api_key)
    bus.wake()
    return data


class InboxPatch(BaseModel):
    """``PATCH /inboxes/{id}``: ``team_id`` and ``max_open_per_agent`` may be null."""

    name: str | None = Field(default=None, min_length=1, max_length=200)
    channel: Channel | None = None
    team_id: Id | None = None
    assignment: Mode | None = None
    max_open_per_agent: int | None = Field(default=None, ge=1, le=MAX_OPEN_PER_AGENT)
    business_hours: str | None = Field(default=None, max_length=500)
    active: bool | None = None


@router.patch("/inboxes/{inbox_id}")
async def update_inbox(
    inbox_id: Id, body: InboxPatch, _admin: AdminDep, db: DbDep, bus: BusDep
) -> dict[str, Any]:
    """Change an Inbox."""
    changes = inboxes.InboxChanges(given=frozenset(body.model_fields_set), **body.model_dump())
    async with db.transaction() as session:
        data = inbox_json(await inboxes.update_inbox(session, bus, inbox_id, changes))
    bus.wake()
    return data


@router.post("/inboxes/{inbox_id}/rotate-key")
async def rotate_key(inbox_id: Id, _admin: AdminDep, db: DbDep) -> dict[str, Any]:
    """A new API key; the old one stops working."""
    async with db.transaction() as session:
        inbox, api_key = await inboxes.rotate_key(session, inbox_id)
        return inbox_json(inbox, api_key)


@router.delete("/inboxes/{inbox_id}", status_code=204, responses=errors(409))
async def delete_inbox(inbox_id: Id, _admin: AdminDep, db: DbDep, bus: BusDep) -> Response:
    """Delete an inbox without conversations."""
    async with db.transaction() as session:
        await inboxes.delete_inbox(session, bus, inbox_id)
    bus.wake()
    return Response(status_code=204)
