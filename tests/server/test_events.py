"""The SSE stream over a real loopback server: visibility, resume without loss or
duplicates after a dropped connection, and ``reset`` for a cursor out of range."""

from __future__ import annotations

import asyncio
import gc
import socket
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

import asyncpg
import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.exc import DBAPIError

from convos_server.api.event_stream import EventStreamResponse
from convos_server.api.keepalive import KeepAliveWheel
from convos_server.app import create_app
from convos_server.body_writer import uvicorn_config
from convos_server.cli import ConvosServer, bind_socket
from convos_server.db import models as m
from convos_server.db.engine import Database
from convos_server.services.events import EventBus, StoredEvent, Subscription, http_chunk
from convos_server.services.visibility import Visibility
from tests.server.conftest import (
    BACKENDS,
    _pg_admin_dsn,
    make_admin,
    read_events,
    wait_for_subscribers,
)


async def stored_events(settings) -> list[m.Event]:
    db = Database(settings.database_url)
    try:
        async with db.sessionmaker() as session:
            return list(await session.scalars(select(m.Event).order_by(m.Event.id)))
    finally:
        await db.dispose()


async def test_events_respect_team_visibility(live_ws):
    ws = live_ws
    anna = await ws.agent("Anna", online=True)
    carla = await ws.agent("Carla", online=True)
    inbox_a = await ws.inbox("Sales", await ws.team("A", [anna]))
    inbox_b = await ws.inbox("Support", await ws.team("B", [carla]))
    start = (await ws.call("GET", "/bootstrap", carla))["event_seq"]

    async def carla_stream():
        return await read_events(
            ws,
            carla,
            after=start,
            until=lambda evs: any(e[2].get("message", {}).get("body") == "for B" for e in evs),
        )

    reader = asyncio.create_task(carla_stream())
    await ws.handoff(inbox_a, "wa:1", "for A")
    await ws.handoff(inbox_b, "tg:1", "for B")
    received = await asyncio.wait_for(reader, 20)
    bodies = [e[2]["message"]["body"] for e in received if e[1] == "message.created"]
    assert "for B" in bodies
    assert "for A" not in bodies
    inbox_ids = {e[2]["ticket"]["inbox_id"] for e in received if e[1].startswith("ticket.")}
    assert inbox_ids == {inbox_b["id"]}


@pytest.mark.parametrize("backend", BACKENDS)
async def test_resume_after_a_dropped_connection_loses_and_doubles_nothing(live_ws, settings):
    ws = live_ws
    anna = await ws.agent("Anna", online=True)
    inbox = await ws.inbox("Sales", await ws.team("A", [anna]))
    start = (await ws.call("GET", "/bootstrap", anna))["event_seq"]
    total = 60

    async def publish_many():
        for index in range(total):
            await ws.handoff(inbox, f"wa:{index}", f"message {index}")

    publisher = asyncio.create_task(publish_many())
    first = await read_events(ws, anna, after=start, count=15)  # dropped mid-stream
    assert not publisher.done()
    await asyncio.sleep(0.05)
    last_id = first[-1][0]

    def done(evs):
        return any(e[2].get("message", {}).get("body") == f"message {total - 1}" for e in evs)

    rest = await read_events(ws, anna, last_event_id=last_id, until=done)
    await publisher
    ids = [e[0] for e in first + rest]
    assert ids == sorted(set(ids)), "events out of order or duplicated"
    expected = [e.id for e in await stored_events(settings) if e.id > start and e.id <= ids[-1]]
    assert ids == expected
    bodies = [e[2]["message"]["body"] for e in first + rest if e[1] == "message.created"]
    assert [b for b in bodies if b.startswith("message ")] == [f"message {i}" for i in range(total)]


async def test_expired_or_future_cursor_gets_one_reset(live_ws, settings):
    ws = live_ws
    anna = await ws.agent("Anna", online=True)
    await ws.inbox("Sales", await ws.team("A", [anna]))
    db = Database(settings.database_url)
    try:
        removed = await EventBus(db).prune(retention_days=0)
    finally:
        await db.dispose()
    assert removed > 0
    head = (await ws.call("GET", "/bootstrap", anna))["event_seq"]
    for cursor in [1, head + 1000]:
        received = await read_events(ws, anna, after=cursor, count=1)
        assert received == [(head, "reset", {"event_seq": head})]
    # A cursor at the head is fine: the next event arrives normally.
    reader = asyncio.create_task(read_events(ws, anna, last_event_id=head, count=1))
    await asyncio.sleep(0.2)
    await ws.presence(anna, "busy")
    (event,) = await asyncio.wait_for(reader, 20)
    assert event[1] == "presence.changed"
    assert event[0] > head


async def test_events_need_a_token(live_ws):
    response = await live_ws.http.get("/api/v1/events")
    assert response.status_code == 401


