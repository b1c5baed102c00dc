"""Ticket life cycle: open (hand-off or agent), assign, unassign, close, reopen; listing.

Every transition writes a ``system`` message, a contact activity and a ``ticket.*`` event in
the caller's transaction. Transitions by an agent need it online or busy (the online rule).
"""

from __future__ import annotations

import collections
import datetime as dt
import logging
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, bindparam, false, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from convos_server.db import models as m
from convos_server.errors import ApiError, forbidden, invalid, not_found
from convos_server.serialize import AnyRow, Json, LastMessage, decoder_for, item_select
from convos_server.services import system_kinds as kinds
from convos_server.services.assignment import check_capacity, pick_assignee
from convos_server.services.contacts import visible_contact_filter
from convos_server.services.events import EventBus
from convos_server.services.files import require_attachable
from convos_server.services.messages import (
    add_system_message,
    agent_author,
    append_message,
    check_files,
    find_by_client_id,
    publish_new_message,
)
from convos_server.services.paging import (
    clamp_limit,
    decode_cursor,
    decode_offset_cursor,
    encode_cursor,
    encode_offset_cursor,
)
from convos_server.services.presence import require_working
from convos_server.services.report_rollup import Snapshot, update_rollup
from convos_server.services.search import TextMatch, text_match
from convos_server.services.ticket_events import add_activity, publish_ticket
from convos_server.services.visibility import Visibility, require_inbox, visibility_for

log = logging.getLogger("convos.tickets")

VIEWS = ("mine", "unassigned", "all", "snoozed")
# the history screens' counts stop here: counting every match must not dominate the first page
COUNT_CAP = 10_000


def ticket_closed_error() -> ApiError:
    """409 ``ticket_closed``."""
    return ApiError(409, "ticket_closed", "The ticket is closed")


async def open_ticket_of_contact(session: AsyncSession, contact_id: int) -> m.Ticket | None:
    """The contact's open ticket, if it has one."""
    return await session.scalar(
        select(m.Ticket).where(m.Ticket.contact_id == contact_id, m.Ticket.status == "open")
    )


async def require_no_open_ticket(session: AsyncSession, contact_id: int) -> None:
    """409 ``open_ticket_exists`` (with ``ticket_id``) when the contact has an open ticket."""
    existing = await open_ticket_of_contact(session, contact_id)
    if existing is not None:
        raise ApiError(
            409,
            "open_ticket_exists",
            "The contact already has an open ticket",
            ticket_id=existing.id,
            assignee_id=existing.assignee_id,
            inbox_id=existing.inbox_id,
        )


# A ticket's conversation row-locked (FOR NO KEY UPDATE) before the ticket: the order a
# customer message takes (``ingress``: its conversation, then the ticket's ``UPDATE``), and a
# reply (``messages``). A ticket action that locked the ticket first and then wrote the
# conversation (its system message) deadlocked with a customer message in the same
# conversation: PostgreSQL aborted one of them after its 1 s ``deadlock_timeout``.
_LOCK_CONVERSATION_OF_TICKET = (
    select(m.Conversation.id)
    .where(
        m.Conversation.id
        == select(m.Ticket.conversation_id)
        .where(m.Ticket.id == bindparam("ticket_id"))
        .scalar_subquery()
    )
    .with_for_update(key_share=True)
)


async def locked_ticket(session: AsyncSession, ticket_id: int) -> m.Ticket | None:
    """The ticket row-locked ``FOR UPDATE``, on PostgreSQL after its conversation's row (see
    ``_LOCK_CONVERSATION_OF_TICKET``; SQLite has no row locks)."""
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(_LOCK_CONVERSATION_OF_TICKET, {"ticket_id": ticket_id})
    return await session.get(m.Ticket, ticket_id, with_for_update=True)


async def visible_ticket(
    session: AsyncSession, visibility: Visibility, ticket_id: int, *, for_update: bool = False
) -> m.Ticket:
    """A ticket the agent may see (row-locked with ``for_update``, after its conversation:
    ``locked_ticket``); 404 otherwise."""
    if for_update:
        ticket = await locked_ticket(session, ticket_id)
    else:
        ticket = await session.get(m.Ticket, ticket_id)
    if ticket is None:
        raise not_found("ticket")
    require_inbox(visibility, ticket.inbox_id, "ticket")
    return ticket


