"""Ticket routes: list, detail, new ticket, and the assign/unassign/close/reopen transitions."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import StreamingResponse
from fastapi.routing import APIRoute
from pydantic import BaseModel, Field
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import State
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import Scope, Send

from convos_server.api.conversations import scope_cached
from convos_server.api.deps import (
    AgentDep,
    BusDep,
    DbDep,
    agent_of,
    cached_identity,
    identity_of_header,
)
from convos_server.api.params import Day, Id
from convos_server.api.responses import errors
from convos_server.db import models as m
from convos_server.db.engine import Database
from convos_server.errors import ApiError
from convos_server.lru import LruCache
from convos_server.serialize import (
    LastMessage,
    TicketFragments,
    contact_json,
    contacts_of,
    load_conversations,
    load_message,
    load_ticket,
    load_ticket_page_items,
    page_json,
)
from convos_server.services import snooze as snoozing
from convos_server.services import ticket_csv, ticket_page, tickets
from convos_server.services.events import EventBus
from convos_server.services.paging import clamp_limit
from convos_server.services.token_cache import scope_cache_of_class
from convos_server.services.visibility import cached_scope_of, visibility_for

router = APIRouter(tags=["tickets"])


async def _transition(
    db: Database, bus: EventBus, change: Callable[[AsyncSession], Awaitable[m.Ticket]]
) -> dict[str, Any]:
    """Run one ticket transition in a transaction; the Ticket once committed and announced."""
    async with db.transaction() as session:
        data = await load_ticket(session, await change(session))
    bus.wake()
    return data


def _day_start(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC)


async def ticket_filter(
    view: Literal["mine", "unassigned", "all", "snoozed"] = "all",
    status: Literal["open", "closed"] | None = None,
    inbox: Id | None = None,
    q: Annotated[str | None, Query(max_length=200)] = None,
    assignee: Id | None = None,
    contact: Id | None = None,
    from_: Annotated[Day | None, Query(alias="from")] = None,
    to: Day | None = None,
    label: Id | None = None,
    snoozed: bool | None = None,
) -> tickets.TicketFilter:
    """The filters of ``GET /tickets`` and of its CSV export.

    ``async`` although it awaits nothing: FastAPI runs a plain ``def`` dependency on its
    thread pool, a thread round trip per request.
    """
    return tickets.TicketFilter(
        view=view,
        status=status,
        inbox_id=inbox,
        assignee_id=assignee,
        contact_id=contact,
        q=q,
        opened_from=_day_start(from_) if from_ else None,
        opened_to=_day_start(to + dt.timedelta(days=1)) if to else None,
        label_id=label,
        snoozed=snoozed,
    )


FilterDep = Annotated[tickets.TicketFilter, Depends(ticket_filter)]


@dataclass(frozen=True, slots=True)
class PageQuery:
    """The query parameters of ``GET /tickets`` as FastAPI validated them."""

    flt: tickets.TicketFilter
    cursor: str | None
    limit: int | None
    sort: tickets.TicketSort
    order: Literal["desc", "asc"]
    count: bool
    include: Literal["contacts"] | None
    last_message: LastMessage


# Query strings of first pages (what clients poll) -> their parsed parameters; per app.
PageQueries = LruCache[bytes, PageQuery]


class TicketPageRoute(APIRoute):
    """``GET /tickets``: a query string FastAPI already validated is not solved again.

    Solving the route's 17 query parameters was a fifth of a page's CPU. The first request with
    a query string goes through FastAPI as any route (validation, 422 bodies); the endpoint
    then remembers what it was given in ``app.state.ticket_page_queries``, a pure function of
    the query string. A later request with the same bytes takes the agent from its token
    (``agent_of``, the same dependency code) and reuses those values; when the token cache
    holds the token and the agent's scope, a driver page needs only the agent's id and role
    (``cached_identity``: no copy of the agent's row is made). The route's declaration, hence
    the OpenAPI document, is unchanged.
    """

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        """FastAPI's handler, behind a look-up of the query string."""
        solved_by_fastapi = super().get_route_handler()

        async def handler(request: Request) -> Response:
            queries: PageQueries = request.app.state.ticket_page_queries
            query = queries.get(request.scope["query_string"])
            if query is None:
                return await solved_by_fastapi(request)
            db: Database = request.app.state.db
            identity = cached_identity(request)
            if identity is not None:  # no copy of the agent's row: its id and role suffice
                fragments: TicketFragments = request.app.state.ticket_fragments
                on_driver = await _driver_page(db, *identity, query, fragments)
                if on_driver is not None:
                    return _page_response(*on_driver)
            return await _page(request, await agent_of(request), db, query)

        return handler


# What ``errors.install_error_handlers`` answers inside FastAPI's layers.
ANSWERED_BY_HANDLERS = (ApiError, StarletteHTTPException, RequestValidationError)


async def serve_polled_page(state: State, scope: Scope, send: Send) -> bool:
    """Answer ``GET /tickets`` before FastAPI's layers when ``TicketPageRoute``'s handler
    would answer it without FastAPI's work: a query string FastAPI validated before, a
    token and scope in the caches, a first page read on the driver. Then the same page, as
    the same response (``_page_response``: ``content-length``, ``content-type``), and
    ``True``; ``False`` otherwise, nothing sent: the route answers as before.

    What is skipped is the stack between the outermost middleware and the handler (the
    middlewares that act on other requests only, the router trying routes, the request and
    response objects, the exception middleware): about a third of the polled page's server
    CPU (issue 14, pg14n). A read that fails here with an error the app's exception
    handlers answer (inside FastAPI's layers) goes to the route, which reads again and
    answers as it always did; any other error goes up as the route's would (the server's
    500 and the error raised: a lost connection invalidates the pool just the same).
    """
    query = state.ticket_page_queries.get(scope["query_string"])
    if query is None:
        return False
    header = None
    for name, value in scope["headers"]:
        if name == b"authorization":  # the first, as Starlette's ``Headers.get``
            header = value.decode("latin-1")
            break
    identity = identity_of_header(state.tokens, header)
    if identity is None:
        return False
    try:
        on_driver = await _driver_page(state.db, *identity, query, state.ticket_fragments)
    except ANSWERED_BY_HANDLERS:  # a read: the route runs it again, its handlers answer
        return False
    if on_driver is None:
        return False
    response = _page_response(*on_driver)
    await send({"type": "http.response.start", "status": 200, "headers": response.raw_headers})
    await send({"type": "http.response.body", "body": response.body})
    return True


async def list_tickets(
    request: Request,
    agent: AgentDep,
    db: DbDep,
    flt: FilterDep,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int | None, Query(ge=1, le=200)] = None,
    sort: tickets.TicketSort = tickets.TicketSort.ACTIVITY,
    order: Literal["desc", "asc"] = "desc",
    count: bool = False,
    include: Literal["contacts"] | None = None,
    last_message: LastMessage = "full",
) -> Response:
    """``Page<Ticket>`` in the chosen order; ``from``/``to`` filter opening days (UTC).

    ``count`` adds ``total`` (how many match, at most ``COUNT_CAP``) and ``total_capped``
    (more match than that); ``include=contacts`` adds the page's contacts;
    ``last_message=brief`` gives each ticket's last message without reactions, files and
    reply preview, ``none`` leaves it out (the history shows none).
    """
    query = PageQuery(flt, cursor, limit, sort, order, count, include, last_message)
    if cursor is None:  # a next page's cursor is seen once: not worth remembering
        queries: PageQueries = request.app.state.ticket_page_queries
        queries.put(request.scope["query_string"], query)
    return await _page(request, agent, db, query)


