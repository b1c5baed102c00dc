"""Publishing ticket changes and writing the contact activity feed that goes with them."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from convos_server.db import models as m
from convos_server.serialize import Json, contact_json, load_ticket, ticket_json
from convos_server.services.events import EventBus
from convos_server.services.system_kinds import SystemText


async def publish_ticket(
    session: AsyncSession,
    bus: EventBus,
    ticket: m.Ticket,
    type_: str,
    changed: Sequence[str],
    *,
    new_last_message: Json | None = None,
) -> None:
    """Emit ``ticket.created``/``ticket.updated`` with the ticket and its contact.

    ``new_last_message``: a ticket just opened, whose conversation's last message is this
    one (its JSON as it is stored now): the ticket is formatted without reading it again,
    and without labels (a new ticket has none).
    """
    contact = await session.get(m.Contact, ticket.contact_id)
    assert contact is not None
    ticket_data = (
        await load_ticket(session, ticket)
        if new_last_message is None
        else ticket_json(ticket, new_last_message)
    )
    data = {
        "ticket": ticket_data,
        "contact": contact_json(contact),
        "changed": list(changed),
    }
    await bus.publish(session, type_, data, inbox_id=ticket.inbox_id)


def add_activity(
    session: AsyncSession,
    contact_id: int,
    what: SystemText,
    *,
    agent_id: int | None = None,
    ticket_id: int | None = None,
) -> None:
    """Append an entry to a contact's activity feed: ``what``'s kind, params and English text."""
    session.add(
        m.Activity(
            contact_id=contact_id,
            kind=what.kind,
            params=what.params,
            text=what.text,
            agent_id=agent_id,
            ticket_id=ticket_id,
        )
    )