async def _assign_to(
    session: AsyncSession,
    bus: EventBus,
    ticket: m.Ticket,
    conversation: m.Conversation,
    assignee: m.Agent,
    by: m.Agent | None,
) -> None:
    """Assign to ``assignee``; ``by`` is the agent who did it (``None``: the inbox's mode)."""
    ticket.assignee_id = assignee.id
    ticket.assigned_at = m.utcnow()
    what = kinds.ticket_assigned(assignee.id, assignee.name, by.id if by else None)
    add_activity(session, ticket.contact_id, what, agent_id=assignee.id, ticket_id=ticket.id)
    await add_system_message(session, bus, conversation, what)


async def open_ticket(
    session: AsyncSession,
    bus: EventBus,
    conversation: m.Conversation,
    *,
    opened_by: m.Agent | None = None,
    last_message: Json | None = None,
) -> m.Ticket:
    """Open a ticket in ``conversation``: assigned to ``opened_by`` or by the inbox's mode.

    The caller checked that the contact has no open ticket. ``last_message``: the JSON of
    the conversation's last message as stored, when the caller holds it (the ingress: the
    message it just inserted), so ``ticket.created`` is built without reading it again.
    """
    # The cap lock (assignment.lock_capacity): FOR NO KEY UPDATE of the inbox row. FOR UPDATE
    # deadlocked two hand-offs at once: each waited for the other's KEY SHARE lock of its
    # conversation insert.
    inbox = await session.get(m.Inbox, conversation.inbox_id, with_for_update={"key_share": True})
    assert inbox is not None
    now = m.utcnow()
    ticket = m.Ticket(
        conversation_id=conversation.id,
        inbox_id=conversation.inbox_id,
        contact_id=conversation.contact_id,
        status="open",
        opened_at=now,
        last_message_at=now,
    )
    session.add(ticket)
    await session.flush()
    conversation.open_ticket_id = ticket.id
    add_activity(
        session,
        ticket.contact_id,
        kinds.ticket_opened(opened_by.id, opened_by.name) if opened_by else kinds.ticket_opened(),
        agent_id=opened_by.id if opened_by else None,
        ticket_id=ticket.id,
    )
    assignee = opened_by
    if assignee is None:
        assignee = await pick_assignee(session, inbox)
        if assignee is not None:
            inbox.last_assigned_agent_id = assignee.id
    if assignee is not None:
        await _assign_to(session, bus, ticket, conversation, assignee, opened_by)
    await session.flush()
    await update_rollup(session, None, ticket)
    await publish_ticket(session, bus, ticket, "ticket.created", [], new_last_message=last_message)
    log.info("ticket %s opened in inbox %s (assignee %s)", ticket.id, inbox.id, ticket.assignee_id)
    return ticket


async def _conversation_of(session: AsyncSession, ticket: m.Ticket) -> m.Conversation:
    conversation = await session.get(m.Conversation, ticket.conversation_id)
    assert conversation is not None
    return conversation


async def assign(
    session: AsyncSession,
    bus: EventBus,
    actor: m.Agent,
    ticket_id: int,
    *,
    agent_id: int | None = None,
    force: bool = False,
) -> m.Ticket:
    """Assign a ticket to ``agent_id`` (default: the actor; someone else: admins only)."""
    require_working(actor)
    visibility = await visibility_for(session, actor)
    ticket = await visible_ticket(session, visibility, ticket_id, for_update=True)
    if ticket.status != "open":
        raise ticket_closed_error()
    target_id = actor.id if agent_id is None else agent_id
    if target_id != actor.id and actor.role != "admin":
        raise forbidden("Only admins may assign tickets to others")
    target = actor if target_id == actor.id else await session.get(m.Agent, target_id)
    if target is None or not target.active:
        raise invalid("No such agent", "agent_id")
    if not (await visibility_for(session, target)).sees_inbox(ticket.inbox_id):
        raise invalid("The agent is not in the inbox's team", "agent_id")
    if ticket.assignee_id == target.id:
        return ticket
    if ticket.assignee_id is not None and not (force and actor.role == "admin"):
        raise ApiError(
            409,
            "already_assigned",
            "The ticket is assigned to someone else",
            assignee_id=ticket.assignee_id,
        )
    inbox = await session.get(m.Inbox, ticket.inbox_id)
    assert inbox is not None
    await check_capacity(session, inbox, target.id)
    conversation = await _conversation_of(session, ticket)
    before = Snapshot.of(ticket)
    await _assign_to(session, bus, ticket, conversation, target, actor)
    await session.flush()
    await update_rollup(session, before, ticket)
    await publish_ticket(session, bus, ticket, "ticket.updated", ["assignee_id", "assigned_at"])
    return ticket


