"""Message search across the workspace, limited to the conversations the agent may see."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from sqlalchemy import select

from convos_server.api.deps import AgentDep, DbDep
from convos_server.db import models as m
from convos_server.serialize import contacts_of, load_conversations, load_messages
from convos_server.services import search
from convos_server.services.visibility import visibility_for

router = APIRouter(tags=["search"])


@router.get("/search/messages")
async def search_messages(
    agent: AgentDep,
    db: DbDep,
    q: Annotated[str, Query(min_length=1, max_length=200, pattern=r"\S")],
    cursor: Annotated[str | None, Query(max_length=40)] = None,
    limit: Annotated[int | None, Query(ge=1, le=200)] = None,
) -> dict[str, Any]:
    """``{items: [Message] newest first, conversations, contacts, next_cursor}``.

    A case-insensitive literal substring match on the message text; system lines are left
    out; only conversations of inboxes the caller sees (admins: all).
    """
    async with db.sessionmaker() as session:
        visibility = await visibility_for(session, agent)
        rows, next_cursor = await search.search_messages(session, visibility, q, cursor, limit)
        conversation_ids = {row.conversation_id for row in rows}
        conversations = (
            list(
                await session.scalars(
                    select(m.Conversation).where(m.Conversation.id.in_(conversation_ids))
                )
            )
            if conversation_ids
            else []
        )
        return {
            "items": await load_messages(session, rows),
            "conversations": await load_conversations(session, conversations),
            "contacts": await contacts_of(session, {c.contact_id for c in conversations}),
            "next_cursor": next_cursor,
        }