@pytest.mark.parametrize("backend", [BACKENDS[1]])
async def test_notify_wakes_the_event_reader_of_another_server_process(settings):
    """Two buses on one PostgreSQL database stand for two server processes."""
    listener_db, writer_db = Database(settings.database_url), Database(settings.database_url)
    listener = EventBus(listener_db, poll_s=600)  # only NOTIFY can wake it in time
    writer = EventBus(writer_db, poll_s=600)
    await listener.start()
    try:
        subscription = await listener.subscribe(m.Agent(id=1, role="admin"))
        await asyncio.sleep(0.3)  # let the LISTEN connection settle
        for index in range(3):
            async with writer_db.transaction() as session:
                await writer.publish(session, "canned.changed", {"deleted_id": index})
        received: list[StoredEvent] = []
        while len(received) < 3:
            await asyncio.wait_for(subscription.wait(), 10)
            received += subscription.take()
        assert [e.data for e in received] == [f'{{"deleted_id":{i}}}' for i in range(3)]
        assert [e.seq for e in received] == sorted(e.seq for e in received)
    finally:
        await listener.stop()
        await listener_db.dispose()
        await writer_db.dispose()


@pytest.mark.parametrize("backend", BACKENDS)
async def test_the_reader_reads_the_stored_rows_as_they_are_within_its_bounds(settings):
    """The reader's rows (on PostgreSQL: asyncpg's, on a SQLite file: ``sqlite3``'s) are the
    table's, field for field, and ``read`` keeps to ``after < seq <= until``."""
    db = Database(settings.database_url)
    bus = EventBus(db)
    try:
        async with db.transaction() as session:
            await bus.publish(session, "canned.changed", {"deleted_id": 1, "text": "è ü 🙂"})
            await bus.publish(session, "ticket.updated", {"id": 7}, inbox_id=3)
            await bus.publish(session, "agent.changed", {"id": 5}, agent_id=5)
        stored = await stored_events(settings)
        # One transaction's events get their ids in the order they were published.
        assert [e.type for e in stored] == ["canned.changed", "ticket.updated", "agent.changed"]
        expected = [(e.id, e.type, e.data, e.inbox_id, e.agent_id) for e in stored]
        loaded = await bus._load(0)
        assert [(e.seq, e.type, e.data, e.inbox_id, e.agent_id) for e in loaded] == expected
        assert [e.frame for e in loaded] == [StoredEvent.from_row(*row).frame for row in expected]
        first, middle, last = (row[0] for row in expected)
        between = [event async for batch in bus.read(first, last - 1) for event in batch]
        assert [e.seq for e in between] == [middle]
    finally:
        await db.dispose()