async def unassign(
    session: AsyncSession, bus: EventBus, actor: m.Agent, ticket_id: int
) -> m.Ticket:
    """Put a ticket back to Unassigned (its assignee or an admin)."""
    require_working(actor)
    visibility = await visibility_for(session, actor)
    ticket = await visible_ticket(session, visibility, ticket_id, for_update=True)
    if ticket.status != "open":
        raise ticket_closed_error()
    if ticket.assignee_id is None:
        return ticket
    if ticket.assignee_id != actor.id and actor.role != "admin":
        raise forbidden("Only the assignee or an admin may unassign this ticket")
    before = Snapshot.of(ticket)
    ticket.assignee_id = None
    ticket.assigned_at = None
    what = kinds.ticket_unassigned(actor.id, actor.name)
    add_activity(session, ticket.contact_id, what, agent_id=actor.id, ticket_id=ticket.id)
    await add_system_message(session, bus, await _conversation_of(session, ticket), what)
    await session.flush()
    await update_rollup(session, before, ticket)
    await publish_ticket(session, bus, ticket, "ticket.updated", ["assignee_id", "assigned_at"])
    return ticket


async def held_open_ticket(
    session: AsyncSession, actor: m.Agent, ticket_id: int, verb: str
) -> m.Ticket:
    """The open ticket (row-locked) an online actor may ``verb``: its assignee, an admin, or
    anyone who sees it while unassigned; 404, 409 or 403 otherwise."""
    require_working(actor)
    visibility = await visibility_for(session, actor)
    ticket = await visible_ticket(session, visibility, ticket_id, for_update=True)
    if ticket.status != "open":
        raise ticket_closed_error()
    if ticket.assignee_id not in (None, actor.id) and actor.role != "admin":
        raise forbidden(f"Only the assignee or an admin may {verb} this ticket")
    return ticket


async def close(session: AsyncSession, bus: EventBus, actor: m.Agent, ticket_id: int) -> m.Ticket:
    """Finalize a ticket (its assignee, an admin, or anyone who sees it while unassigned)."""
    ticket = await held_open_ticket(session, actor, ticket_id, "close")
    conversation = await _conversation_of(session, ticket)
    before = Snapshot.of(ticket)
    ticket.status = "closed"
    ticket.closed_at = m.utcnow()
    ticket.closed_by = actor.id
    what = kinds.ticket_closed(actor.id, actor.name)
    add_activity(session, ticket.contact_id, what, agent_id=actor.id, ticket_id=ticket.id)
    await add_system_message(session, bus, conversation, what)
    conversation.open_ticket_id = None
    await session.flush()
    await update_rollup(session, before, ticket)
    await publish_ticket(
        session, bus, ticket, "ticket.updated", ["status", "closed_at", "closed_by"]
    )
    return ticket


async def reopen(session: AsyncSession, bus: EventBus, actor: m.Agent, ticket_id: int) -> m.Ticket:
    """Reactivate a closed ticket, assigned to the agent who reopens it."""
    require_working(actor)
    visibility = await visibility_for(session, actor)
    ticket = await visible_ticket(session, visibility, ticket_id, for_update=True)
    if ticket.status == "open":
        raise ApiError(409, "ticket_open", "The ticket is already open")
    await require_no_open_ticket(session, ticket.contact_id)
    inbox = await session.get(m.Inbox, ticket.inbox_id)
    assert inbox is not None
    await check_capacity(session, inbox, actor.id)
    conversation = await _conversation_of(session, ticket)
    before = Snapshot.of(ticket)
    ticket.status = "open"
    ticket.closed_at = None
    ticket.closed_by = None
    ticket.reopen_count += 1
    conversation.open_ticket_id = ticket.id
    what = kinds.ticket_reopened(actor.id, actor.name)
    add_activity(session, ticket.contact_id, what, agent_id=actor.id, ticket_id=ticket.id)
    await add_system_message(session, bus, conversation, what)
    await _assign_to(session, bus, ticket, conversation, actor, actor)
    await session.flush()
    await update_rollup(session, before, ticket)
    changed = ["status", "closed_at", "closed_by", "reopen_count", "assignee_id", "assigned_at"]
    await publish_ticket(session, bus, ticket, "ticket.updated", changed)
    return ticket


@dataclass(frozen=True, slots=True)
class NewTicketRequest:
    """``POST /tickets``: who, where, the first message and its idempotency key."""

    contact_id: int
    inbox_id: int
    body: str
    file_ids: tuple[int, ...] = ()
    client_id: str | None = None