router.add_api_route(
    "/tickets",
    list_tickets,
    methods=["GET"],
    response_model=dict[str, Any],
    route_class_override=TicketPageRoute,
)


async def _page(request: Request, agent: m.Agent, db: Database, query: PageQuery) -> Response:
    # The page encodes itself (the bytes FastAPI's serialisation gave, pinned by
    # tests/server/test_ticket_page_pinned.py; the OpenAPI schema comes from response_model):
    # its items come from the app's TicketFragments, formatted again only when a value they
    # are made of changed.
    fragments: TicketFragments = request.app.state.ticket_fragments
    on_driver = await _driver_page(db, agent.id, agent.role, query, fragments)
    if on_driver is None and _on_the_driver(db, query) and await scope_cached(db, agent):
        # The agent's scope had left the cache (its heartbeat, its 5 s TTL): read into it, the
        # page stays on the driver (before, it was read through SQLAlchemy: the ORM's
        # objects and several more round trips, for every page in flight at that moment).
        on_driver = await _driver_page(db, agent.id, agent.role, query, fragments)
    if on_driver is not None:
        return _page_response(*on_driver)
    flt = query.flt
    # A text search, a count or a filter the page's order cannot stop early on reads more rows
    # the more there are: not on the loop.
    long_read = query.count or flt.q or _grows_with_data(flt)
    async with db.sessionmaker() if long_read else db.read() as session:
        visibility = await visibility_for(session, agent)
        rows, next_cursor = await tickets.list_tickets(
            session,
            agent,
            visibility,
            flt,
            query.cursor,
            query.limit,
            query.sort,
            query.order == "desc",
            last_message=query.last_message,
        )
        items = await load_ticket_page_items(
            session, rows, fragments, last_message=query.last_message
        )
        rest: dict[str, Any] = {"next_cursor": next_cursor}
        if query.count:
            total = await tickets.count_tickets(session, agent, visibility, flt)
            rest["total"], rest["total_capped"] = total
        if query.include == "contacts":
            rest["contacts"] = await contacts_of(session, {t.contact_id for t in rows})
    return Response(page_json(items, rest), media_type="application/json")


