"""Channel ingress: what a chatbot or channel gateway sends, and the outbound feed it reads.

``receive_customer_message(session, bus, inbox, contact_ref, text, file_ids, handoff)``
-> ``IngressResult(conversation_id, message, ticket_id)`` is a plain service function (no
HTTP): the API calls it, and so can the demo simulator, inside ``db.transaction()``, followed
by ``bus.wake()`` after the commit. The contact is found or created by ``external_id`` (and
its latest conversation of the inbox found in the same query); the message goes into that
conversation (a new ``chatbot`` one if there is none); ``handoff`` opens a ticket unless the
contact has one open, assigned by the inbox's mode.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Select, bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from convos_server.db import models as m
from convos_server.errors import ApiError, invalid
from convos_server.serialize import Json, load_message
from convos_server.services.events import EventBus
from convos_server.services.messages import (
    Author,
    append_message,
    check_files,
    publish_new_message,
)
from convos_server.services.snooze import wake_on_reply
from convos_server.services.tickets import open_ticket, open_ticket_of_contact


@dataclass(frozen=True, slots=True)
class ContactRef:
    """How a channel names a customer: its ``external_id``, plus details for a new contact."""

    external_id: str
    name: str | None = None
    phone: str | None = None
    email: str | None = None


@dataclass(frozen=True, slots=True)
class IngressResult:
    """What one customer message did: where it went and the ticket it is part of."""

    conversation_id: int
    message: m.Message
    message_json: Json
    ticket_id: int | None
    created: bool = True  # False: the channel's ``message_id`` again, the first one answered


def _contact_and_latest_conversation() -> Select[m.Contact, m.Conversation]:
    """The contact by ``external_id``, outer-joined to its latest conversation of ``inbox_id``.

    Built once with bound parameters: SQLAlchemy then reuses the statement's cache key and
    compiled form instead of constructing both again for every message.
    """
    latest = (
        select(m.Conversation.id)
        .where(
            m.Conversation.contact_id == m.Contact.id,
            m.Conversation.inbox_id == bindparam("inbox_id"),
        )
        .order_by(m.Conversation.last_message_at.desc(), m.Conversation.id.desc())
        .limit(1)
        .correlate(m.Contact)
        .scalar_subquery()
    )
    return (
        select(m.Contact, m.Conversation)
        .outerjoin(m.Conversation, m.Conversation.id == latest)
        .where(m.Contact.external_id == bindparam("external_id"))
    )


CONTACT_AND_LATEST_CONVERSATION = _contact_and_latest_conversation()


async def find_contact_and_conversation(
    session: AsyncSession, ref: ContactRef, inbox_id: int
) -> tuple[m.Contact | None, m.Conversation | None]:
    """The contact with ``ref.external_id`` and its latest conversation of the inbox: one query."""
    result = await session.execute(
        CONTACT_AND_LATEST_CONVERSATION, {"external_id": ref.external_id, "inbox_id": inbox_id}
    )
    row = result.first()
    return (None, None) if row is None else (row[0], row[1])


async def _locked(session: AsyncSession, conversation: m.Conversation) -> m.Conversation:
    """On PostgreSQL, the conversation row locked and read again, first of all it is written.

    Two messages of one customer at once then queue here instead of each holding a row the
    other wants next (the conversation, its ticket, the report rollup): a deadlock.
    SQLite serialises writers already.
    """
    if session.get_bind().dialect.name != "postgresql":
        return conversation
    locked = await session.scalar(
        select(m.Conversation)
        .where(m.Conversation.id == conversation.id)
        .with_for_update(key_share=True)  # FOR NO KEY UPDATE
        .execution_options(populate_existing=True)
    )
    return locked if locked is not None else conversation


def _new_contact(session: AsyncSession, ref: ContactRef) -> m.Contact:
    contact = m.Contact(
        name=ref.name or ref.phone or ref.external_id,
        phone=ref.phone,
        email=ref.email,
        external_id=ref.external_id,
        custom={},
    )
    session.add(contact)
    return contact


async def receive_customer_message(
    session: AsyncSession,
    bus: EventBus,
    inbox: m.Inbox,
    contact_ref: ContactRef,
    text: str,
    file_ids: Sequence[int] = (),
    handoff: bool = False,
    message_id: str | None = None,
) -> IngressResult:
    """Store a message from a customer; with ``handoff`` open a ticket (see module docs).

    ``message_id`` is the channel's id of the message (kept as the message's ``client_id``,
    unique per contact): a gateway's retry of a message that was stored gets the first one
    back, with ``created`` False, and changes nothing.
    """
    if not inbox.active:
        raise ApiError(409, "inbox_inactive", "The inbox is deactivated: it takes no messages")
    if not text.strip() and not file_ids:
        raise invalid("A message needs text or a file", "text")
    if not contact_ref.external_id.strip():
        raise invalid("The contact needs an external_id", "contact.external_id")
    await check_files(session, file_ids)
    contact, conversation = await find_contact_and_conversation(session, contact_ref, inbox.id)
    if contact is not None and message_id is not None:
        stored = await session.scalar(
            select(m.Message).where(
                m.Message.sender_type == "contact",
                m.Message.sender_id == contact.id,
                m.Message.client_id == message_id,
            )
        )
        if stored is not None:
            ticket_id = await session.scalar(
                select(m.Conversation.open_ticket_id).where(
                    m.Conversation.id == stored.conversation_id
                )
            )
            data = await load_message(session, stored)
            return IngressResult(stored.conversation_id, stored, data, ticket_id, created=False)
    if conversation is not None:
        conversation = await _locked(session, conversation)
    if contact is None:
        contact = _new_contact(session, contact_ref)
        await session.flush()
    if conversation is None:
        conversation = m.Conversation(contact_id=contact.id, inbox_id=inbox.id, origin="chatbot")
        session.add(conversation)
        await session.flush()
    author = Author("contact", contact.id, contact.name)
    message = await append_message(
        session, conversation, author, "in", text, client_id=message_id, file_ids=file_ids
    )
    await wake_on_reply(session, bus, conversation.open_ticket_id)
    wants_ticket = handoff and conversation.open_ticket_id is None
    if wants_ticket and await open_ticket_of_contact(session, contact.id) is None:
        ticket = await open_ticket(session, bus, conversation)
        message.ticket_id = ticket.id
        await session.flush()
    data = await publish_new_message(session, bus, message, inbox.id, file_ids)
    return IngressResult(conversation.id, message, data, conversation.open_ticket_id)


async def outbound_messages(
    session: AsyncSession, inbox: m.Inbox, after: int, limit: int = 200
) -> list[m.Message]:
    """Agent ``out`` messages of the inbox with id > ``after``, oldest first, to deliver."""
    return list(
        await session.scalars(
            select(m.Message)
            .join(m.Conversation, m.Conversation.id == m.Message.conversation_id)
            .where(
                m.Conversation.inbox_id == inbox.id,
                m.Message.direction == "out",
                m.Message.sender_type == "agent",
                m.Message.id > after,
            )
            .order_by(m.Message.id)
            .limit(limit)
        )
    )


async def latest_conversation_id(
    session: AsyncSession, inbox: m.Inbox, external_id: str
) -> int | None:
    """The latest conversation in ``inbox`` of the contact known there as ``external_id``."""
    return await session.scalar(
        select(m.Conversation.id)
        .join(m.Contact, m.Contact.id == m.Conversation.contact_id)
        .where(m.Conversation.inbox_id == inbox.id, m.Contact.external_id == external_id)
        .order_by(m.Conversation.id.desc())
        .limit(1)
    )


async def typing_targets(
    session: AsyncSession, inbox: m.Inbox, conversation_ids: Sequence[int]
) -> list[Json]:
    """``[{conversation_id, external_id}]`` of those conversations that belong to ``inbox``."""
    if not conversation_ids:
        return []
    rows = await session.execute(
        select(m.Conversation.id, m.Contact.external_id)
        .join(m.Contact, m.Contact.id == m.Conversation.contact_id)
        .where(m.Conversation.inbox_id == inbox.id, m.Conversation.id.in_(conversation_ids))
        .order_by(m.Conversation.id)
    )
    return [{"conversation_id": c, "external_id": e} for c, e in rows]