@dataclass(frozen=True, slots=True)
class NewTicket:
    """What ``create_ticket`` made (or found again for a repeated ``client_id``)."""

    ticket: m.Ticket
    message: m.Message
    created: bool = True


async def create_ticket(
    session: AsyncSession,
    bus: EventBus,
    actor: m.Agent,
    request: NewTicketRequest,
) -> NewTicket:
    """An agent-started ticket ("New ticket"): a new conversation with origin ``agent``, the
    ticket assigned to its creator, the first message (text and/or files) sent.

    The same ``client_id`` again returns what the first request made (``created`` False).
    """
    if request.client_id is not None:
        existing = await find_by_client_id(session, actor.id, request.client_id)
        if existing is not None and existing.ticket_id is not None:
            ticket = await session.get(m.Ticket, existing.ticket_id)
            assert ticket is not None
            return NewTicket(ticket, existing, created=False)
    require_working(actor)
    visibility = await visibility_for(session, actor)
    inbox = await session.get(m.Inbox, request.inbox_id)
    if inbox is None or not visibility.sees_inbox(inbox.id):
        raise invalid("No such inbox", "inbox_id")
    if not inbox.active:
        raise ApiError(409, "inbox_inactive", "The inbox is deactivated: it takes no new tickets")
    contact = await session.scalar(
        select(m.Contact).where(
            m.Contact.id == request.contact_id, visible_contact_filter(visibility)
        )
    )
    if contact is None:
        raise invalid("No such contact", "contact_id")
    if not request.body.strip() and not request.file_ids:
        raise invalid("The first message needs text or a file", "body")
    await check_files(session, request.file_ids)
    # a new conversation: only the agent's own unattached uploads, or library files
    await require_attachable(session, request.file_ids, owners={actor.id}, already_in=false())
    await require_no_open_ticket(session, request.contact_id)
    await check_capacity(session, inbox, actor.id)
    conversation = m.Conversation(
        contact_id=request.contact_id, inbox_id=request.inbox_id, origin="agent"
    )
    session.add(conversation)
    await session.flush()
    ticket = await open_ticket(session, bus, conversation, opened_by=actor)
    message = await append_message(
        session,
        conversation,
        agent_author(actor),
        "out",
        request.body.strip(),
        client_id=request.client_id,
        file_ids=request.file_ids,
    )
    before = Snapshot.of(ticket)
    ticket.first_response_at = message.created_at
    await publish_new_message(session, bus, message, request.inbox_id, request.file_ids)
    await session.flush()
    await update_rollup(session, before, ticket)
    await publish_ticket(session, bus, ticket, "ticket.updated", ["first_response_at"])
    return NewTicket(ticket, message)


@dataclass(frozen=True, slots=True)
class TicketFilter:
    """The filters of ``GET /tickets``."""

    view: str = "all"
    status: str | None = None
    inbox_id: int | None = None
    assignee_id: int | None = None
    contact_id: int | None = None
    q: str | None = None
    opened_from: dt.datetime | None = None
    opened_to: dt.datetime | None = None
    label_id: int | None = None
    snoozed: bool | None = None


class TicketSort(StrEnum):
    """The orders of ``GET /tickets``: newest activity (the views) or a history column."""

    ACTIVITY = "activity"
    OPENED = "opened"
    CLOSED = "closed"
    FIRST_RESPONSE = "first_response"
    RESOLUTION = "resolution"
    STATUS = "status"
    CONTACT = "contact"
    INBOX = "inbox"
    AGENT = "agent"