@pytest.mark.parametrize("backend", [BACKENDS[1]])
async def test_the_postgres_reader_drops_a_lost_connection_and_reads_on(settings):
    """A connection the server ended fails one read, as SQLAlchemy fails a statement; it is
    dropped from the pool, so the next read works."""
    db = Database(settings.database_url)
    bus = EventBus(db)
    try:
        async with db.transaction() as session:
            await bus.publish(session, "canned.changed", {"deleted_id": 1})
        assert len(await bus._load(0)) == 1  # the pool now holds a used connection
        killer = await asyncpg.connect(_pg_admin_dsn(settings.database_url))  # not pooled
        try:
            ended = await killer.fetchval(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        finally:
            await killer.close()
        assert ended >= 1
        with pytest.raises(DBAPIError) as lost:
            await bus._load(0)
        assert lost.value.connection_invalidated
        assert [e.data for e in await bus._load(0)] == ['{"deleted_id":1}']
    finally:
        await db.dispose()


async def test_the_sqlite_reader_polls_other_processes_commits_and_skips_idle_ticks(settings):
    """Two databases on one SQLite file stand for two server processes: the writer's commits
    wake nobody in the reader's process, its poll finds them; a tick at which nothing was
    committed anywhere reads nothing (``data_version`` unchanged)."""
    reader_db, writer_db = Database(settings.database_url), Database(settings.database_url)
    reader = EventBus(reader_db, poll_s=0.02)
    writer = EventBus(writer_db, poll_s=600)
    loads: list[int] = []
    real_load = reader._load

    async def counted_load(after: int, until: int | None = None) -> list[StoredEvent]:
        loads.append(after)
        return await real_load(after, until)

    reader._load = counted_load  # type: ignore[method-assign]
    await reader.start()
    try:
        subscription = await reader.subscribe(m.Agent(id=1, role="admin"))
        await asyncio.sleep(0.1)
        loads.clear()
        await asyncio.sleep(0.3)  # ~15 poll ticks, nothing committed
        assert loads == []
        for index in range(3):
            async with writer_db.transaction() as session:
                await writer.publish(session, "canned.changed", {"deleted_id": index})
        received: list[StoredEvent] = []
        while len(received) < 3:
            await asyncio.wait_for(subscription.wait(), 5)
            received += subscription.take()
        assert [e.data for e in received] == [f'{{"deleted_id":{i}}}' for i in range(3)]
        assert [e.seq for e in received] == sorted(e.seq for e in received)
        assert loads
    finally:
        await reader.stop()
        await reader_db.dispose()
        await writer_db.dispose()


async def test_a_woken_sqlite_reader_drains_without_asking_the_data_version(settings):
    """A wake-up (a commit of this process) drains at once without ``PRAGMA data_version``;
    the first poll tick after it reads once (the version was left unknown), later idle
    ticks read nothing."""
    db = Database(settings.database_url)
    bus = EventBus(db, poll_s=600)  # no tick until the wake-up below
    asked: list[int] = []
    loads: list[int] = []
    real_version, real_load = db.data_version, bus._load

    def counted_version() -> int | None:
        asked.append(1)
        return real_version()

    async def counted_load(after: int, until: int | None = None) -> list[StoredEvent]:
        loads.append(after)
        return await real_load(after, until)

    db.data_version = counted_version  # type: ignore[method-assign]
    bus._load = counted_load  # type: ignore[method-assign]
    await bus.start()
    try:
        subscription = await bus.subscribe(m.Agent(id=1, role="admin"))
        asked.clear()
        loads.clear()
        async with db.transaction() as session:
            await bus.publish(session, "canned.changed", {"deleted_id": 1})
        bus._poll_s = 0.05  # ticks from the wait after the wake-up's drain on
        bus.wake()
        await asyncio.wait_for(subscription.wait(), 5)
        assert [e.data for e in subscription.take()] == ['{"deleted_id":1}']
        assert asked == []  # the woken drain did not ask
        assert len(loads) == 1
        await asyncio.sleep(0.5)  # ~10 ticks: the first reads once, the others skip
        assert len(loads) == 2
        assert len(asked) >= 2  # the ticks asked (at least the reading one and one more)
    finally:
        await bus.stop()
        await db.dispose()


async def test_wake_ups_within_the_drain_gap_reach_the_streams_in_one_dispatch(settings):
    """The first wake-up of a quiet reader drains at once; one right after a drain waits for
    the rest of ``drain_gap_s``, and what was committed meanwhile is handed to the streams
    with it in one dispatch (one write per stream), in order."""
    db = Database(settings.database_url)
    bus = EventBus(db, poll_s=600, drain_gap_s=1.0)  # no tick; a gap far longer than below
    dispatched = recorded_dispatches(bus)
    await bus.start()
    try:
        subscription = await bus.subscribe(m.Agent(id=1, role="admin"))

        committed = canned_committer(db, bus)
        await committed(1)
        assert [e.data for e in await _received(subscription, 1)] == ['{"deleted_id":1}']
        await committed(2)
        await asyncio.sleep(0.05)  # a reader without the gap drains the second one here
        await committed(3)
        later = await _received(subscription, 2)
        assert [e.data for e in later] == ['{"deleted_id":2}', '{"deleted_id":3}']
        assert dispatched == [['{"deleted_id":1}'], ['{"deleted_id":2}', '{"deleted_id":3}']]
    finally:
        await bus.stop()
        await db.dispose()


async def test_streams_that_see_all_of_a_drains_events_share_one_joined_chunk(settings):
    """Several events in one dispatch: every attached stream that may see them all is written
    the same bytes object (their frames joined, as one HTTP/1.1 chunk), made once; a stream
    that sees only some gets exactly those, in order; nothing already written goes again."""
    db = Database(settings.database_url)
    bus = EventBus(db)
    try:
        written: dict[str, list[tuple[bytes, bytes | None]]] = {}

        def attached(name: str, visibility: Visibility, start_seq: int = 0) -> None:
            subscription = Subscription(visibility, start_seq, limit=100)
            written[name] = []
            assert subscription.attach(lambda frames, chunk: written[name].append((frames, chunk)))
            bus._add(subscription)

        attached("admin", Visibility(1, True, frozenset()))
        attached("other admin", Visibility(2, True, frozenset()))
        attached("both inboxes", Visibility(3, False, frozenset({10, 20})))
        attached("inbox 10", Visibility(4, False, frozenset({10})))
        attached("caught up to 7", Visibility(5, True, frozenset()), start_seq=7)
        events = [
            StoredEvent.from_row(seq, "message.created", f'{{"n":{seq}}}', inbox, None)
            for seq, inbox in ((6, 10), (7, 20), (8, 10))
        ]
        bus._dispatch(events)
        frames = b"".join(event.frame for event in events)
        (all_frames, chunk), *_more = written["admin"]
        assert _more == []
        assert (all_frames, chunk) == (frames, http_chunk(frames))
        assert written["other admin"] == written["both inboxes"] == [(frames, chunk)]
        assert written["other admin"][0][1] is chunk  # made once, for every one of them
        assert written["both inboxes"][0][1] is chunk
        tens = [event.frame for event in events if event.inbox_id == 10]
        assert [f for f, _c in written["inbox 10"]] == [b"".join(tens)]
        assert [f for f, _c in written["caught up to 7"]] == [events[2].frame]
    finally:
        await db.dispose()


def recorded_dispatches(bus: EventBus) -> list[list[str]]:
    """The data of the events of each of ``bus``'s dispatches from now on, in order."""
    dispatched: list[list[str]] = []
    real_dispatch = bus._dispatch

    def recorded(events: list[StoredEvent]) -> None:
        dispatched.append([event.data for event in events])
        real_dispatch(events)

    bus._dispatch = recorded  # type: ignore[method-assign]
    return dispatched


def canned_committer(db: Database, bus: EventBus) -> Callable[[int], Awaitable[None]]:
    """Commits a ``canned.changed`` event (``deleted_id``) in a lean transaction, then wakes
    ``bus`` as a writer does."""

    async def committed(deleted_id: int) -> None:
        async with db.lean() as session:
            await bus.publish(session, "canned.changed", {"deleted_id": deleted_id})
        bus.wake()

    return committed


async def _received(subscription: Subscription, count: int) -> list[StoredEvent]:
    received: list[StoredEvent] = []
    while len(received) < count:
        await asyncio.wait_for(subscription.wait(), 5)
        received += subscription.take()
    return received


def two_buses_counting_reads(
    url: str,
) -> tuple[Database, Database, EventBus, EventBus, list[int]]:
    """Two databases on ``url`` (two processes) with an event bus each, polling rarely; the
    first bus's table reads recorded (the head each read starts after) in the list."""
    db, other = Database(url), Database(url)
    bus, other_bus = EventBus(db, poll_s=600), EventBus(other, poll_s=600)
    loads: list[int] = []
    real_load = bus._load

    async def counted_load(after: int, until: int | None = None) -> list[StoredEvent]:
        loads.append(after)
        return await real_load(after, until)

    bus._load = counted_load  # type: ignore[method-assign]
    return db, other, bus, other_bus, loads


async def test_a_sqlite_lean_commits_events_reach_the_streams_without_reading_them_back(
    settings,
):
    """The events a lean transaction of this process committed go to the streams as inserted
    (ids from ``RETURNING``): the woken reader reads nothing. A commit of another process in
    between (a gap in the ids), an ORM transaction's events, a rolled back lean block: the
    reader reads the table, in order, and nothing is handed over twice or that was not
    committed."""
    db, other, bus, other_bus, loads = two_buses_counting_reads(settings.database_url)
    await bus.start()
    try:
        subscription = await bus.subscribe(m.Agent(id=1, role="admin"))
        loads.clear()
        async with db.lean() as session:
            await bus.publish(session, "canned.changed", {"deleted_id": 1})
            await bus.publish(session, "canned.changed", {"deleted_id": 2})
        bus.wake()
        first = await _received(subscription, 2)
        assert [e.data for e in first] == ['{"deleted_id":1}', '{"deleted_id":2}']
        assert first[1].seq == first[0].seq + 1
        assert first == (await EventBus._load(bus, 0))[-2:]  # as the table gives them (uncounted)
        assert loads == []  # not read back

        async def rolled_back() -> None:
            async with db.lean() as session:
                await bus.publish(session, "canned.changed", {"deleted_id": 0})
                raise RuntimeError("rolled back")

        with pytest.raises(RuntimeError):
            await rolled_back()
        async with db.lean() as session:
            await bus.publish(session, "canned.changed", {"deleted_id": 3})
        async with other.transaction() as session:  # another process: no wake-up here
            await other_bus.publish(session, "canned.changed", {"deleted_id": 4})
        async with db.lean() as session:
            await bus.publish(session, "canned.changed", {"deleted_id": 5})
        bus.wake()
        gap = await _received(subscription, 3)
        assert [e.data for e in gap] == [f'{{"deleted_id":{i}}}' for i in (3, 4, 5)]
        assert len(loads) == 1  # the gap: read from the table

        loads.clear()
        async with db.transaction() as session:  # an ORM transaction's events: read
            await bus.publish(session, "canned.changed", {"deleted_id": 6})
        async with db.lean() as session:
            await bus.publish(session, "canned.changed", {"deleted_id": 7})
        bus.wake()
        orm = await _received(subscription, 2)
        assert [e.data for e in orm] == ['{"deleted_id":6}', '{"deleted_id":7}']
        assert len(loads) == 1
        assert [e.seq for e in first + gap + orm] == sorted({e.seq for e in first + gap + orm})
    finally:
        await bus.stop()
        await db.dispose()
        await other.dispose()


@pytest.mark.parametrize("backend", BACKENDS)
async def test_a_rolled_back_transaction_publishes_nothing(settings):
    db = Database(settings.database_url)
    bus = EventBus(db)
    try:

        async def failing_change():
            async with db.transaction() as session:
                await bus.publish(session, "canned.changed", {"deleted_id": 1})
                raise RuntimeError("business rule broken")

        with pytest.raises(RuntimeError, match="business rule"):
            await failing_change()
        async with db.transaction() as session:
            await bus.publish(session, "canned.changed", {"deleted_id": 2})
            await bus.publish(session, "canned.changed", {"deleted_id": 3}, agent_id=7)
        events = await stored_events(settings)
        assert [(e.data, e.agent_id) for e in events] == [
            ('{"deleted_id":2}', None),
            ('{"deleted_id":3}', 7),
        ]
        assert events[1].id == events[0].id + 1
    finally:
        await db.dispose()


@pytest.mark.parametrize("settings_overrides", [{"keepalive_s": 1.0}])
async def test_idle_stream_gets_keepalive_comments(live_ws):
    ws = live_ws
    headers = ws.auth(ws.admin_id)
    async with ws.http.stream("GET", "/api/v1/events", headers=headers) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        lines = response.aiter_lines()
        line = await asyncio.wait_for(anext(lines), 5)
        assert line.startswith(": ping")


async def raw_frames(ws, agent_id, after: int, count: int) -> list[bytes]:
    """The first ``count`` event frames of a stream, exactly as they come over the wire."""
    buffer = b""
    headers = ws.auth(agent_id)
    async with ws.http.stream(
        "GET", "/api/v1/events", headers=headers, params={"after": after}
    ) as response:
        async for chunk in response.aiter_raw():
            buffer += chunk
            frames = [f for f in buffer.split(b"\r\n\r\n")[:-1] if not f.startswith(b":")]
            if len(frames) >= count:
                return [frame + b"\r\n\r\n" for frame in frames[:count]]
    raise AssertionError("the stream ended early")


async def test_frames_on_the_wire_are_the_stored_events_unchanged(live_ws, settings):
    ws = live_ws
    anna = await ws.agent("Anna", online=True)
    inbox = await ws.inbox("Sales", await ws.team("A", [anna]))
    start = (await ws.call("GET", "/bootstrap", anna))["event_seq"]
    await ws.handoff(inbox, "wa:1", "Two\nlines è")
    stored = [event for event in await stored_events(settings) if event.id > start]
    frames = await raw_frames(ws, anna, start, len(stored))
    expected = [f"id: {e.id}\r\nevent: {e.type}\r\ndata: {e.data}\r\n\r\n".encode() for e in stored]
    assert frames == expected
    assert any("Two\\nlines è" in e.data for e in stored)
    future = await raw_frames(ws, anna, 10**6, 1)
    reset = f'id: {stored[-1].id}\r\nevent: reset\r\ndata: {{"event_seq": {stored[-1].id}}}\r\n\r\n'
    assert future == [reset.encode()]


@dataclass
class RunningServer:
    """A ``ConvosServer`` on a loopback port with the app it serves and one admin's token."""

    server: ConvosServer
    task: asyncio.Task[None]
    bus: EventBus
    url: str
    headers: dict[str, str]


@pytest.fixture
async def convos_server(settings) -> AsyncIterator[RunningServer]:
    """The server ``convos-server serve`` runs, with a long graceful shutdown timeout."""
    await make_admin(settings)
    sock = bind_socket("127.0.0.1", 0)
    app = create_app(settings)
    config = uvicorn_config(app, log_level="warning", timeout_graceful_shutdown=30)
    server = ConvosServer(config, app.state.bus)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    async with httpx.AsyncClient(base_url=url) as http:
        login = {"email": "admin@convos.test", "password": "admin"}
        token = (await http.post("/api/v1/auth/login", json=login)).json()["token"]
    try:
        yield RunningServer(server, task, app.state.bus, url, {"Authorization": f"Bearer {token}"})
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 40)
        sock.close()


