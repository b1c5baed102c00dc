"""Conversation history: the filtered list (newest first) and message pages."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from convos_server.db import models as m
from convos_server.errors import invalid
from convos_server.services.paging import clamp_limit, decode_cursor, encode_cursor
from convos_server.services.tickets import text_match
from convos_server.services.visibility import Visibility

ORIGINS = ("chatbot", "agent", "campaign_mass", "campaign_transactional")


@dataclass(frozen=True, slots=True)
class ConversationFilter:
    """The filters of ``GET /conversations``."""

    q: str | None = None
    origin: str | None = None
    inbox_id: int | None = None
    contact_id: int | None = None


async def list_conversations(
    session: AsyncSession,
    visibility: Visibility,
    flt: ConversationFilter,
    cursor: str | None,
    limit: int | None,
) -> tuple[list[m.Conversation], str | None]:
    """One page of conversations, newest activity first, and the next cursor."""
    size = clamp_limit(limit)
    query = select(m.Conversation).where(visibility.inbox_filter(m.Conversation.inbox_id))
    if flt.origin is not None:
        if flt.origin not in ORIGINS:
            raise invalid(f"origin must be one of {', '.join(ORIGINS)}", "origin")
        query = query.where(m.Conversation.origin == flt.origin)
    if flt.inbox_id is not None:
        query = query.where(m.Conversation.inbox_id == flt.inbox_id)
    if flt.contact_id is not None:
        query = query.where(m.Conversation.contact_id == flt.contact_id)
    if flt.q and flt.q.strip():
        contacts, conversations = text_match(flt.q)
        query = query.where(
            or_(m.Conversation.contact_id.in_(contacts), m.Conversation.id.in_(conversations))
        )
    if cursor:
        moment, row_id = decode_cursor(cursor)
        query = query.where(
            or_(
                m.Conversation.last_message_at < moment,
                and_(m.Conversation.last_message_at == moment, m.Conversation.id < row_id),
            )
        )
    query = query.order_by(m.Conversation.last_message_at.desc(), m.Conversation.id.desc())
    rows = list(await session.scalars(query.limit(size + 1)))
    if len(rows) > size:
        rows = rows[:size]
        return rows, encode_cursor(rows[-1].last_message_at, rows[-1].id)
    return rows, None


async def message_page(
    session: AsyncSession,
    conversation_id: int,
    before: int | None,
    after: int | None,
    limit: int | None,
) -> tuple[list[m.Message], bool]:
    """``limit`` messages oldest first: the newest before ``before`` (or the oldest after
    ``after``); and whether more exist in that direction."""
    size = clamp_limit(limit)
    query = select(m.Message).where(m.Message.conversation_id == conversation_id)
    if before is not None:
        query = query.where(m.Message.id < before)
    if after is not None:
        query = query.where(m.Message.id > after)
        rows = list(await session.scalars(query.order_by(m.Message.id).limit(size + 1)))
        return rows[:size], len(rows) > size
    rows = list(await session.scalars(query.order_by(m.Message.id.desc()).limit(size + 1)))
    has_more = len(rows) > size
    return list(reversed(rows[:size])), has_more