def ticket_query(
    agent: m.Agent, visibility: Visibility, flt: TicketFilter, text: TextMatch | None
) -> Select[m.Ticket]:
    """The SELECT of ``GET /tickets`` (without ordering and paging); ``text`` is how
    ``flt.q`` is matched (:func:`~convos_server.services.search.text_match`)."""
    query = select(m.Ticket).where(visibility.inbox_filter(m.Ticket.inbox_id))
    status = flt.status or ("open" if flt.view in ("mine", "unassigned") else None)
    if status is not None:
        query = query.where(m.Ticket.status == status)
    if flt.view == "mine":
        query = query.where(m.Ticket.assignee_id == agent.id)
    elif flt.view == "unassigned":
        query = query.where(m.Ticket.assignee_id.is_(None))
    # Mine and Unassigned leave snoozed tickets out; the Snoozed view shows only them.
    snoozed = {"mine": False, "unassigned": False, "snoozed": True}.get(flt.view, flt.snoozed)
    if flt.view == "snoozed":
        query = query.where(m.Ticket.status == "open")
    if snoozed is not None:
        query = query.where(m.Ticket.snoozed.is_(snoozed))
    if flt.label_id is not None:
        query = query.where(
            m.Ticket.id.in_(
                select(m.TicketLabel.ticket_id).where(m.TicketLabel.label_id == flt.label_id)
            )
        )
    if flt.inbox_id is not None:
        query = query.where(m.Ticket.inbox_id == flt.inbox_id)
    if flt.assignee_id is not None:
        query = query.where(m.Ticket.assignee_id == flt.assignee_id)
    if flt.contact_id is not None:
        query = query.where(m.Ticket.contact_id == flt.contact_id)
    if flt.opened_from is not None:
        query = query.where(m.Ticket.opened_at >= flt.opened_from)
    if flt.opened_to is not None:
        query = query.where(m.Ticket.opened_at < flt.opened_to)
    if text is not None:
        query = query.where(text.condition(m.Ticket.contact_id, m.Ticket.conversation_id))
    return query


# The statements of first pages, newest activity first, by what they depend on; bounded,
# least recently used first out. A statement is an immutable value, and SQLAlchemy keeps the
# cache key of a statement object: running the same object again skips building the
# statement and walking it for its key, which cost more than SQLite takes to run it.
_FIRST_PAGES: collections.OrderedDict[
    tuple[int, Visibility, TicketFilter, int, LastMessage], Select[Any]
] = collections.OrderedDict()
_FIRST_PAGES_MAX = 1024


async def _first_page(
    session: AsyncSession,
    agent: m.Agent,
    visibility: Visibility,
    flt: TicketFilter,
    size: int,
    last_message: LastMessage,
) -> tuple[list[AnyRow], str | None]:
    key = (agent.id, visibility, flt, size, last_message)
    query = _FIRST_PAGES.pop(key, None)
    if query is None:
        query = item_select(
            ticket_query(agent, visibility, flt, None)
            .order_by(m.Ticket.last_message_at.desc(), m.Ticket.id.desc())
            .limit(size + 1),
            last_message,
        )
        while len(_FIRST_PAGES) >= _FIRST_PAGES_MAX:
            _FIRST_PAGES.popitem(last=False)
    _FIRST_PAGES[key] = query
    rows = await _ticket_rows(session, query)
    if len(rows) > size:
        return rows[:size], _keyset_cursor(session, rows[size - 1], last_message)
    return rows, None


def _keyset_cursor(session: AsyncSession, item: AnyRow, last_message: LastMessage) -> str:
    """The keyset cursor of the page that follows ``item`` (a raw item row)."""
    moment = decoder_for(session.get_bind().dialect, last_message).last_message_at(item)
    return encode_cursor(moment, item.id)


async def _ticket_rows(session: AsyncSession, query: Select[Any]) -> list[AnyRow]:
    """The raw rows of ``query`` (``item_select``'s columns), on the session's connection (no ORM
    loading; ``list_tickets`` runs in a session without pending changes)."""
    connection = await session.connection()
    return list((await connection.execute(query)).all())


def seconds_between(later: Any, earlier: Any, dialect: str) -> ColumnElement[Any]:
    """``later - earlier`` in seconds, as SQL of ``dialect`` (NULL when either is NULL)."""
    if dialect == "sqlite":
        return (func.julianday(later) - func.julianday(earlier)) * 86400.0
    return func.extract("epoch", later - earlier)


def sort_key(sort: TicketSort, dialect: str) -> ColumnElement[Any]:
    """The SQL value a history column sorts by."""
    ticket = m.Ticket
    if sort == TicketSort.OPENED:
        return ticket.opened_at.expression
    if sort == TicketSort.CLOSED:
        return ticket.closed_at.expression
    if sort == TicketSort.FIRST_RESPONSE:
        return seconds_between(ticket.first_response_at, ticket.opened_at, dialect)
    if sort == TicketSort.RESOLUTION:
        return seconds_between(ticket.closed_at, ticket.opened_at, dialect)
    if sort == TicketSort.STATUS:
        return ticket.status.expression
    names: dict[TicketSort, tuple[Any, Any, Any]] = {
        TicketSort.CONTACT: (m.Contact.name, m.Contact.id, ticket.contact_id),
        TicketSort.INBOX: (m.Inbox.name, m.Inbox.id, ticket.inbox_id),
        TicketSort.AGENT: (m.Agent.name, m.Agent.id, ticket.assignee_id),
    }
    name, key, reference = names[sort]
    return func.lower(select(name).where(key == reference).scalar_subquery())