async def test_the_server_loop_ticks_a_second_and_exits_at_once_when_asked(convos_server):
    """``ConvosServer.main_loop`` sleeps ``TICK_S`` (1 s) between uvicorn's ticks, yet
    ``should_exit`` set from another thread ends it within a fraction of that."""
    assert ConvosServer.TICK_S == 1.0
    async with httpx.AsyncClient(base_url=convos_server.url) as http:
        answer = await http.get("/api/v1/health")
    assert answer.status_code == 200
    assert answer.headers["date"].endswith(" GMT")  # the tick's once-a-second header
    await asyncio.sleep(0.05)  # the loop is in its one-second wait
    started = time.monotonic()
    await asyncio.to_thread(setattr, convos_server.server, "should_exit", True)
    await asyncio.wait_for(asyncio.shield(convos_server.task), 5)
    assert time.monotonic() - started < 0.5


async def test_the_started_server_keeps_what_it_built_out_of_the_collectors_walks(
    convos_server,
):
    """Once started, the objects built for good (modules, routes, models, pools) are frozen
    out of the cyclic collector's full walks; the shutdown unfreezes them."""
    assert gc.get_freeze_count() > 0
    convos_server.server.should_exit = True
    await asyncio.wait_for(asyncio.shield(convos_server.task), 5)
    assert gc.get_freeze_count() == 0


