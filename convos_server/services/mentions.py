"""Mentions: a note naming a colleague with ``@name`` notifies that colleague.

The server finds the mentions in the note's text (``@`` + an active agent's name, any case,
not followed by a letter or digit), so no client can mention someone by id without writing
the name. A colleague who may not see the conversation's inbox is not mentioned (the note
would tell them nothing they may open). Each mention is stored with its read state and sent
to the mentioned agent only (``mention.created``, then ``mention.updated`` when read).
"""

from __future__ import annotations

import re

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from convos_server.db import models as m
from convos_server.errors import not_found
from convos_server.serialize import Json, NewMessage, iso, load_messages
from convos_server.services.events import EventBus
from convos_server.services.visibility import Visibility, visibility_map

DEFAULT_PAGE = 50


def may_mention(body: str) -> bool:
    """Whether ``body`` can name anyone (an ``@``): only then are the agents read."""
    return "@" in body


def mentioned_names(body: str, names: dict[int, str]) -> list[int]:
    """The ids of ``names`` (``{agent_id: name}``) written as ``@name`` in ``body``."""
    found = []
    for agent_id, name in names.items():
        if name and re.search(rf"@{re.escape(name)}(?!\w)", body, re.IGNORECASE):
            found.append(agent_id)
    return sorted(found)


async def create_for_note(
    session: AsyncSession,
    bus: EventBus,
    note: m.Message | NewMessage,
    inbox_id: int,
    author: m.Agent,
) -> list[int]:
    """Store and publish the mentions of a new note; the mentioned agents' ids."""
    if not may_mention(note.body):
        return []
    rows = await session.execute(
        select(m.Agent.id, m.Agent.name, m.Agent.role).where(
            m.Agent.active.is_(True), m.Agent.id != author.id
        )
    )
    agents = {agent_id: (name, role) for agent_id, name, role in rows}
    ids = mentioned_names(note.body, {a: name for a, (name, _role) in agents.items()})
    if not ids:
        return []
    visible = await visibility_map(session, {a: agents[a][1] == "admin" for a in ids})
    ids = [a for a in ids if visible[a].sees_inbox(inbox_id)]
    mentions = [
        m.Mention(
            agent_id=agent_id,
            message_id=note.id,
            conversation_id=note.conversation_id,
            by_agent_id=author.id,
            created_at=note.created_at,
        )
        for agent_id in ids
    ]
    session.add_all(mentions)
    await session.flush()
    for data, mention in zip(await load_mentions(session, mentions), mentions, strict=True):
        await bus.publish(session, "mention.created", {"mention": data}, agent_id=mention.agent_id)
    return ids


async def load_mentions(session: AsyncSession, mentions: list[m.Mention]) -> list[Json]:
    """Mention JSON: the note, its conversation, contact and ticket, who wrote it, the read
    state."""
    notes = {
        n.id: n
        for n in await session.scalars(
            select(m.Message).where(m.Message.id.in_({x.message_id for x in mentions}))
        )
    }
    by_id = {
        d["id"]: d for d in await load_messages(session, [notes[x.message_id] for x in mentions])
    }
    contacts = await _contacts_of(session, {x.conversation_id for x in mentions})
    return [
        {
            "id": x.id,
            "agent_id": x.agent_id,
            "conversation_id": x.conversation_id,
            "contact": contacts[x.conversation_id],
            "ticket_id": notes[x.message_id].ticket_id,
            "by_agent_id": x.by_agent_id,
            "message": by_id[x.message_id],
            "created_at": iso(x.created_at),
            "read_at": iso(x.read_at),
        }
        for x in mentions
    ]


async def _contacts_of(session: AsyncSession, conversation_ids: set[int]) -> dict[int, Json]:
    """Each conversation's contact, ``{id, name}`` (who the note is about)."""
    rows = await session.execute(
        select(m.Conversation.id, m.Contact.id, m.Contact.name)
        .join(m.Contact, m.Contact.id == m.Conversation.contact_id)
        .where(m.Conversation.id.in_(conversation_ids))
    )
    return {conversation: {"id": contact, "name": name} for conversation, contact, name in rows}


async def list_mentions(
    session: AsyncSession,
    visibility: Visibility,
    *,
    unread_only: bool,
    before: int | None,
    limit: int | None,
) -> tuple[list[Json], int, bool]:
    """The agent's mentions newest first: ``(items, unread count, has_more)``."""
    mine = (
        m.Mention.agent_id == visibility.agent_id,
        m.Mention.conversation_id.in_(
            select(m.Conversation.id).where(visibility.inbox_filter(m.Conversation.inbox_id))
        ),
    )
    query = select(m.Mention).where(*mine)
    if unread_only:
        query = query.where(m.Mention.read_at.is_(None))
    if before is not None:
        query = query.where(m.Mention.id < before)
    size = limit or DEFAULT_PAGE
    rows = list(await session.scalars(query.order_by(m.Mention.id.desc()).limit(size + 1)))
    unread = await session.scalar(
        select(func.count()).select_from(m.Mention).where(*mine, m.Mention.read_at.is_(None))
    )
    return await load_mentions(session, rows[:size]), int(unread or 0), len(rows) > size


async def mark_read(
    session: AsyncSession, bus: EventBus, visibility: Visibility, mention_id: int
) -> Json:
    """Mark one of the agent's mentions read (idempotent); ``mention.updated`` on a change."""
    mention = await session.get(m.Mention, mention_id)
    if mention is None or mention.agent_id != visibility.agent_id:
        raise not_found("mention")
    conversation = await session.get(m.Conversation, mention.conversation_id)
    if conversation is None or not visibility.sees_inbox(conversation.inbox_id):
        raise not_found("mention")
    changed = mention.read_at is None
    if changed:
        mention.read_at = m.utcnow()
        await session.flush()
    data = (await load_mentions(session, [mention]))[0]
    if changed:
        await bus.publish(session, "mention.updated", {"mention": data}, agent_id=mention.agent_id)
    return data
