"""Conversation history, message pages, sending messages and reactions."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, Field
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import State

from convos_server.api.deps import AgentDep, BusDep, DbDep, LiveDep
from convos_server.api.params import Day, Emoji, Id, Position
from convos_server.api.responses import errors
from convos_server.db import models as m
from convos_server.db.engine import Database
from convos_server.db.lean import NeedsSession
from convos_server.db.retry import retried
from convos_server.serialize import (
    LastMessage,
    contacts_of,
    load_conversations,
    load_message,
    load_messages,
)
from convos_server.services import conversations, messages
from convos_server.services.events import EventBus
from convos_server.services.live import LiveState
from convos_server.services.token_cache import scope_cache_of_class
from convos_server.services.visibility import cached_scope, visibility_for

router = APIRouter(tags=["conversations"])

Origin = Literal["chatbot", "agent", "campaign_mass", "campaign_transactional"]


@router.get("/conversations")
async def list_conversations(
    agent: AgentDep,
    db: DbDep,
    q: Annotated[str | None, Query(max_length=200)] = None,
    origin: Origin | None = None,
    inbox: Id | None = None,
    contact: Id | None = None,
    assignee: Id | None = None,
    from_: Annotated[Day | None, Query(alias="from")] = None,
    to: Day | None = None,
    sort: conversations.ConversationSort = conversations.ConversationSort.ACTIVITY,
    order: Literal["desc", "asc"] = "desc",
    count: bool = False,
    include: Literal["contacts"] | None = None,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int | None, Query(ge=1, le=200)] = None,
    last_message: LastMessage = "full",
) -> dict[str, Any]:
    """``Page<Conversation>`` in the chosen order (newest activity first by default);
    ``last_message`` as for tickets (the history's preview needs only ``brief``)."""
    flt = conversations.ConversationFilter(
        q=q,
        origin=origin,
        inbox_id=inbox,
        contact_id=contact,
        agent_id=assignee,
        created_from=_day_start(from_) if from_ else None,
        created_to=_day_start(to + dt.timedelta(days=1)) if to else None,
    )
    # A text search or a count reads more rows the more there are: not on the loop.
    async with db.sessionmaker() if count or q else db.read() as session:
        visibility = await visibility_for(session, agent)
        rows, next_cursor = await conversations.list_conversations(
            session, visibility, flt, cursor, limit, sort, order == "desc"
        )
        page: dict[str, Any] = {
            "items": await load_conversations(session, rows, last_message=last_message),
            "next_cursor": next_cursor,
        }
        if count:
            total = await conversations.count_conversations(session, visibility, flt)
            page["total"], page["total_capped"] = total
        if include == "contacts":
            page["contacts"] = await contacts_of(session, {c.contact_id for c in rows})
        return page


def _day_start(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC)


@router.get("/conversations/{conversation_id}")
async def get_conversation(conversation_id: Id, agent: AgentDep, db: DbDep) -> dict[str, Any]:
    """One Conversation."""
    async with db.read() as session:
        visibility = await visibility_for(session, agent)
        conversation = await messages.visible_conversation(session, visibility, conversation_id)
        return (await load_conversations(session, [conversation]))[0]


@router.get("/conversations/{conversation_id}/messages")
async def list_messages(
    conversation_id: Id,
    agent: AgentDep,
    db: DbDep,
    before: Position | None = None,
    after: Position | None = None,
    limit: Annotated[int | None, Query(ge=1, le=200)] = None,
) -> dict[str, Any]:
    """``{items: [Message] oldest first, has_more}``."""
    async with db.read() as session:
        visibility = await visibility_for(session, agent)
        await messages.visible_conversation(session, visibility, conversation_id)
        rows, has_more = await conversations.message_page(
            session, conversation_id, before, after, limit
        )
        return {"items": await load_messages(session, rows), "has_more": has_more}


class SendBody(BaseModel):
    """``POST /conversations/{id}/messages``."""

    client_id: str = Field(min_length=1, max_length=64)
    kind: Literal["text", "note"] = "text"
    body: str = Field(default="", max_length=10_000)
    reply_to: Id | None = None
    file_ids: list[Id] = Field(default_factory=list, max_length=10)
    seen_message_id: Position | None = None
    force: bool = False


@router.post(
    "/conversations/{conversation_id}/messages", status_code=201, responses=errors(403, 409)
)
async def send_message(
    conversation_id: Id,
    body: SendBody,
    request: Request,
    response: Response,
    agent: AgentDep,
) -> dict[str, Any]:
    """Send a text or note: 201 Message, or 200 with the first one for a used ``client_id``;
    the sender no longer types in the conversation.

    The same ``client_id`` at the same moment on two server processes: the later commit breaks
    the unique constraint, and its transaction run again finds the first message (200); a
    PostgreSQL deadlock with another transaction is run again too (``db.retry``).
    """
    data, created = await send_agent_reply(request.app.state, agent, conversation_id, body)
    response.status_code = 201 if created else 200
    return data


async def send_agent_reply(
    state: State, agent: m.Agent, conversation_id: int, body: SendBody
) -> tuple[dict[str, Any], bool]:
    """``send_message``'s work, committed: ``(answer, created)`` (``api.hot_writes`` answers
    with it too); the event reader woken when the message is new, the sender no longer
    typing."""
    # The collaborators straight from app.state, not as dependencies: each one FastAPI solves
    # costs every reply (issue 14).
    db: Database = state.db
    bus: EventBus = state.bus
    live: LiveState = state.live

    async def send_in(session: AsyncSession) -> tuple[dict[str, Any], bool]:
        return await messages.send_agent_message(
            session,
            bus,
            agent,
            await visibility_for(session, agent),
            conversation_id,
            client_id=body.client_id,
            kind=body.kind,
            body=body.body,
            reply_to=body.reply_to,
            file_ids=body.file_ids,
            seen_message_id=body.seen_message_id,
            force=body.force,
        )

    # Without a session when the reply needs none (``db.lean``: the scope read from the
    # cache, which a lean transaction cannot change); a used ``client_id``, a note, the
    # ticket's first response...: the ORM's transaction. The scope not cached: read into the
    # cache first (a lean attempt would be given up at once without it).
    lean_first = await scope_cached(db, agent)
    if lean_first and db.is_postgres:
        at_once = await _reply_at_once(db, agent, conversation_id, body)
        if at_once is not None:
            bus.wake()
            live.sent(agent.id, conversation_id)
            return at_once, True
    data, created = await retried(lambda: db.write(send_in, lean_first=lean_first))
    if created:
        bus.wake()
    live.sent(agent.id, conversation_id)
    return data, created


async def _reply_at_once(
    db: Database, agent: m.Agent, conversation_id: int, body: SendBody
) -> dict[str, Any] | None:
    """PostgreSQL: a plain text reply in one statement outside any transaction
    (``messages.reply_at_once``): its answer, or ``None`` when it was not written there (a
    rule that did not hold, an error of its statement: nothing committed) and the reply runs
    as before, which answers it (issue 14, sixteenth round)."""
    if not messages.may_reply_at_once(agent, body.kind, body.body, body.reply_to, body.file_ids):
        return None
    try:
        async with db.autocommit() as session:
            visibility = await visibility_for(session, agent)
            seen = None if body.force else body.seen_message_id
            return await messages.reply_at_once(
                session, agent, visibility, conversation_id, body.client_id, body.body, seen
            )
    except (DBAPIError, NeedsSession):  # e.g. a ``client_id`` committed meanwhile
        return None


async def scope_cached(db: Database, agent: m.Agent) -> bool:
    """Whether the agent's scope is in the cache (what a lean transaction reads), after
    reading it into the cache in a read session when it was not and ``db`` has lean
    transactions: the cache drops an agent's scope at each of its heartbeats and after a few
    seconds, and such a reply ran in an ORM transaction (issue 14, fifteenth round)."""
    cache = scope_cache_of_class(db.session_class)
    if cached_scope(cache, agent) is not None:
        return True
    if cache is None or not db.has_lean:
        return False
    async with db.read() as session:
        await visibility_for(session, agent)
    return cached_scope(cache, agent) is not None


class ViewingBody(BaseModel):
    """``PUT /conversations/{id}/viewing``."""

    viewing: bool = True


class TypingBody(BaseModel):
    """``PUT /conversations/{id}/typing``: ``kind`` null means stopped."""

    kind: Literal["text", "note"] | None = None


async def _visible_inbox(db: DbDep, agent: AgentDep, conversation_id: int) -> int:
    async with db.read() as session:
        visibility = await visibility_for(session, agent)
        conversation = await messages.visible_conversation(session, visibility, conversation_id)
        return conversation.inbox_id


@router.put("/conversations/{conversation_id}/viewing")
async def set_viewing(
    conversation_id: Id, body: ViewingBody, agent: AgentDep, db: DbDep, live: LiveDep
) -> dict[str, Any]:
    """The caller views the conversation (heartbeat) or left it: ``{viewers}`` of now."""
    inbox_id = await _visible_inbox(db, agent, conversation_id)
    live.view(agent.id, conversation_id, inbox_id, body.viewing)
    return {"viewers": live.viewers(conversation_id)}


@router.put("/conversations/{conversation_id}/typing", status_code=204)
async def set_typing(
    conversation_id: Id, body: TypingBody, agent: AgentDep, db: DbDep, live: LiveDep
) -> Response:
    """The caller types a reply or a note in the conversation (repeat it), or stopped.

    A viewer's call is answered from memory (checked at its last viewing heartbeat)."""
    inbox_id = live.viewer_inbox(agent.id, conversation_id)
    if inbox_id is None:
        inbox_id = await _visible_inbox(db, agent, conversation_id)
    live.type(agent.id, conversation_id, inbox_id, body.kind)
    return Response(status_code=204)


async def _react(
    message_id: Id, emoji: str, agent: AgentDep, db: DbDep, bus: BusDep, *, present: bool
) -> dict[str, Any]:
    async with db.transaction() as session:
        visibility = await visibility_for(session, agent)
        message = await messages.set_reaction(
            session, bus, agent, visibility, message_id, emoji, present=present
        )
        data = await load_message(session, message)
    bus.wake()
    return data


@router.put("/messages/{message_id}/reactions/{emoji}", responses=errors(409))
async def add_reaction(
    message_id: Id, emoji: Emoji, agent: AgentDep, db: DbDep, bus: BusDep
) -> dict[str, Any]:
    """Add the caller's reaction; returns the Message."""
    return await _react(message_id, emoji, agent, db, bus, present=True)


@router.delete("/messages/{message_id}/reactions/{emoji}", responses=errors(409))
async def remove_reaction(
    message_id: Id, emoji: Emoji, agent: AgentDep, db: DbDep, bus: BusDep
) -> dict[str, Any]:
    """Remove the caller's reaction; returns the Message."""
    return await _react(message_id, emoji, agent, db, bus, present=False)