def test_fastapis_telemetry_asks_no_provider_per_request(settings, monkeypatch):
    """FastAPI's OpenTelemetry is off: a request does not look up the global providers."""
    import opentelemetry._logs
    import opentelemetry.metrics
    import opentelemetry.trace

    def looked_up() -> None:
        raise AssertionError("a provider was looked up")

    app = create_app(settings)
    for module, name in (
        (opentelemetry.trace, "get_tracer_provider"),
        (opentelemetry.metrics, "get_meter_provider"),
        (opentelemetry._logs, "get_logger_provider"),
    ):
        monkeypatch.setattr(module, name, looked_up)
    assert app._native_telemetry.enabled() is False


@pytest.mark.parametrize("settings_overrides", [{"keepalive_s": 60.0}])
async def test_a_client_leaving_ends_its_subscription_at_once(convos_server):
    """Not at the next keep-alive: the server notices the disconnect itself."""
    async with (
        httpx.AsyncClient(base_url=convos_server.url) as http,
        http.stream("GET", "/api/v1/events", headers=convos_server.headers) as response,
    ):
        assert response.status_code == 200
        await wait_for_subscribers(convos_server.bus, 1, 5)
    await wait_for_subscribers(convos_server.bus, 0, 5)


async def test_server_shutdown_ends_open_streams_without_waiting_for_the_timeout(
    convos_server,
):
    async with (
        httpx.AsyncClient(base_url=convos_server.url) as http,
        http.stream("GET", "/api/v1/events", headers=convos_server.headers) as response,
    ):
        await wait_for_subscribers(convos_server.bus, 1, 5)
        started = time.monotonic()
        convos_server.server.should_exit = True
        async with asyncio.timeout(5):  # the graceful shutdown timeout is 30 s
            async for _chunk in response.aiter_raw():
                pass
        await asyncio.wait_for(convos_server.task, 5)
    assert time.monotonic() - started < 5


