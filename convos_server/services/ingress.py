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
from typing import cast

from sqlalchemy import Select, Table, bindparam, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from convos_server.db import driver_sql
from convos_server.db import models as m
from convos_server.db.lean import needs_session
from convos_server.errors import ApiError, invalid
from convos_server.serialize import Json, NewMessage, load_message, load_new_message
from convos_server.services.auth import InboxKey
from convos_server.services.events import EventBus
from convos_server.services.messages import (
    Author,
    check_files,
    insert_message,
    insert_published,
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
    message: m.Message | NewMessage
    message_json: Json
    ticket_id: int | None
    created: bool = True  # False: the channel's ``message_id`` again, the first one answered


_contacts = m.Contact.__table__.c
_conversations = m.Conversation.__table__.c
_messages = m.Message.__table__.c


def _contact_and_latest_conversation() -> Select[tuple[int, str, int | None, int | None]]:
    """The contact by ``external_id``, outer-joined to its latest conversation of ``inbox_id``:
    ``(contact_id, contact_name, conversation_id, open_ticket_id)``.

    Built once with bound parameters: SQLAlchemy then reuses the statement's cache key and
    compiled form instead of constructing both again for every message; a Core statement on
    the tables, so no model is loaded.
    """
    latest = (
        select(_conversations.id)
        .where(
            _conversations.contact_id == _contacts.id,
            _conversations.inbox_id == bindparam("inbox_id"),
        )
        .order_by(_conversations.last_message_at.desc(), _conversations.id.desc())
        .limit(1)
        .correlate(m.Contact.__table__)
        .scalar_subquery()
    )
    return (
        select(
            _contacts.id.label("contact_id"),
            _contacts.name.label("contact_name"),
            _conversations.id.label("conversation_id"),
            _conversations.open_ticket_id,
        )
        .select_from(m.Contact.__table__)
        .outerjoin(m.Conversation.__table__, _conversations.id == latest)
        .where(_contacts.external_id == bindparam("external_id"))
    )


CONTACT_AND_LATEST_CONVERSATION = _contact_and_latest_conversation()
# On PostgreSQL the conversation row locked and its open ticket read again (see ``_locked``).
_LOCKED_CONVERSATION = (
    select(_conversations.open_ticket_id)
    .where(_conversations.id == bindparam("id"))
    .with_for_update(key_share=True)  # FOR NO KEY UPDATE
)
# The same on the asyncpg connection, with the open ticket's snoozed flag (read, not locked:
# the ticket is locked where it is written, ``messages.insert_message``).
_LOCKED_CONVERSATION_PG = (
    "SELECT conversations.open_ticket_id, tickets.snoozed FROM conversations"
    " LEFT OUTER JOIN tickets ON tickets.id = conversations.open_ticket_id"
    " WHERE conversations.id = $1 FOR NO KEY UPDATE OF conversations"
)
_SENT_BY_CONTACT = select(_messages.id).where(
    _messages.sender_type == "contact",
    _messages.sender_id == bindparam("contact_id"),
    _messages.client_id == bindparam("client_id"),
)
_INSERT_CONTACT = insert(cast(Table, m.Contact.__table__)).returning(_contacts.id)
_INSERT_CONVERSATION = insert(cast(Table, m.Conversation.__table__)).returning(_conversations.id)
_SET_MESSAGE_TICKET = (
    update(cast(Table, m.Message.__table__))
    .where(_messages.id == bindparam("message_id"))
    .values(ticket_id=bindparam("ticket_id"))
)


@dataclass(slots=True)
class _Found:
    """What the transaction knows of the contact and its conversation of the inbox."""

    contact_id: int | None
    contact_name: str
    conversation_id: int | None
    open_ticket_id: int | None
    snoozed: bool = False  # the open ticket's, as ``_locked`` read it (PostgreSQL only)
    locked: bool = False  # PostgreSQL: the conversation locked and read again with the find


# ``CONTACT_AND_LATEST_CONVERSATION`` on the inline SQLite connection (``db.driver_sql``).
_FIND_SQL = (
    "SELECT contacts.id, contacts.name, conversations.id, conversations.open_ticket_id"
    " FROM contacts LEFT OUTER JOIN conversations ON conversations.id = ("
    "SELECT conversations.id FROM conversations"
    " WHERE conversations.contact_id = contacts.id AND conversations.inbox_id = ?"
    " ORDER BY conversations.last_message_at DESC, conversations.id DESC LIMIT 1)"
    " WHERE contacts.external_id = ?"
)
# On a transaction's asyncpg connection: the find and ``_locked``'s statement in one round
# trip (each costs the server ~50 us of CPU: issue 14, thirteenth round). The contact and its
# latest conversation, then that conversation locked and its open ticket and ``snoozed`` read
# as ``_LOCKED_CONVERSATION_PG`` reads them; ``here`` tells a locked row from none.
_FIND_LOCKED_PG = (
    "WITH found AS (SELECT contacts.id AS contact_id, contacts.name AS contact_name,"
    " conversations.id AS conversation_id, conversations.open_ticket_id"
    " FROM contacts LEFT OUTER JOIN conversations ON conversations.id = ("
    "SELECT conversations.id FROM conversations"
    " WHERE conversations.contact_id = contacts.id AND conversations.inbox_id = $1"
    " ORDER BY conversations.last_message_at DESC, conversations.id DESC LIMIT 1)"
    " WHERE contacts.external_id = $2),"
    " locked AS MATERIALIZED (SELECT true AS here, conversations.open_ticket_id, tickets.snoozed"
    " FROM conversations LEFT OUTER JOIN tickets ON tickets.id = conversations.open_ticket_id"
    " WHERE conversations.id = (SELECT conversation_id FROM found)"
    " FOR NO KEY UPDATE OF conversations)"
    " SELECT found.contact_id, found.contact_name, found.conversation_id,"
    " found.open_ticket_id, locked.here, locked.open_ticket_id, locked.snoozed"
    " FROM found LEFT OUTER JOIN locked ON true"
)


async def _find(session: AsyncSession, ref: ContactRef, inbox_id: int) -> _Found:
    """The contact with ``ref.external_id`` and its latest conversation of the inbox: one query
    (on a PostgreSQL driver connection with ``_locked``'s lock and read: ``_FIND_LOCKED_PG``)."""
    raw = driver_sql.current(session)
    if raw is not None:
        found = driver_sql.one(raw, _FIND_SQL, (inbox_id, ref.external_id))
        return _Found(None, "", None, None) if found is None else _Found(*found)
    if (driver := driver_sql.postgres(session)) is not None:  # a lean transaction's asyncpg
        found = await driver_sql.pg_one(driver, _FIND_LOCKED_PG, inbox_id, ref.external_id)
        if found is None:
            return _Found(None, "", None, None, locked=True)
        contact_id, name, conversation_id, open_ticket_id, here, locked_ticket_id, snoozed = found
        if here:
            return _Found(contact_id, name, conversation_id, locked_ticket_id, bool(snoozed), True)
        return _Found(contact_id, name, conversation_id, open_ticket_id, locked=True)
    parameters = {"external_id": ref.external_id, "inbox_id": inbox_id}
    connection = await session.connection()
    row = (await connection.execute(CONTACT_AND_LATEST_CONVERSATION, parameters)).first()
    driver_sql.remember(session, connection)  # PostgreSQL: its transaction has begun
    if row is None:
        return _Found(None, "", None, None)
    return _Found(row.contact_id, row.contact_name, row.conversation_id, row.open_ticket_id)


async def _locked(session: AsyncSession, found: _Found) -> None:
    """On PostgreSQL, the conversation row locked and read again, first of all it is written.

    Two messages of one customer at once then queue here instead of each holding a row the
    other wants next (the conversation, its ticket, the report rollup): a deadlock.
    SQLite serialises writers already.
    """
    if found.locked or found.conversation_id is None or driver_sql.current(session) is not None:
        return
    if (driver := driver_sql.postgres(session)) is not None:
        row = await driver_sql.pg_one(driver, _LOCKED_CONVERSATION_PG, found.conversation_id)
        if row is not None:
            found.open_ticket_id, found.snoozed = row[0], bool(row[1])
        return
    connection = await session.connection()
    if connection.dialect.name != "postgresql":
        return
    locked = await connection.execute(_LOCKED_CONVERSATION, {"id": found.conversation_id})
    row = locked.first()
    if row is not None:
        found.open_ticket_id = row.open_ticket_id


async def _new_contact(connection: AsyncConnection, ref: ContactRef) -> tuple[int, str]:
    name = ref.name or ref.phone or ref.external_id
    values: dict[str, object] = {
        "name": name,
        "phone": ref.phone,
        "email": ref.email,
        "external_id": ref.external_id,
        "custom": {},
    }
    return int((await connection.execute(_INSERT_CONTACT, values)).scalar_one()), name


async def _repeated(
    session: AsyncSession, contact_id: int, message_id: str
) -> IngressResult | None:
    """The answer to a message the contact's channel sent before with ``message_id``."""
    parameters = {"contact_id": contact_id, "client_id": message_id}
    stored_id = await session.scalar(_SENT_BY_CONTACT, parameters)
    if stored_id is None:
        return None
    stored = await session.get(m.Message, stored_id)
    assert stored is not None
    ticket_id = await session.scalar(
        select(m.Conversation.open_ticket_id).where(m.Conversation.id == stored.conversation_id)
    )
    data = await load_message(session, stored)
    return IngressResult(stored.conversation_id, stored, data, ticket_id, created=False)


async def receive_customer_message(
    session: AsyncSession,
    bus: EventBus,
    inbox: m.Inbox | InboxKey,
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

    The contact, conversation and message are read and written with hand-written SQL on the
    transaction's driver connection (``db.driver_sql``; Core statements built once where there
    is none), no models; opening a ticket and waking a snoozed one use the models as before.
    """
    if not inbox.active:
        raise ApiError(409, "inbox_inactive", "The inbox is deactivated: it takes no messages")
    if not text.strip() and not file_ids:
        raise invalid("A message needs text or a file", "text")
    if not contact_ref.external_id.strip():
        raise invalid("The contact needs an external_id", "contact.external_id")
    await check_files(session, file_ids)
    found = await _find(session, contact_ref, inbox.id)
    if found.contact_id is not None and message_id is not None:
        repeated = await _repeated(session, found.contact_id, message_id)
        if repeated is not None:
            return repeated
    await _locked(session, found)
    if found.snoozed or (handoff and found.open_ticket_id is None):
        # Waking the ticket or opening one needs the ORM: give up before a message id is
        # taken from the sequence.
        needs_session(session, "a snoozed ticket or a ticket to open")
    if found.contact_id is None:
        connection = await session.connection()
        found.contact_id, found.contact_name = await _new_contact(connection, contact_ref)
    if found.conversation_id is None:
        connection = await session.connection()
        values = {"contact_id": found.contact_id, "inbox_id": inbox.id, "origin": "chatbot"}
        found.conversation_id = int(
            (await connection.execute(_INSERT_CONVERSATION, values)).scalar_one()
        )
    author = Author("contact", found.contact_id, found.contact_name)
    if not file_ids:  # a lean PostgreSQL transaction: the message and its event at once
        published = await insert_published(
            session,
            found.conversation_id,
            found.open_ticket_id,
            author,
            "in",
            text,
            inbox.id,
            client_id=message_id,
        )
        if published is not None:
            message, data = published
            return IngressResult(found.conversation_id, message, data, found.open_ticket_id)
    message, snoozed = await insert_message(
        session,
        found.conversation_id,
        found.open_ticket_id,
        author,
        "in",
        text,
        client_id=message_id,
        file_ids=file_ids,
        learn_snoozed=True,
    )
    if snoozed:
        await wake_on_reply(session, bus, found.open_ticket_id)
    data = await load_new_message(session, message, file_ids)
    wants_ticket = handoff and found.open_ticket_id is None
    if wants_ticket and await open_ticket_of_contact(session, found.contact_id) is None:
        conversation = await session.get(m.Conversation, found.conversation_id)
        assert conversation is not None
        # The message is the conversation's last one, still without a ticket: as stored.
        ticket = await open_ticket(session, bus, conversation, last_message=data)
        found.open_ticket_id = message.ticket_id = ticket.id
        data = {**data, "ticket_id": ticket.id}
        await session.execute(
            _SET_MESSAGE_TICKET, {"message_id": message.id, "ticket_id": ticket.id}
        )
    await bus.publish(session, "message.created", {"message": data}, inbox_id=inbox.id)
    return IngressResult(found.conversation_id, message, data, found.open_ticket_id)


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