def _page_response(items: list[bytes], next_cursor: str | None) -> Response:
    """A first page read on the driver as the route's response."""
    return Response(page_json(items, {"next_cursor": next_cursor}), media_type="application/json")


def _grows_with_data(flt: tickets.TicketFilter) -> bool:
    """Whether a page's statement may read many more rows than it shows on SQLite: the
    snoozed tickets, a label or opening days are not in the order's index, so a first page
    walks or sorts every match (100k tickets: a label on a third of them 128 ms, opened before
    200 days ago 96 ms, the snoozed view 4.6 ms; the views and the other filters 0.3 ms;
    ``benchmarks/RESULTS.md``, issue 14, eighth round)."""
    return (
        flt.view == "snoozed"
        or flt.snoozed is True
        or flt.label_id is not None
        or flt.opened_from is not None
        or flt.opened_to is not None
    )


def _on_the_driver(db: Database, query: PageQuery) -> bool:
    """Whether ``query`` is a page ``_driver_page`` reads (given the agent's cached scope)."""
    return not (
        query.cursor is not None
        or query.sort != tickets.TicketSort.ACTIVITY
        or query.order != "desc"
        or query.count
        or query.include is not None
        or query.flt.q
        or (db.is_sqlite and _grows_with_data(query.flt))
    )


async def _driver_page(
    db: Database, agent_id: int, role: str, query: PageQuery, fragments: TicketFragments
) -> tuple[list[bytes], str | None] | None:
    """The page read on the driver connection (``services.ticket_page``) when it is a plain
    first page (no cursor, newest activity first, no text search, count or contacts; on
    SQLite, where it runs on the event loop, none whose cost grows with the data) and the
    agent's visibility is cached; ``None`` otherwise (read through SQLAlchemy)."""
    if not _on_the_driver(db, query):
        return None
    scope = cached_scope_of(scope_cache_of_class(db.session_class), agent_id, role)
    if scope is None:
        return None
    first = ticket_page.FirstPageQuery(query.flt, clamp_limit(query.limit), query.last_message)
    return await ticket_page.first_page_items(db, agent_id, scope.visibility, first, fragments)


@router.get(
    "/tickets/export",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/csv": {}}, "description": "The matching tickets as CSV"}},
)
async def export_tickets(
    agent: AgentDep,
    db: DbDep,
    flt: FilterDep,
    sort: tickets.TicketSort = tickets.TicketSort.OPENED,
    order: Literal["desc", "asc"] = "desc",
) -> StreamingResponse:
    """Every matching ticket as CSV, streamed in batches (constant memory at any size)."""
    async with db.sessionmaker() as session:
        visibility = await visibility_for(session, agent)
    rows = ticket_csv.export(db, agent, visibility, flt, sort, order == "desc")
    return StreamingResponse(
        rows,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="tickets.csv"'},
    )


@router.get("/tickets/{ticket_id}")
async def get_ticket(ticket_id: Id, agent: AgentDep, db: DbDep) -> dict[str, Any]:
    """``{ticket, contact, conversation}``."""
    async with db.read() as session:
        visibility = await visibility_for(session, agent)
        ticket = await tickets.visible_ticket(session, visibility, ticket_id)
        contact = await session.get(m.Contact, ticket.contact_id)
        conversation = await session.get(m.Conversation, ticket.conversation_id)
        assert contact is not None
        assert conversation is not None
        return {
            "ticket": await load_ticket(session, ticket),
            "contact": contact_json(contact),
            "conversation": (await load_conversations(session, [conversation]))[0],
        }