async def test_several_events_waiting_are_written_in_order_in_one_wake_up(settings):
    """The bus hands events over while the stream is busy; it takes them all at once."""
    db = Database(settings.database_url)
    bus = EventBus(db)
    try:
        subscription = await bus.subscribe(m.Agent(id=1, role="admin"))
        for index in range(3):
            async with db.transaction() as session:
                await bus.publish(session, "canned.changed", {"deleted_id": index})
        await bus._drain()
        await asyncio.wait_for(subscription.wait(), 1)
        taken = subscription.take()
        assert [e.data for e in taken] == [f'{{"deleted_id":{i}}}' for i in range(3)]
        assert [e.seq for e in taken] == sorted(e.seq for e in taken)
        assert subscription.take() == []
    finally:
        await db.dispose()


async def test_a_subscriber_too_far_behind_is_dropped_and_its_stream_ends(settings):
    db = Database(settings.database_url)
    bus = EventBus(db, backlog_limit=2)
    try:
        subscription = await bus.subscribe(m.Agent(id=1, role="admin"))
        async with db.transaction() as session:
            for index in range(3):
                await bus.publish(session, "canned.changed", {"deleted_id": index})
        await bus._drain()
        assert subscription.overflowed
        assert bus.subscriber_count == 0
        assert [e.data for e in subscription.take()] == ['{"deleted_id":0}', '{"deleted_id":1}']
    finally:
        await db.dispose()


async def until_attached(subscription: Subscription) -> None:
    """Until the stream of ``subscription`` is caught up (a writer attached)."""
    for _ in range(250):
        if subscription.attached:
            return
        await asyncio.sleep(0.02)
    raise AssertionError("the stream did not attach a writer")


def _frames(buffer: bytes) -> list[bytes]:
    return [frame + b"\r\n\r\n" for frame in buffer.split(b"\r\n\r\n")[:-1]]


@pytest.mark.parametrize("settings_overrides", [{"keepalive_s": 0.5}])
async def test_live_frames_are_exact_bytes_stored_ephemeral_and_ping(live_ws, live_app):
    """The frames a caught-up stream gets straight from the bus (its attached writer), byte
    for byte: stored events with their ``id``, an ephemeral one without, the keep-alive."""
    ws = live_ws
    anna = await ws.agent("Anna", online=True)
    inbox = await ws.inbox("Sales", await ws.team("A", [anna]))
    bus: EventBus = live_app.state.bus
    db: Database = live_app.state.db
    buffer = b""
    async with ws.http.stream("GET", "/api/v1/events", headers=ws.auth(anna)) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        chunks = response.aiter_raw()
        await wait_for_subscribers(bus, 1, 5)
        (subscription,) = bus._by_agent[anna]
        await until_attached(subscription)
        for index in range(2):
            async with db.transaction() as session:
                await bus.publish(session, "canned.changed", {"deleted_id": index, "note": "è"})
            bus.wake()
        stored = [e for e in await stored_events(ws.settings) if e.type == "canned.changed"]
        typing = {"conversation_id": 5, "agent_id": 99, "typing": "text"}
        while buffer.count(b"event: canned.changed") < 2:
            buffer += await asyncio.wait_for(anext(chunks), 5)
        bus.publish_ephemeral("conversation.typing", typing, inbox_id=inbox["id"], agent_ids=[anna])
        while b": ping" not in buffer.rsplit(b"conversation.typing", 1)[-1]:
            buffer += await asyncio.wait_for(anext(chunks), 5)
    frames = _frames(buffer)
    assert set(frames) >= {b": ping\r\n\r\n"}
    expected = [
        f"id: {e.id}\r\nevent: canned.changed\r\ndata: {e.data}\r\n\r\n".encode() for e in stored
    ]
    expected.append(
        b'event: conversation.typing\r\ndata: {"conversation_id":5,"agent_id":99,'
        b'"typing":"text"}\r\n\r\n'
    )
    assert [f for f in frames if f != b": ping\r\n\r\n"] == expected
    assert '"note":"è"' in stored[0].data


