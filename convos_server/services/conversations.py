"""Conversation history: the filtered list (newest first) and message pages."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from convos_server.db import models as m
from convos_server.errors import invalid
from convos_server.services.paging import (
    clamp_limit,
    decode_cursor,
    decode_offset_cursor,
    encode_cursor,
    encode_offset_cursor,
)
from convos_server.services.search import TextMatch, text_match
from convos_server.services.tickets import count_capped
from convos_server.services.visibility import Visibility

ORIGINS = ("chatbot", "agent", "campaign_mass", "campaign_transactional")


@dataclass(frozen=True, slots=True)
class ConversationFilter:
    """The filters of ``GET /conversations``."""

    q: str | None = None
    origin: str | None = None
    inbox_id: int | None = None
    contact_id: int | None = None
    agent_id: int | None = None
    created_from: dt.datetime | None = None
    created_to: dt.datetime | None = None


class ConversationSort(StrEnum):
    """The orders of ``GET /conversations``."""

    ACTIVITY = "activity"
    CREATED = "created"
    CONTACT = "contact"
    INBOX = "inbox"
    ORIGIN = "origin"


def conversation_query(
    visibility: Visibility, flt: ConversationFilter, text: TextMatch | None
) -> Select[m.Conversation]:
    """The SELECT of ``GET /conversations`` (without ordering and paging); ``text`` is how
    ``flt.q`` is matched."""
    conversation = m.Conversation
    query = select(conversation).where(visibility.inbox_filter(conversation.inbox_id))
    if flt.origin is not None:
        if flt.origin not in ORIGINS:
            raise invalid(f"origin must be one of {', '.join(ORIGINS)}", "origin")
        query = query.where(conversation.origin == flt.origin)
    if flt.inbox_id is not None:
        query = query.where(conversation.inbox_id == flt.inbox_id)
    if flt.contact_id is not None:
        query = query.where(conversation.contact_id == flt.contact_id)
    if flt.agent_id is not None:
        handled = select(m.Ticket.conversation_id).where(m.Ticket.assignee_id == flt.agent_id)
        query = query.where(conversation.id.in_(handled))
    if flt.created_from is not None:
        query = query.where(conversation.created_at >= flt.created_from)
    if flt.created_to is not None:
        query = query.where(conversation.created_at < flt.created_to)
    if text is not None:
        query = query.where(text.condition(conversation.contact_id, conversation.id))
    return query


def _sort_key(sort: ConversationSort) -> ColumnElement[Any]:
    conversation = m.Conversation
    if sort == ConversationSort.CREATED:
        return conversation.created_at.expression
    if sort == ConversationSort.ORIGIN:
        return conversation.origin.expression
    if sort == ConversationSort.CONTACT:
        name = select(m.Contact.name).where(m.Contact.id == conversation.contact_id)
    else:
        name = select(m.Inbox.name).where(m.Inbox.id == conversation.inbox_id)
    return func.lower(name.scalar_subquery())


async def count_conversations(
    session: AsyncSession, visibility: Visibility, flt: ConversationFilter
) -> tuple[int, bool]:
    """How many conversations match ``flt`` up to ``COUNT_CAP``, and whether there are more."""
    text = await text_match(session, flt.q)
    return await count_capped(
        session, conversation_query(visibility, flt, text).with_only_columns(m.Conversation.id)
    )


async def list_conversations(
    session: AsyncSession,
    visibility: Visibility,
    flt: ConversationFilter,
    cursor: str | None,
    limit: int | None,
    sort: ConversationSort = ConversationSort.ACTIVITY,
    descending: bool = True,
) -> tuple[list[m.Conversation], str | None]:
    """One page of conversations in the chosen order, and the next cursor.

    Newest activity first pages by keyset; any other order by position (see tickets).
    """
    size = clamp_limit(limit)
    query = conversation_query(visibility, flt, await text_match(session, flt.q))
    if sort != ConversationSort.ACTIVITY or not descending:
        offset = decode_offset_cursor(cursor) if cursor else 0
        key = (
            m.Conversation.last_message_at.expression
            if sort == ConversationSort.ACTIVITY
            else _sort_key(sort)
        )
        direction = key.desc() if descending else key.asc()
        tie = m.Conversation.id.desc() if descending else m.Conversation.id.asc()
        query = query.order_by(key.is_(None), direction, tie).offset(offset).limit(size + 1)
        rows = list(await session.scalars(query))
        more = len(rows) > size
        return rows[:size], encode_offset_cursor(offset + size) if more else None
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
