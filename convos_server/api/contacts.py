"""Contact routes: search, create, detail, edit, files and activity feed."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from convos_server.api.deps import AgentDep, BusDep, DbDep
from convos_server.errors import invalid
from convos_server.serialize import activity_json, contact_json, file_json
from convos_server.services import contacts

router = APIRouter(tags=["contacts"])


@router.get("/contacts")
async def list_contacts(
    _agent: AgentDep,
    db: DbDep,
    q: Annotated[str | None, Query(max_length=200)] = None,
    cursor: str | None = None,
    limit: Annotated[int | None, Query(ge=1, le=200)] = None,
) -> dict[str, Any]:
    """``Page<Contact>`` by id."""
    if cursor is not None and not cursor.isdigit():
        raise invalid("Bad cursor", "cursor")
    async with db.sessionmaker() as session:
        rows, next_cursor = await contacts.search_contacts(
            session, q, int(cursor) if cursor else None, limit
        )
    return {"items": [contact_json(c) for c in rows], "next_cursor": next_cursor}


class NewContactBody(BaseModel):
    """``POST /contacts``."""

    name: str = Field(min_length=1, max_length=200)
    phone: str | None = Field(default=None, max_length=64)
    email: str | None = Field(default=None, max_length=320)
    custom: dict[str, str] = Field(default_factory=dict)


@router.post("/contacts", status_code=201)
async def create_contact(body: NewContactBody, _agent: AgentDep, db: DbDep) -> dict[str, Any]:
    """A new Contact."""
    async with db.transaction() as session:
        contact = await contacts.create_contact(
            session, body.name, body.phone, body.email, body.custom
        )
        return contact_json(contact)


@router.get("/contacts/{contact_id}")
async def get_contact(contact_id: int, _agent: AgentDep, db: DbDep) -> dict[str, Any]:
    """One Contact."""
    async with db.sessionmaker() as session:
        return contact_json(await contacts.get_contact(session, contact_id))


class ContactPatch(BaseModel):
    """``PATCH /contacts/{id}``: any of the fields; "" clears phone or email."""

    name: str | None = Field(default=None, max_length=200)
    phone: str | None = Field(default=None, max_length=64)
    email: str | None = Field(default=None, max_length=320)
    custom: dict[str, str] | None = None


@router.patch("/contacts/{contact_id}")
async def update_contact(
    contact_id: int, body: ContactPatch, agent: AgentDep, db: DbDep, bus: BusDep
) -> dict[str, Any]:
    """Edit the profile; an activity and a ``contact.updated`` event follow."""
    changes = contacts.ContactChanges(
        name=body.name, phone=body.phone, email=body.email, custom=body.custom
    )
    async with db.transaction() as session:
        contact = await contacts.update_contact(session, bus, agent, contact_id, changes)
        data = contact_json(contact)
    bus.wake()
    return data


@router.get("/contacts/{contact_id}/files")
async def list_contact_files(contact_id: int, _agent: AgentDep, db: DbDep) -> list[dict[str, Any]]:
    """Files exchanged with the contact, newest first."""
    async with db.sessionmaker() as session:
        return [file_json(f) for f in await contacts.contact_files(session, contact_id)]


@router.get("/contacts/{contact_id}/activities")
async def list_contact_activities(
    contact_id: int,
    _agent: AgentDep,
    db: DbDep,
    limit: Annotated[int | None, Query(ge=1, le=200)] = None,
) -> list[dict[str, Any]]:
    """The activity feed, newest first."""
    async with db.sessionmaker() as session:
        rows = await contacts.contact_activities(session, contact_id, limit)
        return [activity_json(a) for a in rows]