async def test_a_send_that_must_wait_goes_back_to_the_stream_task(settings):
    """A full write buffer (the send suspends): the writer detaches, the stream's task ends
    that send, writes what came meanwhile in one send, then attaches again."""
    db = Database(settings.database_url)
    bus = EventBus(db)
    sent: list[bytes] = []
    gate = asyncio.Event()
    gate.set()
    disconnect = asyncio.Event()

    async def send(message):
        if message["type"] == "http.response.body":
            await gate.wait()
            if message["body"]:
                sent.append(message["body"])

    async def receive():
        await disconnect.wait()
        return {"type": "http.disconnect"}

    async def publish(index: int) -> None:
        async with db.transaction() as session:
            await bus.publish(session, "canned.changed", {"deleted_id": index})
        await bus._drain()

    response = EventStreamResponse(bus, m.Agent(id=1, role="admin"), None, KeepAliveWheel(600.0))
    stream = asyncio.create_task(response({"type": "http", "method": "GET"}, receive, send))
    try:
        await wait_for_subscribers(bus, 1, 5)
        (subscription,) = bus._subscriptions
        await until_attached(subscription)
        gate.clear()
        await publish(0)  # its send waits: detached
        assert not subscription.attached
        await publish(1)
        await publish(2)
        assert sent == []
        gate.set()
        await until_attached(subscription)
        await publish(3)  # straight through the writer again
        frames = [_frames(body) for body in sent]
        assert [[f.split(b"data: ")[1] for f in body] for body in frames] == [
            [b'{"deleted_id":0}\r\n\r\n'],
            [b'{"deleted_id":1}\r\n\r\n', b'{"deleted_id":2}\r\n\r\n'],
            [b'{"deleted_id":3}\r\n\r\n'],
        ]
        disconnect.set()
        await asyncio.wait_for(stream, 5)
        assert bus.subscriber_count == 0
    finally:
        stream.cancel()
        await db.dispose()


def _dechunk(raw: bytes) -> tuple[bytes, bytes]:
    """The response head and the body of a chunked HTTP/1.1 response read so far."""
    head, _, rest = raw.partition(b"\r\n\r\n")
    body: list[bytes] = []
    while b"\r\n" in rest:
        size_line, _, chunk = rest.partition(b"\r\n")
        size = int(size_line, 16)
        if len(chunk) < size + 2:  # not all read yet
            break
        body.append(chunk[:size])
        rest = chunk[size + 2 :]
    return head, b"".join(body)


@pytest.mark.parametrize("settings_overrides", [{"keepalive_s": 600.0}])
async def test_a_reader_too_slow_for_the_direct_writer_gets_every_frame_once_in_order(
    live_ws, live_app, live_server
):
    """Frames go straight to uvicorn's transport (``convos.body_writer``) until its write
    buffer passes the high-water mark; then the ASGI ``send`` waits for the reader and the
    stream's task takes over: every frame arrives once, in order, chunk framing intact."""
    ws = live_ws
    anna = await ws.agent("Anna", online=True)
    bus: EventBus = live_app.state.bus
    db: Database = live_app.state.db
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # a reader that falls behind
    sock.setblocking(False)
    host_port = live_server.removeprefix("http://").split(":")
    await asyncio.get_running_loop().sock_connect(sock, (host_port[0], int(host_port[1])))
    reader, writer = await asyncio.open_connection(sock=sock)
    token = ws.tokens[anna]
    writer.write(
        f"GET /api/v1/events HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n\r\n".encode()
    )
    try:
        await wait_for_subscribers(bus, 1, 5)
        (subscription,) = bus._by_agent[anna]
        await until_attached(subscription)
        note = "x" * 200_000
        published = 0

        async def publish() -> None:
            nonlocal published
            async with db.transaction() as session:
                await bus.publish(session, "canned.changed", {"deleted_id": published, "n": note})
            await bus._drain()
            published += 1

        while subscription.attached:  # until a write has to wait for the reader
            await publish()
            assert published < 200, "the server's write buffer never filled"
        for _ in range(3):  # handed to the stream's task meanwhile
            await publish()
        stored = [e for e in await stored_events(ws.settings) if e.type == "canned.changed"]
        assert len(stored) == published
        expected = "".join(
            f"id: {e.id}\r\nevent: canned.changed\r\ndata: {e.data}\r\n\r\n" for e in stored
        ).encode()
        raw = b""
        while len(raw) < len(expected):  # the body, and the chunk framing around it
            raw += await asyncio.wait_for(reader.read(1 << 20), 10)
        while len(_dechunk(raw)[1]) < len(expected):
            raw += await asyncio.wait_for(reader.read(1 << 20), 10)
        await until_attached(subscription)  # caught up: the writer is back
    finally:
        writer.close()
    head, body = _dechunk(raw)
    assert head.startswith(b"HTTP/1.1 200")
    assert b"transfer-encoding: chunked" in head
    assert body == expected


