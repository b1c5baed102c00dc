"""Contact routes: search, create, detail, edit, files and activity feed.

Every route follows the inbox visibility rule of ``services.contacts``: a contact who exists
only in inboxes the caller cannot see answers 404.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from convos_server.api.deps import AgentDep, BusDep, DbDep
from convos_server.api.params import CustomFields, Id
from convos_server.api.responses import errors
from convos_server.serialize import activity_json, contact_json, file_json
from convos_server.services import contacts
from convos_server.services.paging import decode_id_cursor
from convos_server.services.visibility import visibility_for

router = APIRouter(tags=["contacts"])


@router.get("/contacts")
async def list_contacts(
    agent: AgentDep,
    db: DbDep,
    q: Annotated[str | None, Query(max_length=200)] = None,
    cursor: Annotated[str | None, Query(max_length=40)] = None,
    limit: Annotated[int | None, Query(ge=1, le=200)] = None,
) -> dict[str, Any]:
    """``Page<Contact>`` by id, of the contacts the caller may see."""
    after_id = decode_id_cursor(cursor) if cursor else None
    async with db.sessionmaker() as session:
        visibility = await visibility_for(session, agent)
        rows, next_cursor = await contacts.search_contacts(session, visibility, q, after_id, limit)
    return {"items": [contact_json(c) for c in rows], "next_cursor": next_cursor}


class NewContactBody(BaseModel):
    """``POST /contacts``."""

    name: str = Field(min_length=1, max_length=200)
    phone: str | None = Field(default=None, max_length=64)
    email: str | None = Field(default=None, max_length=320)
    custom: CustomFields = Field(default_factory=dict)


@router.post("/contacts", status_code=201)
async def create_contact(body: NewContactBody, _agent: AgentDep, db: DbDep) -> dict[str, Any]:
    """A new Contact."""
    async with db.transaction() as session:
        contact = await contacts.create_contact(
            session, body.name, body.phone, body.email, body.custom
        )
        return contact_json(contact)


@router.get("/contacts/{contact_id}")
async def get_contact(contact_id: Id, agent: AgentDep, db: DbDep) -> dict[str, Any]:
    """One Contact."""
    async with db.sessionmaker() as session:
        visibility = await visibility_for(session, agent)
        return contact_json(await contacts.get_contact(session, visibility, contact_id))


class ContactPatch(BaseModel):
    """``PATCH /contacts/{id}``: any of the fields; "" clears phone or email."""

    name: str | None = Field(default=None, max_length=200)
    phone: str | None = Field(default=None, max_length=64)
    email: str | None = Field(default=None, max_length=320)
    custom: CustomFields | None = None


@router.patch("/contacts/{contact_id}", responses=errors(409))
async def update_contact(
    contact_id: Id, body: ContactPatch, agent: AgentDep, db: DbDep, bus: BusDep
) -> dict[str, Any]:
    """Edit the profile; an activity and a ``contact.updated`` event follow."""
    changes = contacts.ContactChanges(
        name=body.name, phone=body.phone, email=body.email, custom=body.custom
    )
    async with db.transaction() as session:
        visibility = await visibility_for(session, agent)
        contact = await contacts.update_contact(
            session, bus, agent, visibility, contact_id, changes
        )
        data = contact_json(contact)
    bus.wake()
    return data


@router.get("/contacts/{contact_id}/files")
async def list_contact_files(contact_id: Id, agent: AgentDep, db: DbDep) -> list[dict[str, Any]]:
    """Files exchanged with the contact in the inboxes the caller sees, newest first."""
    async with db.sessionmaker() as session:
        visibility = await visibility_for(session, agent)
        rows = await contacts.contact_files(session, visibility, contact_id)
        return [file_json(f) for f in rows]


@router.get("/contacts/{contact_id}/activities")
async def list_contact_activities(
    contact_id: Id,
    agent: AgentDep,
    db: DbDep,
    limit: Annotated[int | None, Query(ge=1, le=200)] = None,
) -> list[dict[str, Any]]:
    """The activity feed, newest first (without tickets of hidden inboxes)."""
    async with db.sessionmaker() as session:
        visibility = await visibility_for(session, agent)
        rows = await contacts.contact_activities(session, visibility, contact_id, limit)
        return [activity_json(a) for a in rows]
