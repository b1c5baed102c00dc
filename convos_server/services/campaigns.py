"""Campaigns: one conversation per contact with a single outgoing message and no ticket."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from convos_server.db import models as m
from convos_server.errors import invalid
from convos_server.services.events import EventBus
from convos_server.services.messages import agent_author, append_message, publish_new_message

KINDS = {"mass": "campaign_mass", "transactional": "campaign_transactional"}
MAX_CONTACTS = 10_000


async def send_campaign(
    session: AsyncSession,
    bus: EventBus,
    sender: m.Agent,
    kind: str,
    inbox_id: int,
    contact_ids: Sequence[int],
    text: str,
    name: str | None = None,
) -> list[int]:
    """Start one campaign conversation per contact; their ids in ``contact_ids`` order."""
    origin = KINDS.get(kind)
    if origin is None:
        raise invalid("kind must be mass or transactional", "kind")
    if await session.get(m.Inbox, inbox_id) is None:
        raise invalid("No such inbox", "inbox_id")
    if not text.strip():
        raise invalid("The campaign text must not be empty", "text")
    unique_ids = list(dict.fromkeys(contact_ids))
    if not unique_ids or len(unique_ids) > MAX_CONTACTS:
        raise invalid(f"Give 1 to {MAX_CONTACTS} contacts", "contact_ids")
    found = set(await session.scalars(select(m.Contact.id).where(m.Contact.id.in_(unique_ids))))
    missing = [contact_id for contact_id in unique_ids if contact_id not in found]
    if missing:
        raise invalid(f"No such contacts: {missing[:10]}", "contact_ids")
    conversation_ids = []
    for contact_id in unique_ids:
        conversation = m.Conversation(
            contact_id=contact_id, inbox_id=inbox_id, origin=origin, campaign=name
        )
        session.add(conversation)
        await session.flush()
        message = await append_message(session, conversation, agent_author(sender), "out", text)
        await publish_new_message(session, bus, message, inbox_id)
        conversation_ids.append(conversation.id)
    return conversation_ids
