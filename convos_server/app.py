"""The FastAPI application factory.

Everything the handlers need lives on ``app.state`` (``settings``, ``db``, ``engine``,
``sessionmaker``, ``bus``, ``tokens``, ``login_throttle``, ``snooze_nudge``); nothing is a
module global, so several apps can live in one process (the tests do that). The lifespan starts
the event reader, the presence sweeper, the event retention pruning and the snooze waker, and
stops them cleanly.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections.abc import AsyncIterator, Sequence

from fastapi import APIRouter, FastAPI
from fastapi.telemetry import TelemetryConfig

from convos_server.api import (
    agents,
    auth,
    bootstrap,
    canned,
    channels,
    contacts,
    conversations,
    events,
    health,
    inboxes,
    labels,
    mentions,
    presence,
    teams,
    tickets,
)
from convos_server.api import files as files_api
from convos_server.api import reports as reports_api
from convos_server.api import search as search_api
from convos_server.api.body_limit import BodyLimitMiddleware
from convos_server.api.hot_writes import HotWritesMiddleware
from convos_server.api.keepalive import KeepAliveWheel
from convos_server.api.live_calls import LiveCallsMiddleware
from convos_server.api.responses import declare_error_responses
from convos_server.api.tickets import PageQueries
from convos_server.config import Settings
from convos_server.db import text_index
from convos_server.db.engine import Database
from convos_server.errors import install_error_handlers
from convos_server.serialize import TicketFragments
from convos_server.services.events import EventBus
from convos_server.services.live import LiveState
from convos_server.services.live_relay import CHANNEL as LIVE_CHANNEL
from convos_server.services.live_relay import LiveRelay
from convos_server.services.login_throttle import LoginThrottle, ThrottlePolicy
from convos_server.services.presence import run_sweeper
from convos_server.services.snooze import run_waker
from convos_server.services.token_cache import TokenCache
from convos_server.storage import FilesystemStore

log = logging.getLogger("convos.server")

API_PREFIX = "/api/v1"
PRUNE_INTERVAL_S = 3600.0

# Every router of the API, mounted under API_PREFIX; the OpenAPI document lists their routes in
# this order (``declare_error_responses``), whatever the order they are tried in.
ROUTERS: list[APIRouter] = [
    health.router,
    auth.router,
    bootstrap.router,
    events.router,
    presence.router,
    tickets.router,
    labels.router,
    conversations.router,
    contacts.router,
    canned.router,
    inboxes.router,
    teams.router,
    agents.router,
    channels.router,
    mentions.router,
    files_api.router,
    reports_api.router,
    search_api.router,
]

# Tried first when a request is matched: Starlette tries the routes one by one in the order
# they were included, so the customer ingress and the agent's reply (the hot writes) would
# otherwise try every route above them first; ``/health`` (one route, polled by balancers)
# stays before them. No path of theirs is one of another router's
# (``tests/server/test_route_order.py`` matches thousands of paths both ways).
MATCHED_FIRST: tuple[APIRouter, ...] = (health.router, channels.router, conversations.router)


def matching_order(first: Sequence[APIRouter]) -> list[APIRouter]:
    """``ROUTERS`` in the order they are included: ``first``, then the others as listed."""
    return [*first, *(router for router in ROUTERS if router not in first)]


async def _prune_once(bus: EventBus, retention_days: float) -> None:
    try:
        await bus.prune(retention_days)
    except Exception:
        log.exception("event pruning failed")


async def _prune_forever(bus: EventBus, retention_days: float) -> None:
    while True:
        # A running prune is finished, not cancelled, at shutdown: cancelled in the middle of
        # its statement, aiosqlite's worker thread would answer a loop closed meanwhile.
        prune = asyncio.ensure_future(_prune_once(bus, retention_days))
        try:
            await asyncio.shield(prune)
        except asyncio.CancelledError:
            await asyncio.wait([prune])
            raise
        await asyncio.sleep(PRUNE_INTERVAL_S)


@contextlib.asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings: Settings = app.state.settings
    db: Database = app.state.db
    bus: EventBus = app.state.bus
    store = app.state.files
    if isinstance(store, FilesystemStore):
        await asyncio.to_thread(store.sweep_staging)
    if db.is_sqlite:
        # the messages a stop (or a crash) left past the text index's mark (migration 0012)
        async with db.transaction() as session:
            await text_index.catch_up(session)
    await bus.start()
    tasks = [
        asyncio.create_task(
            run_sweeper(db, bus, settings.presence_ttl_s, settings.presence_sweep_s),
            name="convos-presence-sweeper",
        ),
        asyncio.create_task(
            _prune_forever(bus, settings.event_retention_days), name="convos-event-pruning"
        ),
        asyncio.create_task(
            run_waker(db, bus, settings.snooze_check_s, app.state.snooze_nudge),
            name="convos-snooze-waker",
        ),
        asyncio.create_task(app.state.live.sweep_forever(), name="convos-live-sweeper"),
    ]
    relay: LiveRelay | None = app.state.live_relay
    if relay is not None:
        tasks.append(asyncio.create_task(relay.run(), name="convos-live-relay"))
    try:
        yield
    finally:
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if relay is not None:
            await relay.close()
        await bus.stop()
        await db.dispose()


# FastAPI's built-in OpenTelemetry spans, metrics and logs, off: Convos configures no
# OpenTelemetry provider, so they recorded nothing, yet each request asked the three global
# providers whether one was configured (~8 us of every request; issue 14, thirteenth round).
TELEMETRY_OFF: TelemetryConfig = {
    "tracing": False,
    "metrics": False,
    "logs": False,
    "operation_spans": False,
}


def create_app(
    settings: Settings, *, matched_first: Sequence[APIRouter] = MATCHED_FIRST
) -> FastAPI:
    """A Convos server application for ``settings`` (the database must be at head).

    ``matched_first``: the routers tried first when matching a request (the tests compare an
    app built with none against the default)."""
    app = FastAPI(
        title="Convos server",
        version="1",
        lifespan=_lifespan,
        openapi_url="/openapi.json",
        docs_url="/docs",
        redoc_url=None,
        telemetry=TELEMETRY_OFF,
    )
    db = Database(settings.database_url)
    app.state.settings = settings
    app.state.db = db
    app.state.engine = db.engine
    app.state.sessionmaker = db.sessionmaker
    tokens = TokenCache()
    tokens.watch(db.session_class, notify=db.is_postgres)
    app.state.tokens = tokens
    app.state.ticket_fragments = TicketFragments()
    app.state.ticket_page_queries = PageQueries(256)
    # Uploaded bytes: a collaborator, so tests (and another backend) can stand in for it.
    app.state.files = FilesystemStore(settings.files_dir)
    app.state.snooze_nudge = asyncio.Event()  # a new snooze: the waker looks again
    # Revocations and agent changes committed by other processes reach this one's cache
    # through the bus (the event table and its LISTEN connection).
    app.state.bus = EventBus(
        db,
        on_revoked=tokens.drop_agents,
        on_agents_changed=tokens.drop_agents,
        max_streams_per_agent=settings.max_streams_per_agent,
    )
    app.state.live = LiveState(app.state.bus)
    app.state.keepalive = KeepAliveWheel(settings.keepalive_s)
    # PostgreSQL: several processes may serve; the live state is mirrored between them.
    app.state.live_relay = None
    if db.is_postgres:
        relay = LiveRelay(app.state.live, functools.partial(app.state.bus.notify, LIVE_CHANNEL))
        app.state.bus.listen(LIVE_CHANNEL, relay.receive, relay.connected)
        app.state.live_relay = relay
    app.state.login_throttle = LoginThrottle(
        ThrottlePolicy(
            account_free=settings.login_account_free,
            address_free=settings.login_address_free,
            window_s=settings.login_window_s,
            base_s=settings.login_first_lock_s,
            max_s=settings.login_max_lock_s,
        )
    )
    install_error_handlers(app)
    app.add_middleware(
        BodyLimitMiddleware,
        max_bytes=settings.max_body_bytes,
        exempt={("POST", f"{API_PREFIX}/files")},
    )
    # Outside the body limit: the frequent live calls answered in memory when they can be.
    app.add_middleware(LiveCallsMiddleware, prefix=API_PREFIX)
    # Outermost: the ordinary customer messages and replies, and the polled ticket page, served
    # with the routes' own work and models beside FastAPI's layers; anything else goes on to
    # the routes.
    app.add_middleware(
        HotWritesMiddleware, prefix=API_PREFIX, max_body_bytes=settings.max_body_bytes
    )
    for router in matching_order(matched_first):
        app.include_router(router, prefix=API_PREFIX)
    declare_error_responses(app, ROUTERS)
    return app