def history_order(
    query: Select[m.Ticket], sort: TicketSort, descending: bool, dialect: str
) -> Select[m.Ticket]:
    """``query`` ordered by a history column; tickets without a value (open, no reply) last.

    The "no value last" term is left out where the database puts NULLs last by itself
    (SQLite: smallest, PostgreSQL: largest) or the column has no NULLs, so an index on the
    column gives the order without sorting every ticket.
    """
    key = sort_key(sort, dialect)
    direction = key.desc() if descending else key.asc()
    tie = m.Ticket.id.desc() if descending else m.Ticket.id.asc()
    nulls_last_natively = descending == (dialect == "sqlite")
    if sort in (TicketSort.OPENED, TicketSort.STATUS) or nulls_last_natively:
        return query.order_by(direction, tie)
    return query.order_by(key.is_(None), direction, tie)


async def count_capped(session: AsyncSession, matching: Select[Any]) -> tuple[int, bool]:
    """How many rows ``matching`` selects, counting no further than ``COUNT_CAP``: the count
    and whether it stopped there (the history screens say "10,000+")."""
    limited = matching.limit(COUNT_CAP + 1).subquery()
    found = int(await session.scalar(select(func.count()).select_from(limited)) or 0)
    return min(found, COUNT_CAP), found > COUNT_CAP


async def count_tickets(
    session: AsyncSession, agent: m.Agent, visibility: Visibility, flt: TicketFilter
) -> tuple[int, bool]:
    """How many tickets match ``flt`` up to ``COUNT_CAP`` (the history screen's count), and
    whether there are more."""
    text = await text_match(session, flt.q)
    return await count_capped(
        session, ticket_query(agent, visibility, flt, text).with_only_columns(m.Ticket.id)
    )


async def list_tickets(
    session: AsyncSession,
    agent: m.Agent,
    visibility: Visibility,
    flt: TicketFilter,
    cursor: str | None,
    limit: int | None,
    sort: TicketSort = TicketSort.ACTIVITY,
    descending: bool = True,
    max_limit: int | None = None,
    last_message: LastMessage = "full",
) -> tuple[list[AnyRow], str | None]:
    """One page of tickets in the chosen order, and the cursor of the next page.

    The tickets are rows of what their items are made of (``serialize.item_select``: the
    ticket's columns, label ids and as much of the last message as ``last_message`` says), not
    models: loading a page of ORM objects cost more than the rest of the request.

    Newest activity first (the views) pages by keyset; a history column pages by position
    (``offset_cursor``), since its values are computed and repeat. ``max_limit`` lifts the
    page size's bound for the server's own batches (the CSV export).
    """
    size = clamp_limit(limit) if max_limit is None else max(1, min(limit or max_limit, max_limit))
    first_page = not cursor and sort == TicketSort.ACTIVITY and descending and not flt.q
    if first_page:  # what clients poll: the same statement object again (see _first_page)
        return await _first_page(session, agent, visibility, flt, size, last_message)
    query = ticket_query(agent, visibility, flt, await text_match(session, flt.q))
    if sort != TicketSort.ACTIVITY or not descending:
        offset = decode_offset_cursor(cursor) if cursor else 0
        if sort == TicketSort.ACTIVITY:
            query = query.order_by(m.Ticket.last_message_at.asc(), m.Ticket.id.asc())
        else:
            query = history_order(query, sort, descending, session.get_bind().dialect.name)
        query = item_select(query.offset(offset).limit(size + 1), last_message)
        rows = await _ticket_rows(session, query)
        more = len(rows) > size
        return rows[:size], encode_offset_cursor(offset + size) if more else None
    if cursor:
        moment, row_id = decode_cursor(cursor)
        query = query.where(
            or_(
                m.Ticket.last_message_at < moment,
                and_(m.Ticket.last_message_at == moment, m.Ticket.id < row_id),
            )
        )
    query = query.order_by(m.Ticket.last_message_at.desc(), m.Ticket.id.desc()).limit(size + 1)
    rows = await _ticket_rows(session, item_select(query, last_message))
    next_cursor = None
    if len(rows) > size:
        rows = rows[:size]
        next_cursor = _keyset_cursor(session, rows[-1], last_message)
    return rows, next_cursor
