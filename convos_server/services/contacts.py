"""Contacts: search, create, edit (with an activity and an event), files and activities.

Visibility follows the inbox rule: an agent sees a contact who has a conversation in an inbox
the agent sees, or no conversation at all (a contact an agent just created); admins see every
contact. A hidden contact answers 404 like a missing one. Files and activities of a visible
contact are limited to the conversations and tickets of the inboxes the agent sees.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import ColumnElement, exists, func, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from convos_server.db import models as m
from convos_server.errors import ApiError, invalid, not_found
from convos_server.serialize import contact_json
from convos_server.services import system_kinds as kinds
from convos_server.services.events import EventBus
from convos_server.services.paging import clamp_limit
from convos_server.services.search import contains
from convos_server.services.ticket_events import add_activity
from convos_server.services.visibility import Visibility


@dataclass(frozen=True, slots=True)
class ContactChanges:
    """Fields to change; ``None`` means "leave as is" (use "" to clear phone or email)."""

    name: str | None = None
    phone: str | None = None
    email: str | None = None
    custom: dict[str, str] | None = None


def visible_contact_filter(visibility: Visibility) -> ColumnElement[bool]:
    """A WHERE clause on ``m.Contact`` keeping the contacts ``visibility`` may see."""
    if visibility.everything:
        return true()
    of_contact = m.Conversation.contact_id == m.Contact.id
    return or_(
        ~exists().where(of_contact),
        exists().where(of_contact, visibility.inbox_filter(m.Conversation.inbox_id)),
    )


async def get_contact(session: AsyncSession, visibility: Visibility, contact_id: int) -> m.Contact:
    """A contact the agent may see; 404 when missing or hidden."""
    contact = await session.scalar(
        select(m.Contact).where(m.Contact.id == contact_id, visible_contact_filter(visibility))
    )
    if contact is None:
        raise not_found("contact")
    return contact


async def search_contacts(
    session: AsyncSession,
    visibility: Visibility,
    q: str | None,
    after_id: int | None,
    limit: int | None,
) -> tuple[list[m.Contact], str | None]:
    """Visible contacts matching ``q`` (name, phone, email), by id; the next cursor (an id)."""
    size = clamp_limit(limit)
    query = select(m.Contact).where(visible_contact_filter(visibility))
    if q and q.strip():
        query = query.where(
            or_(
                contains(m.Contact.name, q),
                contains(m.Contact.phone, q),
                contains(m.Contact.email, q),
                contains(m.Contact.external_id, q),
            )
        )
    if after_id is not None:
        query = query.where(m.Contact.id > after_id)
    rows = list(await session.scalars(query.order_by(m.Contact.id).limit(size + 1)))
    if len(rows) > size:
        return rows[:size], str(rows[size - 1].id)
    return rows, None


def _clean(value: str | None) -> str | None:
    return value.strip() or None if value is not None else None


PHONE_SEPARATORS = " -.()/"
PHONE_PATTERN = re.compile(r"\+?[0-9]{6,15}")
EMAIL_PATTERN = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s.]+")


def phone_digits(phone: str) -> str:
    """A phone number without its separators (spaces, dashes, dots, parentheses, slashes)."""
    return phone.translate({ord(c): None for c in PHONE_SEPARATORS})


def _phone_column_digits() -> ColumnElement[str | None]:
    """``contacts.phone`` without separators, in SQL (SQLite and PostgreSQL alike)."""
    column: ColumnElement[str | None] = m.Contact.phone.expression
    for separator in PHONE_SEPARATORS:
        column = func.replace(column, separator, "")
    return column


def validate_phone(phone: str | None) -> str | None:
    """The cleaned phone, or 422 ``invalid`` (field ``phone``)."""
    phone = _clean(phone)
    if phone is not None and not PHONE_PATTERN.fullmatch(phone_digits(phone)):
        raise invalid("The phone number must have 6 to 15 digits, optionally after +", "phone")
    return phone


def validate_email(email: str | None) -> str | None:
    """The cleaned e-mail address, or 422 ``invalid`` (field ``email``)."""
    email = _clean(email)
    if email is not None and not EMAIL_PATTERN.fullmatch(email):
        raise invalid("The e-mail address is not valid", "email")
    return email


async def find_duplicate(
    session: AsyncSession, phone: str | None, email: str | None, exclude_id: int | None = None
) -> tuple[m.Contact, str] | None:
    """An existing contact (other than ``exclude_id``) with the same phone (separators
    ignored) or e-mail (any case), and the field that matched."""
    other = m.Contact.id != exclude_id if exclude_id is not None else true()
    if phone is not None:
        same = await session.scalar(
            select(m.Contact)
            .where(_phone_column_digits() == phone_digits(phone), other)
            .order_by(m.Contact.id)
            .limit(1)
        )
        if same is not None:
            return same, "phone"
    if email is not None:
        same = await session.scalar(
            select(m.Contact)
            .where(func.lower(m.Contact.email) == email.lower(), other)
            .order_by(m.Contact.id)
            .limit(1)
        )
        if same is not None:
            return same, "email"
    return None


async def refuse_duplicate(
    session: AsyncSession, phone: str | None, email: str | None, exclude_id: int | None = None
) -> None:
    """409 ``contact_exists`` (extra ``contact_id``, ``field``) when another contact has the
    phone or the e-mail."""
    duplicate = await find_duplicate(session, phone, email, exclude_id)
    if duplicate is not None:
        existing, field = duplicate
        raise ApiError(
            409,
            "contact_exists",
            f"Another contact has this {field}",
            contact_id=existing.id,
            field=field,
        )


async def create_contact(
    session: AsyncSession, name: str, phone: str | None, email: str | None, custom: dict[str, str]
) -> m.Contact:
    """A new contact made by an agent: a name and a valid phone and/or e-mail; 409
    ``contact_exists`` (extra ``contact_id``, ``field``) when another contact has either."""
    if not name.strip():
        raise invalid("The name must not be empty", "name")
    phone, email = validate_phone(phone), validate_email(email)
    if phone is None and email is None:
        raise invalid("Give a phone number or an e-mail address", "phone")
    await refuse_duplicate(session, phone, email)
    contact = m.Contact(name=name.strip(), phone=phone, email=email, custom=dict(custom))
    session.add(contact)
    await session.flush()
    return contact


async def update_contact(
    session: AsyncSession,
    bus: EventBus,
    agent: m.Agent,
    visibility: Visibility,
    contact_id: int,
    changes: ContactChanges,
) -> m.Contact:
    """Edit a contact's profile; writes a ``contact.edited`` activity and ``contact.updated``.

    A phone or e-mail that another contact has is 409 ``contact_exists`` (as on creation)."""
    contact = await get_contact(session, visibility, contact_id)
    new_phone, new_email = (
        _clean(value) if value is not None and _clean(value) != getattr(contact, field) else None
        for field, value in (("phone", changes.phone), ("email", changes.email))
    )
    await refuse_duplicate(session, new_phone, new_email, exclude_id=contact.id)
    changed = []
    if changes.name is not None:
        if not changes.name.strip():
            raise invalid("The name must not be empty", "name")
        if changes.name.strip() != contact.name:
            contact.name = changes.name.strip()
            changed.append("name")
    for field in ("phone", "email"):
        value = getattr(changes, field)
        if value is not None and _clean(value) != getattr(contact, field):
            setattr(contact, field, _clean(value))
            changed.append(field)
    if changes.custom is not None and changes.custom != contact.custom:
        contact.custom = dict(changes.custom)
        changed.append("custom")
    if not changed:
        return contact
    contact.updated_at = m.utcnow()
    add_activity(
        session, contact.id, kinds.contact_edited(agent.id, agent.name, changed), agent_id=agent.id
    )
    await session.flush()
    await publish_contact(session, bus, contact)
    return contact


async def publish_contact(session: AsyncSession, bus: EventBus, contact: m.Contact) -> None:
    """``contact.updated`` for the agents who see the contact: one event per inbox of its
    conversations (an agent who sees several gets it more than once: applying it twice
    changes nothing), or one for everyone when it has no conversation."""
    inbox_ids = sorted(
        set(
            await session.scalars(
                select(m.Conversation.inbox_id).where(m.Conversation.contact_id == contact.id)
            )
        )
    )
    data = {"contact": contact_json(contact)}
    if not inbox_ids:
        await bus.publish(session, "contact.updated", data)
    for inbox_id in inbox_ids:
        await bus.publish(session, "contact.updated", data, inbox_id=inbox_id)


async def contact_files(
    session: AsyncSession, visibility: Visibility, contact_id: int
) -> list[m.File]:
    """Files exchanged in the contact's conversations the agent sees, newest first."""
    await get_contact(session, visibility, contact_id)
    return list(
        await session.scalars(
            select(m.File)
            .join(m.MessageFile, m.MessageFile.file_id == m.File.id)
            .join(m.Message, m.Message.id == m.MessageFile.message_id)
            .join(m.Conversation, m.Conversation.id == m.Message.conversation_id)
            .where(
                m.Conversation.contact_id == contact_id,
                visibility.inbox_filter(m.Conversation.inbox_id),
            )
            .order_by(m.Message.id.desc(), m.MessageFile.position)
        )
    )


async def contact_activities(
    session: AsyncSession, visibility: Visibility, contact_id: int, limit: int | None
) -> list[m.Activity]:
    """The contact's activity feed, newest first, without the tickets of hidden inboxes."""
    await get_contact(session, visibility, contact_id)
    hidden_ticket = exists().where(
        m.Ticket.id == m.Activity.ticket_id, ~visibility.inbox_filter(m.Ticket.inbox_id)
    )
    return list(
        await session.scalars(
            select(m.Activity)
            .where(m.Activity.contact_id == contact_id, ~hidden_ticket)
            .order_by(m.Activity.id.desc())
            .limit(clamp_limit(limit))
        )
    )