async def test_a_wake_up_soon_after_a_costly_drain_waits_as_long_as_its_writes_took(settings):
    """Paced drains: after a drain whose writes to the streams took long, a wake-up within
    that long of its end waits for the rest of it, and the commits meanwhile reach the
    streams in one dispatch (one write per stream), in order; the drain gap plays no part."""
    db = Database(settings.database_url)
    bus = EventBus(db, poll_s=600, drain_gap_s=0.0, drain_pace_max_s=5.0)
    dispatched = recorded_dispatches(bus)
    written: asyncio.Queue[bytes] = asyncio.Queue()

    def slow_writer(frames: bytes, _chunk: bytes | None) -> None:
        time.sleep(0.3)  # a costly drain: many streams' writes
        written.put_nowait(frames)

    await bus.start()
    try:
        subscription = await bus.subscribe(m.Agent(id=1, role="admin"))
        assert subscription.attach(slow_writer)

        committed = canned_committer(db, bus)
        await committed(1)
        first = await asyncio.wait_for(written.get(), 5)
        await committed(2)
        await asyncio.sleep(0.05)  # a reader without the pace drains the second one here
        await committed(3)
        second = await asyncio.wait_for(written.get(), 5)
        assert dispatched == [['{"deleted_id":1}'], ['{"deleted_id":2}', '{"deleted_id":3}']]
        assert [first.count(b"canned.changed"), second.count(b"canned.changed")] == [1, 2]
    finally:
        await bus.stop()
        await db.dispose()


@pytest.mark.parametrize("backend", BACKENDS)
async def test_an_events_audience_is_found_without_asking_the_streams_that_cannot_see_it(
    settings, monkeypatch
):
    """A stored event reaches exactly the streams that may see it (an inbox's agents, the
    admins, its agent), each once, found by what they see: the streams of other inboxes are
    not asked, and a stream whose visibility changed is found under its new inboxes only."""
    db = Database(settings.database_url)
    bus = EventBus(db)
    try:
        written: dict[str, list[bytes]] = {}

        def attached(name: str, visibility: Visibility) -> Subscription:
            subscription = Subscription(visibility, 0, limit=100)
            written[name] = []
            assert subscription.attach(lambda frames, _chunk: written[name].append(frames))
            bus._add(subscription)
            return subscription

        attached("admin", Visibility(1, True, frozenset()))
        attached("inbox 7", Visibility(2, False, frozenset({7})))
        agent3 = attached("agent 3, inbox 8", Visibility(3, False, frozenset({8})))
        for n in range(50):
            attached(f"inbox {100 + n}", Visibility(100 + n, False, frozenset({100 + n})))
        asked: list[int] = []
        real_sees = Visibility.sees_inbox

        def counted(self: Visibility, inbox_id: int | None) -> bool:
            asked.append(self.agent_id)
            return real_sees(self, inbox_id)

        monkeypatch.setattr(Visibility, "sees_inbox", counted)

        def event(seq: int, inbox_id: int | None, agent_id: int | None) -> StoredEvent:
            return StoredEvent.from_row(seq, "x.changed", f'{{"n":{seq}}}', inbox_id, agent_id)

        bus._dispatch([event(1, 7, None)])
        bus._dispatch([event(2, 8, 3)])
        bus._dispatch([event(3, 7, 3)])
        bus._dispatch([event(4, None, 3)])
        bus._dispatch([event(5, None, None)])
        assert len(asked) <= 2  # agent 3's own stream, asked whether it sees inboxes 8, 7
        monkeypatch.setattr(Visibility, "sees_inbox", real_sees)
        bus._unindex(agent3)  # as ``_refresh_visibility`` re-files a changed visibility
        agent3.visibility = Visibility(3, False, frozenset({7}))
        bus._index(agent3)
        bus._dispatch([event(6, 8, None), event(7, 7, None)])
        ids = {
            name: [
                int(line[4:])
                for f in frames
                for line in f.decode().split("\r\n")
                if line.startswith("id: ")
            ]
            for name, frames in written.items()
        }
        assert ids["admin"] == [1, 2, 3, 5, 6, 7]  # event 4 is agent 3's alone
        assert ids["inbox 7"] == [1, 3, 5, 7]
        assert ids["agent 3, inbox 8"] == [2, 3, 4, 5, 7]
        assert all(ids[f"inbox {100 + n}"] == [5] for n in range(50))
    finally:
        await db.dispose()
