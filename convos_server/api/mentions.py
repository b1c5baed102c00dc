"""``GET /mentions`` and ``POST /mentions/{id}/read``: the caller's ``@name`` mentions."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from convos_server.api.deps import AgentDep, BusDep, DbDep
from convos_server.api.params import Id, Position
from convos_server.services import mentions
from convos_server.services.visibility import visibility_for

router = APIRouter(tags=["mentions"])


@router.get("/mentions")
async def list_mentions(
    agent: AgentDep,
    db: DbDep,
    unread: bool = False,
    before: Position | None = None,
    limit: Annotated[int | None, Query(ge=1, le=200)] = None,
) -> dict[str, Any]:
    """``{items: [Mention] newest first, unread: int, has_more}``."""
    async with db.sessionmaker() as session:
        visibility = await visibility_for(session, agent)
        items, unread_count, has_more = await mentions.list_mentions(
            session, visibility, unread_only=unread, before=before, limit=limit
        )
    return {"items": items, "unread": unread_count, "has_more": has_more}


@router.post("/mentions/{mention_id}/read")
async def read_mention(mention_id: Id, agent: AgentDep, db: DbDep, bus: BusDep) -> dict[str, Any]:
    """Mark the mention read; the Mention."""
    async with db.transaction() as session:
        visibility = await visibility_for(session, agent)
        data = await mentions.mark_read(session, bus, visibility, mention_id)
    bus.wake()
    return data