class NewTicketBody(BaseModel):
    """``POST /tickets``: the first message is text and/or files."""

    contact_id: Id
    inbox_id: Id
    body: str = Field(default="", max_length=10_000)
    file_ids: list[Id] = Field(default_factory=list, max_length=10)
    client_id: str | None = Field(default=None, min_length=1, max_length=64)


@router.post("/tickets", status_code=201, responses=errors(409))
async def create_ticket(
    body: NewTicketBody, agent: AgentDep, db: DbDep, bus: BusDep, response: Response
) -> dict[str, Any]:
    """An agent-started ticket assigned to its creator: ``{ticket, message}`` (200 with the
    first answer when ``client_id`` was already used by this agent)."""
    request = tickets.NewTicketRequest(
        body.contact_id, body.inbox_id, body.body, tuple(body.file_ids), body.client_id
    )
    async with db.transaction() as session:
        made = await tickets.create_ticket(session, bus, agent, request)
        data = {
            "ticket": await load_ticket(session, made.ticket),
            "message": await load_message(session, made.message),
        }
    if not made.created:
        response.status_code = 200
    bus.wake()
    return data


class AssignBody(BaseModel):
    """``POST /tickets/{id}/assign``: default the caller; ``force`` lets admins take over."""

    agent_id: Id | None = None
    force: bool = False


@router.post("/tickets/{ticket_id}/assign", responses=errors(403, 409))
async def assign(
    ticket_id: Id, agent: AgentDep, db: DbDep, bus: BusDep, body: AssignBody | None = None
) -> dict[str, Any]:
    """Assign the ticket; returns the Ticket."""
    options = body or AssignBody()
    return await _transition(
        db,
        bus,
        lambda session: tickets.assign(
            session, bus, agent, ticket_id, agent_id=options.agent_id, force=options.force
        ),
    )


@router.post("/tickets/{ticket_id}/unassign", responses=errors(403, 409))
async def unassign(ticket_id: Id, agent: AgentDep, db: DbDep, bus: BusDep) -> dict[str, Any]:
    """Back to Unassigned; returns the Ticket."""
    return await _transition(
        db, bus, lambda session: tickets.unassign(session, bus, agent, ticket_id)
    )


@router.post("/tickets/{ticket_id}/close", responses=errors(403, 409))
async def close(ticket_id: Id, agent: AgentDep, db: DbDep, bus: BusDep) -> dict[str, Any]:
    """Finalize; returns the Ticket."""
    return await _transition(db, bus, lambda session: tickets.close(session, bus, agent, ticket_id))


@router.post("/tickets/{ticket_id}/reopen", responses=errors(403, 409))
async def reopen(ticket_id: Id, agent: AgentDep, db: DbDep, bus: BusDep) -> dict[str, Any]:
    """Reactivate, assigned to the caller; returns the Ticket."""
    return await _transition(
        db, bus, lambda session: tickets.reopen(session, bus, agent, ticket_id)
    )


class SnoozeBody(BaseModel):
    """``POST /tickets/{id}/snooze``: ``until`` (with a time zone) or null for "until the
    customer replies"."""

    until: dt.datetime | None = None


@router.post("/tickets/{ticket_id}/snooze", responses=errors(403, 409))
async def snooze(
    ticket_id: Id, body: SnoozeBody, agent: AgentDep, db: DbDep, bus: BusDep, request: Request
) -> dict[str, Any]:
    """Snooze an open ticket (out of the views until it wakes); returns the Ticket."""
    data = await _transition(
        db, bus, lambda session: snoozing.snooze(session, bus, agent, ticket_id, body.until)
    )
    nudge: asyncio.Event | None = getattr(request.app.state, "snooze_nudge", None)
    if nudge is not None:
        nudge.set()
    return data


@router.post("/tickets/{ticket_id}/unsnooze", responses=errors(403, 409))
async def unsnooze(ticket_id: Id, agent: AgentDep, db: DbDep, bus: BusDep) -> dict[str, Any]:
    """Wake a snoozed ticket now; returns the Ticket."""
    return await _transition(
        db, bus, lambda session: snoozing.unsnooze(session, bus, agent, ticket_id)
    )
