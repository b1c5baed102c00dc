"""The event bus: events are rows written in the business transaction, then fanned out.

Writers call ``await bus.publish(session, type, data, inbox_id=..., agent_id=...)`` inside
their transaction and ``bus.wake()`` after the commit. The data is serialised at once; the
rows are inserted just before the commit (a ``before_commit`` hook on the database's session
class), so a rolled back transaction publishes nothing. On PostgreSQL that hook first takes
an advisory lock, so sequence order equals commit order while the lock is held only for the
last moment of the transaction, after every row lock (no lock-order deadlock), and sends
``NOTIFY convos_events`` so the readers of every server process wake up (DESIGN §5).

One reader task per process loads new rows once per wake-up (or poll tick) and hands them to
the subscriptions of the SSE streams, filtered by visibility.

Visibility of an event row: ``inbox_id`` visible to the agent, or ``agent_id`` equal to the
agent, or both null (everyone).

Internal events travel the same table but are never sent to a client. ``tokens.revoked``
(written in the transaction that revokes tokens: logout, deactivation, password change) tells
the reader of every process to end the streams opened with those tokens and to drop the
agent's tokens from the process's token cache (``on_revoked``). Riding the event table keeps
it in commit order with everything else and makes it reach a process whose LISTEN connection
was lost (the reader polls); it costs nothing per stream.

Ephemeral events (``conversation.viewing``, ``conversation.typing``: who looks at or types in a
conversation now) are never stored: ``publish_ephemeral`` hands them straight to the named
agents' subscriptions in this process (the conversation's viewers) as a frame without an ``id``
line, so they never move a client's cursor and are not replayed on resume. With several server
processes each one publishes to its own streams: the state behind these events is mirrored
between processes by ``services.live_relay`` (NOTIFY ``convos_live`` on this bus's LISTEN
connection: ``listen`` and ``notify``), and each process publishes the changes it learns."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import functools
import itertools
import json
import logging
import math
import re
import time
from collections.abc import AsyncIterator, Callable, Collection, Iterable
from dataclasses import dataclass
from typing import Any, cast

import asyncpg  # type: ignore[import-untyped]
from sqlalchemy import Delete, Select, Table, delete, func, insert, select, text
from sqlalchemy import event as sa_event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session
from sqlalchemy.util import await_

from convos_server.db import driver_sql
from convos_server.db import models as m
from convos_server.db.engine import Database
from convos_server.errors import ApiError
from convos_server.services.token_cache import NOTIFY_CHANNEL as AGENTS_CHANNEL
from convos_server.services.token_cache import agents_from_payload
from convos_server.services.visibility import Visibility, visibility_for, visibility_map

# An attached stream's writer: ``(frames, the frames as one HTTP/1.1 chunk or None)``.
Writer = Callable[[bytes, bytes | None], None]

log = logging.getLogger("convos.events")

NOTIFY_CHANNEL = "convos_events"
# Any constant works; it only has to be the same in every server process.
ADVISORY_LOCK_KEY = 7_436_001
READ_BATCH = 500
# A wake-up drains at once when the last drain a wake-up started is at least this old, else
# when it is: under a steady stream of commits each drain hands over the events of this long,
# so each stream is written once for several of them (a write per stream is the largest
# part of a delivery's cost); an idle server delivers an event at once (issue 14). SQLite's
# reader only (``EventBus``).
DRAIN_GAP_S = 0.002
# A woken drain also waits, after the end of the last one, as long as that one's writes to
# the streams took (at most ``DRAIN_PACE_MAX_S``): with many streams a drain's writes cost
# more than the gap between commits, and a reader that drained at once after each would write
# every stream once per event (on PostgreSQL a write's row locks make its commits come one by
# one). Paced, the loop spends at most about half its time on a steady stream's deliveries,
# and each stream is written once for the events committed meanwhile; a drain of a few
# streams paces for microseconds (issue 14, pg14n). Both databases.
DRAIN_PACE_MAX_S = 0.02
DEFAULT_MAX_STREAMS_PER_AGENT = 10
# Event types after which subscribers' visible inbox sets are read again.
VISIBILITY_TYPES = frozenset({"inbox.changed", "agent.changed"})
# Internal: ``{"agent_id": int, "token_hashes": [str]}``; never sent to a client.
TOKENS_REVOKED = "tokens.revoked"
# Internal: holds an event id that no other row holds, so SQLite (no AUTOINCREMENT, migration
# 0013) never gives it, nor one below it, again (``db.restore``); never sent to a client.
EVENTS_SKIPPED = "events.skipped"
INTERNAL_TYPES = frozenset({TOKENS_REVOKED, EVENTS_SKIPPED})
# Never stored, never replayed, sent without an id (see ``publish_ephemeral``).
EPHEMERAL_TYPES = frozenset({"conversation.viewing", "conversation.typing"})
EPHEMERAL_SEQ = 0
_PENDING = "convos_pending_events"
# A lean transaction's events as inserted (with their ids), until its COMMIT: on SQLite every
# one (``_insert_pending_lean``), on PostgreSQL a message's event (``keep_inserted``).
_INSERTED = "convos_inserted_events"
# The event rows' INSERT: Core statements on the table built once (an ORM bulk insert
# through the session cost more than the statement itself).
_EVENTS = cast(Table, m.Event.__table__)
_INSERT_EVENTS = insert(_EVENTS)
_INSERT_EVENTS_RETURNING = insert(_EVENTS).returning(_EVENTS.c.id)
# ``_INSERT_EVENTS`` on the inline SQLite connection (``db.driver_sql``; PostgreSQL's: below).
_INSERT_EVENTS_SQL = (
    "INSERT INTO events (type, data, inbox_id, agent_id, created_at) VALUES (?, ?, ?, ?, ?)"
)
_INSERT_EVENT_RETURNING_SQL = _INSERT_EVENTS_SQL + " RETURNING id"


# ``EventBus._load`` on a SQLite file (``Database.loop_reader``): the columns of
# ``StoredEvent.from_row``, in sequence order.
_LOAD_SQL = (
    "SELECT id, type, data, inbox_id, agent_id FROM events"
    " WHERE id > ? AND id <= ? ORDER BY id LIMIT ?"
)
_LOAD_SQL_PG = (
    "SELECT id, type, data, inbox_id, agent_id FROM events"
    " WHERE id > $1 AND id <= $2 ORDER BY id LIMIT $3"
)
_LAST_SEQ = 2**63 - 1  # no upper bound: SQLite's largest rowid, PostgreSQL's largest bigint


async def _insert_on_postgres(driver: asyncpg.Connection, pending: list[dict[str, Any]]) -> None:
    """``_insert_pending``'s statements on the transaction's asyncpg connection, as one
    statement (one round trip instead of three): the advisory lock, then the rows in order,
    then the ``NOTIFY`` of the last id (``_insert_events_pg``)."""
    sql = _insert_events_pg(len(pending))
    values: list[Any] = [ADVISORY_LOCK_KEY, NOTIFY_CHANNEL]
    for event in pending:
        values += (
            event["type"],
            event["data"],
            event["inbox_id"],
            event["agent_id"],
            event["created_at"],
        )
    await driver_sql.pg_run(driver, sql, *values)


@functools.cache
def _insert_events_pg(count: int) -> str:
    """The events' statement for ``count`` rows. The lock's CTE (volatile, so evaluated once
    and first: every row joins its one row) is taken before a row gets its id from the
    sequence, so ids are committed in order across processes; the rows are inserted in the
    order given (``ORDER BY`` the position); the last id is notified at the commit."""
    rows = ", ".join(
        f"(${5 * n + 3}::varchar, ${5 * n + 4}::text, ${5 * n + 5}::integer,"
        f" ${5 * n + 6}::integer, ${5 * n + 7}::timestamptz, {n})"
        for n in range(count)
    )
    return (
        "WITH locked AS MATERIALIZED (SELECT pg_advisory_xact_lock($1)),"
        " inserted AS (INSERT INTO events (type, data, inbox_id, agent_id, created_at)"
        " SELECT v.type, v.data, v.inbox_id, v.agent_id, v.created_at"
        f" FROM locked, (VALUES {rows}) AS v (type, data, inbox_id, agent_id, created_at, position)"
        " ORDER BY v.position RETURNING id)"
        " SELECT pg_notify($2, max(id)::text) FROM inserted"
    )


def encoded(data: dict[str, Any]) -> str:
    """An event's data as it is stored (compact JSON, non-ASCII kept)."""
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False)


def nothing_pending(session: AsyncSession | Session) -> bool:
    """Whether ``session``'s transaction has queued no event yet (``publish_later``)."""
    return not session.info.get(_PENDING)


def keep_inserted(session: AsyncSession, event: StoredEvent) -> None:
    """``event`` was inserted by ``session``'s lean transaction (a statement of its own, as
    ``messages.insert_published``'s): once the transaction commits the bus hands it to the
    streams without reading it back (``EventBus._keep_committed``)."""
    session.info.setdefault(_INSERTED, []).append(event)


def _event_values(event: dict[str, Any]) -> tuple[Any, ...]:
    """A pending event's values for ``_INSERT_EVENTS_SQL``, stored as SQLAlchemy stores them."""
    return (
        event["type"],
        event["data"],
        event["inbox_id"],
        event["agent_id"],
        driver_sql.stored_moment(event["created_at"]),
    )


_ADVISORY_LOCK = text("SELECT pg_advisory_xact_lock(:key)")
_NOTIFY = text("SELECT pg_notify(:channel, :seq)")
_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def sse_frame(seq: int, type_: str, data: str) -> bytes:
    """The Server-Sent Events frame of one event, as the streams write it.

    ``id``, ``event``, then one ``data:`` line per line of ``data``, CRLF line ends, a blank
    line at the end. JSON text has no line breaks, so this is normally a single data line.
    """
    lines = "".join(f"data: {line}\r\n" for line in _LINE_BREAK.split(data))
    return f"id: {seq}\r\nevent: {type_}\r\n{lines}\r\n".encode()


def http_chunk(data: bytes) -> bytes:
    """``data`` (not empty) as one chunk of HTTP/1.1's chunked transfer coding, the bytes
    uvicorn writes for a body message of a response without a ``content-length``."""
    return b"%x\r\n%b\r\n" % (len(data), data)


def ephemeral_frame(type_: str, data: str) -> bytes:
    """The SSE frame of an ephemeral event: no ``id`` line, so the client's cursor stays."""
    return f"event: {type_}\r\ndata: {data}\r\n\r\n".encode()


@dataclass(frozen=True, slots=True)
class StoredEvent:
    """One event row as the streams need it; ``data`` is the JSON text sent as is.

    ``frame`` is its SSE frame, encoded once and written unchanged to every stream; ``chunk``
    the same frame as one HTTP/1.1 chunk, for the streams that write straight to their
    connection (``convos_server.body_writer``), also shared by all of them.
    """

    seq: int
    type: str
    data: str
    inbox_id: int | None
    agent_id: int | None
    frame: bytes
    chunk: bytes

    @classmethod
    def from_row(
        cls, seq: int, type_: str, data: str, inbox_id: int | None, agent_id: int | None
    ) -> StoredEvent:
        """The event of one table row, with its frame."""
        frame = sse_frame(seq, type_, data)
        return cls(seq, type_, data, inbox_id, agent_id, frame, http_chunk(frame))


def _seq(event: StoredEvent) -> int:
    return event.seq


def is_visible(event: StoredEvent, visibility: Visibility) -> bool:
    """Whether the agent with ``visibility`` may receive ``event`` (internal events: never)."""
    if event.type in INTERNAL_TYPES:
        return False
    if event.inbox_id is None and event.agent_id is None:
        return True
    if event.agent_id is not None and event.agent_id == visibility.agent_id:
        return True
    return event.inbox_id is not None and visibility.sees_inbox(event.inbox_id)


class Subscription:
    """The live side of one event stream: the events the bus handed over, not yet written.

    ``start_seq`` is the reader position when it subscribed: the bus hands over every event
    after it, the stream reads older ones from the table. The stream waits with ``wait()``
    and takes everything that came meanwhile with ``take()``, so a burst of events costs it
    one wake-up and one write. ``overflowed`` is set when more than ``limit`` events were
    waiting: the bus drops the subscription and the stream ends after writing what it has;
    the client resumes with ``Last-Event-ID``. ``closed`` is set when the server shuts down
    or the client went away, and (with ``revoked``) when the token the stream was opened with
    (``token_hash``) is revoked.

    Once the stream has written everything it was handed, it may ``attach`` a writer: from
    then on the bus hands each delivery's frames (those after ``last_seq``, and ephemeral
    ones) straight to it, with no wake-up of the stream's task, until the writer ``detach``es
    (it could not write at once) or the subscription closes. ``last_seq`` is the newest
    stored event written, kept here so both ways skip what the other already wrote.
    """

    __slots__ = (
        "_limit",
        "_pending",
        "_waiter",
        "_writer",
        "closed",
        "last_seq",
        "overflowed",
        "revoked",
        "start_seq",
        "token_hash",
        "visibility",
    )

    def __init__(
        self, visibility: Visibility, start_seq: int, limit: int, token_hash: str | None = None
    ) -> None:
        self.visibility = visibility
        self.start_seq = start_seq
        self.token_hash = token_hash
        self.revoked = False
        self.overflowed = False
        self.closed = False
        self.last_seq = start_seq
        self._limit = limit
        self._pending: list[StoredEvent] = []
        self._waiter: asyncio.Future[None] | None = None
        self._writer: Writer | None = None

    def attach(self, writer: Writer) -> bool:
        """Deliver by calling ``writer(frames, chunk)`` from now on (``chunk``: the frames as
        one HTTP/1.1 chunk when the event has it ready, else ``None``); ``False`` (not
        attached) while events are pending or the subscription has ended: the stream writes
        those first."""
        if self._pending or self.overflowed or self.closed:
            return False
        self._writer = writer
        return True

    def detach(self) -> None:
        """Hand events over by ``take()`` again (the writer could not write at once)."""
        self._writer = None

    @property
    def attached(self) -> bool:
        """Whether a writer takes the deliveries."""
        return self._writer is not None

    def push(self, event: StoredEvent) -> bool:
        """Hand ``event`` to the stream; ``False`` (``overflowed``) when it is too far behind.

        An ephemeral event is simply left out when the stream is that far behind: it is
        stale by the time the stream would write it, and nothing is lost by the resume.
        """
        writer = self._writer
        if writer is not None:
            seq = event.seq
            if seq == EPHEMERAL_SEQ:
                writer(event.frame, event.chunk)
            elif seq > self.last_seq:
                self.last_seq = seq
                writer(event.frame, event.chunk)
            return True
        if len(self._pending) >= self._limit:
            if event.seq == EPHEMERAL_SEQ:
                return True
            self.overflowed = True
            self.wake()
            return False
        self._pending.append(event)
        self.wake()
        return True

    def push_all(
        self, events: list[StoredEvent], joined: tuple[bytes, bytes] | None = None
    ) -> bool:
        """``push`` each of ``events`` (oldest first): one write for all of them when attached.
        ``joined``: the frames of ``events`` (stored events, in order) joined and as one
        HTTP/1.1 chunk, shared by the streams that take them all (``EventBus._dispatch``)."""
        writer = self._writer
        if writer is None or len(events) == 1:
            return all(self.push(event) for event in events)
        if joined is not None and events[0].seq > self.last_seq:
            self.last_seq = events[-1].seq
            writer(*joined)
            return True
        frames = []
        last = self.last_seq
        for event in events:
            if event.seq == EPHEMERAL_SEQ:
                frames.append(event.frame)
            elif event.seq > last:
                frames.append(event.frame)
                last = event.seq
        self.last_seq = last
        if frames:
            writer(b"".join(frames), None)
        return True

    def close(self) -> None:
        """End the stream after what it has already taken."""
        self.closed = True
        self._writer = None
        self.wake()

    def wake(self) -> None:
        """Resume the stream's ``wait()`` (at most one wake-up until it waits again)."""
        waiter = self._waiter
        if waiter is not None:
            self._waiter = None
            if not waiter.done():
                waiter.set_result(None)

    async def wait(self) -> None:
        """Until events are pending, the subscription ended, or ``wake()`` was called."""
        if self._pending or self.overflowed or self.closed:
            return
        waiter = asyncio.get_running_loop().create_future()
        self._waiter = waiter
        try:
            await waiter
        finally:
            self._waiter = None

    def take(self) -> list[StoredEvent]:
        """The pending events, oldest first; the subscription keeps none of them."""
        pending, self._pending = self._pending, []
        return pending

    def take_frames(self) -> bytes:
        """The frames of the pending events after ``last_seq`` (and ephemeral ones), joined;
        ``last_seq`` moves to the newest of them."""
        frames = []
        last = self.last_seq
        for event in self.take():
            if event.seq == EPHEMERAL_SEQ:  # live only: no id, whatever the cursor
                frames.append(event.frame)
            elif event.seq > last:
                frames.append(event.frame)
                last = event.seq
        self.last_seq = last
        return b"".join(frames)


class EventBus:
    """Publishes events in transactions and fans them out to subscribers."""

    def __init__(
        self,
        db: Database,
        *,
        backlog_limit: int = 2000,
        poll_s: float = 1.0,
        on_revoked: Callable[[set[int]], None] | None = None,
        on_agents_changed: Callable[[set[int]], None] | None = None,
        on_agent_gone: Callable[[int], None] | None = None,
        on_agent_here: Callable[[int], None] | None = None,
        max_streams_per_agent: int = DEFAULT_MAX_STREAMS_PER_AGENT,
        drain_gap_s: float | None = None,
        drain_pace_max_s: float = DRAIN_PACE_MAX_S,
    ) -> None:
        self._db = db
        self._on_revoked = on_revoked
        self._on_agents_changed = on_agents_changed
        # Called with an agent id when its last stream in this process ends (services.live).
        self.on_agent_gone = on_agent_gone
        # Called with an agent id when its first stream in this process starts.
        self.on_agent_here = on_agent_here
        # Further NOTIFY channels of the LISTEN connection: channel -> payload handler, and
        # what to call each time that connection is (again) up (``listen``).
        self._channels: dict[str, Callable[[str], None]] = {}
        self._on_listening: list[Callable[[], None]] = []
        self._listen_connection: Any = None
        self._backlog_limit = backlog_limit
        self._max_streams_per_agent = max_streams_per_agent
        self._poll_s = poll_s
        # ``DRAIN_GAP_S`` on SQLite; none on PostgreSQL, whose reader every commit's
        # ``NOTIFY`` wakes too: there the gap measured no gain (issue 14, sq14m).
        if drain_gap_s is None:
            drain_gap_s = 0.0 if db.is_postgres else DRAIN_GAP_S
        self._drain_gap_s = drain_gap_s
        self._drain_pace_max_s = drain_pace_max_s
        # Seconds of ``time.perf_counter`` the dispatches took since the reader last asked.
        self._dispatch_s = 0.0
        self._subscriptions: set[Subscription] = set()
        # The same subscriptions by agent: an ephemeral event's audience found in O(1).
        self._by_agent: dict[int, set[Subscription]] = {}
        # And by what they see (``_index``): the admins' (everything), the others' by each
        # inbox they see. A stored event's audience is read off these, not found by asking
        # every stream of the process (issue 14, pg14n).
        self._seeing_all: set[Subscription] = set()
        self._by_inbox: dict[int, set[Subscription]] = {}
        self._closing = False
        self._wakeup = asyncio.Event()
        self._head = 0
        # PostgreSQL: the newest event id a ``NOTIFY`` named, and whether a wake-up since the
        # last drain came from this process (``wake``). Most notifications name events this
        # process committed and has read already (its own ``wake`` came first): a wake-up by
        # such notifications alone reads nothing (issue 14, fourteenth round).
        self._notified = 0
        self._woken_here = False
        self._tasks: list[asyncio.Task[None]] = []
        # Events this process's SQLite lean transactions committed, oldest first, not yet
        # handed over: the reader takes them instead of reading them back (``_committed_run``).
        self._committed: list[StoredEvent] = []
        # A transaction other than a lean one inserted events: the next drain reads the table.
        self._inserted_elsewhere = False
        sa_event.listen(db.session_class, "before_commit", self._insert_pending)
        sa_event.listen(db.session_class, "after_rollback", self._drop_pending)
        db.lean_before_commit.append(self._insert_pending_lean)
        db.lean_after_commit.append(self._keep_committed)

    # -- writing -------------------------------------------------------------------------

    def publish_later(
        self,
        session: AsyncSession | Session,
        type_: str,
        data: dict[str, Any],
        *,
        inbox_id: int | None = None,
        agent_id: int | None = None,
    ) -> None:
        """Queue an event for the commit of ``session``'s transaction (see module docs)."""
        text_data = encoded(data)
        pending: list[dict[str, Any]] = session.info.setdefault(_PENDING, [])
        pending.append(
            {
                "type": type_,
                "data": text_data,
                "inbox_id": inbox_id,
                "agent_id": agent_id,
                "created_at": m.utcnow(),
            }
        )

    async def publish(
        self,
        session: AsyncSession,
        type_: str,
        data: dict[str, Any],
        *,
        inbox_id: int | None = None,
        agent_id: int | None = None,
    ) -> None:
        """Add an event to the transaction of ``session`` (async spelling of publish_later)."""
        self.publish_later(session, type_, data, inbox_id=inbox_id, agent_id=agent_id)

    def publish_revocation(
        self, session: AsyncSession | Session, agent_id: int, token_hashes: Collection[str]
    ) -> None:
        """Queue the internal ``tokens.revoked`` event: every process ends those streams."""
        if token_hashes:
            data = {"agent_id": agent_id, "token_hashes": sorted(token_hashes)}
            self.publish_later(session, TOKENS_REVOKED, data, agent_id=agent_id)

    def publish_ephemeral(
        self, type_: str, data: dict[str, Any], *, inbox_id: int, agent_ids: Collection[int]
    ) -> None:
        """Send a live-only event now to the streams of ``agent_ids`` (those who see
        ``inbox_id``) in this process; never stored.

        The one function every ephemeral event goes through (see module docs); with several
        server processes each publishes the changes it learns from the others
        (``services.live_relay``) here too. The audience is named (the conversation's
        viewers), so an event costs a few writes, not one per agent connected.
        """
        if not agent_ids:
            return
        text_data = encoded(data)
        frame = ephemeral_frame(type_, text_data)
        event = StoredEvent(
            EPHEMERAL_SEQ, type_, text_data, inbox_id, None, frame, http_chunk(frame)
        )
        for agent_id in frozenset(agent_ids):
            for subscription in self._by_agent.get(agent_id, ()):
                if subscription.visibility.sees_inbox(inbox_id):
                    subscription.push(event)

    def streaming_agents(self) -> list[int]:
        """The agents holding event streams in this process."""
        return list(self._by_agent)

    def listen(
        self,
        channel: str,
        on_payload: Callable[[str], None],
        on_listening: Callable[[], None] | None = None,
    ) -> None:
        """PostgreSQL: hand every NOTIFY payload of ``channel`` to ``on_payload`` (any process's,
        this one's too), and call ``on_listening`` each time the LISTEN connection is up: what
        came while it was down was lost. Before ``start``."""
        self._channels[channel] = on_payload
        if on_listening is not None:
            self._on_listening.append(on_listening)

    async def notify(self, channel: str, payloads: list[str]) -> bool:
        """Send ``payloads`` (each under 8,000 bytes), in order and in one transaction, on the
        LISTEN connection; ``False`` when it is down or the sending failed (nothing sent).

        One caller at a time: the connection runs one statement at a time."""
        connection = self._listen_connection
        if connection is None or connection.is_closed():
            return False
        try:
            await connection.execute(
                "SELECT pg_notify($1, p) FROM unnest($2::text[]) AS p", channel, payloads
            )
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError):
            log.warning("NOTIFY %s failed", channel, exc_info=True)
            return False
        return True

    def live_visibility(self, agent_id: int, token_hash: str) -> Visibility | None:
        """What the agent sees, from its open event stream in this process with that token
        (kept up to date by the bus), or ``None`` when it has no such stream.

        An open stream also vouches for the token: a revocation ends it."""
        for subscription in self._by_agent.get(agent_id, ()):
            if subscription.token_hash == token_hash and not (
                subscription.revoked or subscription.closed
            ):
                return subscription.visibility
        return None

    def _add(self, subscription: Subscription) -> None:
        self._subscriptions.add(subscription)
        self._by_agent.setdefault(subscription.visibility.agent_id, set()).add(subscription)
        self._index(subscription)

    def _discard(self, subscription: Subscription) -> None:
        if subscription not in self._subscriptions:
            return
        self._subscriptions.discard(subscription)
        agent_id = subscription.visibility.agent_id
        mine = self._by_agent.get(agent_id)
        if mine is not None:
            mine.discard(subscription)
            if not mine:
                del self._by_agent[agent_id]
        self._unindex(subscription)

    def _index(self, subscription: Subscription) -> None:
        """File ``subscription`` under what its visibility sees."""
        visibility = subscription.visibility
        if visibility.everything:
            self._seeing_all.add(subscription)
            return
        for inbox_id in visibility.inbox_ids:
            self._by_inbox.setdefault(inbox_id, set()).add(subscription)

    def _unindex(self, subscription: Subscription) -> None:
        """Undo ``_index`` (with the visibility it was filed under)."""
        visibility = subscription.visibility
        if visibility.everything:
            self._seeing_all.discard(subscription)
            return
        for inbox_id in visibility.inbox_ids:
            seeing = self._by_inbox.get(inbox_id)
            if seeing is not None:
                seeing.discard(subscription)
                if not seeing:
                    del self._by_inbox[inbox_id]

    def _audience(self, event: StoredEvent) -> Iterable[Subscription]:
        """The subscriptions that may see ``event`` (``is_visible``), each once."""
        if event.type in INTERNAL_TYPES:
            return ()
        inbox_id, agent_id = event.inbox_id, event.agent_id
        if inbox_id is None:
            if agent_id is None:
                return self._subscriptions
            return self._by_agent.get(agent_id, ())
        seeing = self._by_inbox.get(inbox_id, ())
        if agent_id is None:
            return itertools.chain(seeing, self._seeing_all)
        own = [
            subscription
            for subscription in self._by_agent.get(agent_id, ())
            if not subscription.visibility.sees_inbox(inbox_id)
        ]
        return itertools.chain(seeing, self._seeing_all, own)

    def _insert_pending(self, session: Session) -> None:
        pending = session.info.pop(_PENDING, None)
        if not pending:
            return
        self._inserted_elsewhere = True  # before its COMMIT: its wake-up finds it set
        # The commit flushes after this hook: the session's pending changes (and their row
        # locks) go first, so the advisory lock stays the transaction's last lock.
        session.flush()
        if (driver := driver_sql.postgres(session)) is not None:  # the transaction's asyncpg
            await_(_insert_on_postgres(driver, pending))
        elif self._db.is_postgres:
            connection = session.connection()
            connection.execute(_ADVISORY_LOCK, {"key": ADVISORY_LOCK_KEY})
            ids = connection.execute(_INSERT_EVENTS_RETURNING, pending).scalars().all()
            connection.execute(_NOTIFY, {"channel": NOTIFY_CHANNEL, "seq": str(max(ids))})
        elif (raw := driver_sql.current(session)) is not None:  # the inline SQLite connection
            driver_sql.run_many(raw, _INSERT_EVENTS_SQL, [_event_values(e) for e in pending])
        else:  # the readers poll and are woken in process: no ids needed
            session.connection().execute(_INSERT_EVENTS, pending)

    async def _insert_pending_lean(self, session: AsyncSession) -> None:
        """``_insert_pending`` for a ``Database.lean`` transaction (on its driver); on SQLite
        each row's id is returned and the events kept with it for ``_keep_committed``. On
        PostgreSQL the ids are not returned: the next drain reads the table (the flag)."""
        pending = session.info.pop(_PENDING, None)
        if not pending:
            return
        if (driver := driver_sql.postgres(session)) is not None:
            self._inserted_elsewhere = True  # before its COMMIT, as ``_insert_pending``
            await _insert_on_postgres(driver, pending)
        elif (raw := driver_sql.current(session)) is not None:
            inserted = []
            for event in pending:
                (seq,) = driver_sql.one(raw, _INSERT_EVENT_RETURNING_SQL, _event_values(event))
                inserted.append(
                    StoredEvent.from_row(
                        seq, event["type"], event["data"], event["inbox_id"], event["agent_id"]
                    )
                )
            session.info[_INSERTED] = inserted

    def _keep_committed(self, session: AsyncSession) -> None:
        """A lean transaction committed: the events it inserted with their ids (SQLite: all,
        PostgreSQL: ``keep_inserted``'s) wait for the reader's next drain (at most
        ``READ_BATCH``: a reader that does not drain reads them from the table)."""
        inserted = session.info.pop(_INSERTED, None)
        if inserted:
            if len(self._committed) + len(inserted) > READ_BATCH:
                self._committed.clear()
                return
            self._committed += inserted

    def _committed_run(self) -> list[StoredEvent]:
        """The events committed in this process right after ``_head``, when they are all
        that a read of the table from ``_head`` could be sure to find now: consecutive ids
        from ``_head + 1`` (a gap is a commit of another transaction or process: then
        nothing, and the table is read), and no other transaction of this process inserted
        events since the last drain (its events would be among them or after them). Taken
        either way."""
        committed, self._committed = self._committed, []
        if self._inserted_elsewhere:
            self._inserted_elsewhere = False
            return []
        head = self._head
        # PostgreSQL: two commits of this process may be handed in the other order.
        run = sorted((event for event in committed if event.seq > head), key=_seq)
        for offset, event in enumerate(run, start=1):
            if event.seq != head + offset:
                return []
        return run

    @staticmethod
    def _drop_pending(session: Session, *_args: Any) -> None:
        session.info.pop(_PENDING, None)

    def wake(self) -> None:
        """Tell the reader that events were committed."""
        self._woken_here = True
        self._wakeup.set()

    def _events_notified(self, _connection: object, _pid: int, _channel: str, payload: str) -> None:
        """``NOTIFY convos_events`` of a commit in any process, its newest event id as the
        payload: the reader wakes unless it has handed that id over already (ids commit in
        order: the advisory lock)."""
        try:
            seq = int(payload)
        except ValueError:
            self.wake()
            return
        if seq > self._head:
            self._notified = max(self._notified, seq)
            self._wakeup.set()

    # -- reading -------------------------------------------------------------------------

    async def stored_head(self) -> int:
        """The newest sequence number in the table (0 when empty)."""
        async with self._db.quick_read() as connection:
            head = await connection.scalar(select(func.coalesce(func.max(m.Event.id), 0)))
        return int(head or 0)

    async def resume_point(self, cursor: int) -> tuple[int, bool]:
        """``(head, resumable)``: the newest sequence number, and whether ``cursor`` is a
        point of this database's history a stream can go on from.

        Resumable: a stored event's id, or just before the oldest one kept (0 on an empty
        table). Anything else is newer than the head, expired by retention, or from another
        history: a cursor in the ids ``after-restore`` skipped, which a restored database
        never wrote (see docs/deployment.md, "Backups and restore").
        """
        async with self._db.quick_read() as connection:
            head, oldest, exists = (await connection.execute(resume_point_query(cursor))).one()
        head = int(head or 0)
        edge = (int(oldest) if oldest is not None else head + 1) - 1
        return head, cursor <= head and (bool(exists) or cursor == edge)

    async def read(self, after: int, until: int) -> AsyncIterator[list[StoredEvent]]:
        """Stored events with ``after < seq <= until``, in batches, oldest first."""
        while after < until:
            batch = await self._load(after, until)
            if not batch:
                return
            yield batch
            after = batch[-1].seq

    async def _load(self, after: int, until: int | None = None) -> list[StoredEvent]:
        last = _LAST_SEQ if until is None else until
        reader = self._db.loop_reader
        if reader is not None:  # SQLite file: the same read without SQLAlchemy's overhead
            rows = reader.rows(_LOAD_SQL, (after, last, READ_BATCH))
            return [StoredEvent.from_row(*row) for row in rows]
        kept = self._db.kept_connections
        if kept is not None:  # PostgreSQL: the same on a kept connection's asyncpg connection
            async with kept.rows() as pg:
                rows = await pg.fetch(_LOAD_SQL_PG, (after, last, READ_BATCH))
            return [StoredEvent.from_row(*row) for row in rows]
        query = select(
            m.Event.id, m.Event.type, m.Event.data, m.Event.inbox_id, m.Event.agent_id
        ).where(m.Event.id > after)
        if until is not None:
            query = query.where(m.Event.id <= until)
        async with self._db.quick_read() as connection:  # a primary-key range: short
            result = await connection.execute(query.order_by(m.Event.id).limit(READ_BATCH))
            return [StoredEvent.from_row(*row) for row in result]

    # -- subscribers ---------------------------------------------------------------------

    async def subscribe(self, agent: m.Agent, token_hash: str | None = None) -> Subscription:
        """Start receiving live events visible to ``agent``.

        With ``token_hash`` (the stream's token) the subscription ends when that token is
        revoked. The token is checked again once registered: a revocation the reader had
        already passed is seen in the table, a later one reaches the subscription.
        429 ``too_many_streams`` when the agent already holds ``max_streams_per_agent``
        streams in this process (checked and counted without an await in between).
        """
        async with self._db.read() as session:
            visibility = await visibility_for(session, agent)
        if self.streams_of(agent.id) >= self._max_streams_per_agent:
            raise ApiError(
                429,
                "too_many_streams",
                f"At most {self._max_streams_per_agent} event streams per agent are open at once",
            )
        subscription = Subscription(visibility, self._head, self._backlog_limit, token_hash)
        if self._closing:
            subscription.close()
            return subscription
        self._add(subscription)
        agent_id = agent.id
        if self.on_agent_here is not None and self.streams_of(agent_id) == 1:
            self.on_agent_here(agent_id)
        if token_hash is not None and not await self._token_is_live(token_hash):
            subscription.revoked = True
            subscription.close()
            self.unsubscribe(subscription)
        return subscription

    async def _token_is_live(self, token_hash: str) -> bool:
        query = (
            select(m.AuthToken.id)
            .join(m.Agent, m.Agent.id == m.AuthToken.agent_id)
            .where(
                m.AuthToken.token_hash == token_hash,
                m.AuthToken.revoked_at.is_(None),
                m.Agent.active.is_(True),
            )
        )
        async with self._db.quick_read() as connection:
            return await connection.scalar(query) is not None

    def unsubscribe(self, subscription: Subscription) -> None:
        """Stop feeding ``subscription``; the agent's last stream gone: ``on_agent_gone``."""
        self._discard(subscription)
        agent_id = subscription.visibility.agent_id
        if self.on_agent_gone is not None and not self._closing and not self.streams_of(agent_id):
            self.on_agent_gone(agent_id)

    def streams_of(self, agent_id: int) -> int:
        """How many streams ``agent_id`` holds in this process."""
        return len(self._by_agent.get(agent_id, ()))

    @property
    def subscriber_count(self) -> int:
        """How many streams are subscribed in this process."""
        return len(self._subscriptions)

    def _dispatch(self, events: list[StoredEvent]) -> None:
        """Hand ``events`` (oldest first) to every subscriber, each what it may see in one
        ``push_all``: one write per stream for the lot."""
        if not events:
            return
        started = time.perf_counter()
        slow: list[Subscription] = []
        if len(events) == 1:
            (event,) = events
            for subscription in self._audience(event):
                if not subscription.push(event):
                    slow.append(subscription)
        else:
            # The frames of all of them joined and chunked once, for every stream that may
            # see them all (most do): not once per stream.
            joined: tuple[bytes, bytes] | None = None
            audience: set[Subscription] = set()
            for event in events:
                audience.update(self._audience(event))
            for subscription in audience:
                visibility = subscription.visibility
                mine = [event for event in events if is_visible(event, visibility)]
                if not mine:
                    continue
                shared = None
                if len(mine) == len(events):
                    if joined is None:
                        frames = b"".join(event.frame for event in events)
                        joined = (frames, http_chunk(frames))
                    shared = joined
                if not subscription.push_all(mine, shared):
                    slow.append(subscription)
        for subscription in slow:
            log.warning(
                "dropping a slow event subscriber of agent %s", subscription.visibility.agent_id
            )
            self._discard(subscription)
        self._dispatch_s += time.perf_counter() - started

    def close_subscriptions(self) -> None:
        """End every stream of this process, and any opened later (server shutdown)."""
        self._closing = True
        for subscription in self._subscriptions:
            subscription.close()
        self._subscriptions.clear()
        self._by_agent.clear()
        self._seeing_all.clear()
        self._by_inbox.clear()

    async def _refresh_visibility(self) -> None:
        subscriptions = list(self._subscriptions)
        admin_by_agent = {s.visibility.agent_id: s.visibility.everything for s in subscriptions}
        async with self._db.sessionmaker() as session:
            rows = await session.execute(
                select(m.Agent.id, m.Agent.role).where(m.Agent.id.in_(admin_by_agent))
            )
            roles = dict(rows.all())
            admin_by_agent = {a: roles.get(a) == "admin" for a in admin_by_agent}
            fresh = await visibility_map(session, admin_by_agent)
        for subscription in subscriptions:
            indexed = subscription in self._subscriptions
            if indexed:
                self._unindex(subscription)
            subscription.visibility = fresh[subscription.visibility.agent_id]
            if indexed:
                self._index(subscription)

    def _revoke(self, event: StoredEvent) -> None:
        """End the streams of the revoked tokens and forget the agent's cached tokens."""
        data = json.loads(event.data)
        revoked = set(data["token_hashes"])
        ended = [s for s in self._subscriptions if s.token_hash in revoked]
        for subscription in ended:
            subscription.revoked = True
            subscription.close()
            self._discard(subscription)
        if ended:
            log.info("ended %d event streams of revoked tokens", len(ended))
        if self._on_revoked is not None:
            self._on_revoked({int(data["agent_id"])})

    async def _drain(self) -> None:
        """Load the new rows and hand them over, a run of events at a time: a revocation or
        a change of visibility first hands over the events before it (``_head`` follows what
        was handed over, so a stream subscribing meanwhile misses nothing)."""
        while True:
            committed = self._committed_run()
            batch = committed or await self._load(self._head)
            run: list[StoredEvent] = []
            for event in batch:
                if event.type == TOKENS_REVOKED:
                    self._hand_over(run)
                    self._revoke(event)
                    self._head = event.seq
                    continue
                if event.type in VISIBILITY_TYPES and self._subscriptions:
                    self._hand_over(run)
                    await self._refresh_visibility()
                run.append(event)
            self._hand_over(run)
            if committed and self._notified > self._head:
                continue  # PostgreSQL: a newer commit was notified meanwhile: read it now
            if len(batch) < READ_BATCH:
                return

    def _hand_over(self, run: list[StoredEvent]) -> None:
        """Dispatch ``run`` and empty it."""
        if run:
            self._dispatch(run)
            self._head = run[-1].seq
            run.clear()

    async def _read_loop(self) -> None:
        """Drain on every wake-up, and on every poll tick at which the database may hold
        new rows: another process's commits wake nobody here. On a SQLite file a tick that
        finds ``data_version`` unchanged since the last drain skips the read (nothing was
        committed anywhere); elsewhere every tick reads. A wake-up drains without asking
        (a commit of this process woke it: the version is known to have moved) and leaves the
        version unknown, so the next tick drains once more and learns it: one statement fewer
        per message (issue 14, thirteenth round). A wake-up within ``drain_gap_s`` of the last
        drain a wake-up started waits for the rest of it, and the commits meanwhile are
        drained with it: one write per stream for them all (``DRAIN_GAP_S``); so does one
        sooner after the end of the last woken drain than that drain's writes took
        (``DRAIN_PACE_MAX_S``)."""
        drained_at: int | None = None  # the data version the last drain started from
        loop = asyncio.get_running_loop()
        woken_drain_at = -math.inf  # when the last drain of a wake-up started
        paced_until = -math.inf  # ``time.perf_counter``: no woken drain before this
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wakeup.wait(), self._poll_s)
            woken = self._wakeup.is_set()
            if woken:
                early = max(
                    woken_drain_at + self._drain_gap_s - loop.time(),
                    paced_until - time.perf_counter(),
                )
                if early > 0:
                    await asyncio.sleep(early)
                woken_drain_at = loop.time()
                self._dispatch_s = 0.0
            self._wakeup.clear()
            here, self._woken_here = self._woken_here, False
            if woken and not here and self._notified <= self._head:
                continue  # only notifications of events a drain meanwhile handed over
            try:
                if woken:
                    drained_at = None
                    await self._drain()
                    spent = min(self._dispatch_s, self._drain_pace_max_s)
                    paced_until = time.perf_counter() + spent
                    continue
                version = self._db.data_version()
                if version is None or version != drained_at:
                    await self._drain()
                    drained_at = version
            except Exception:
                log.exception("event reader failed; retrying")
                await asyncio.sleep(self._poll_s)

    async def _listen_loop(self) -> None:
        """PostgreSQL: wake the reader on NOTIFY from any server process; reconnect on loss."""
        dsn = self._db.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
        while True:
            try:
                await self._listen_until_lost(dsn)
                log.warning("LISTEN connection lost; reconnecting")
            except (OSError, asyncpg.PostgresError):
                log.warning("LISTEN connection failed; polling until it is back", exc_info=True)
                await asyncio.sleep(max(self._poll_s, 1.0))

    async def _listen_until_lost(self, dsn: str) -> None:
        connection = await asyncpg.connect(dsn)
        lost = asyncio.Event()
        connection.add_termination_listener(lambda _connection: lost.set())
        try:
            await connection.add_listener(NOTIFY_CHANNEL, self._events_notified)
            if self._on_agents_changed is not None:
                await connection.add_listener(AGENTS_CHANNEL, self._agents_changed)
            for channel, on_payload in self._channels.items():
                await connection.add_listener(channel, _payload_to(on_payload))
            self._listen_connection = connection
            for on_listening in self._on_listening:
                on_listening()
            self.wake()
            await lost.wait()
        finally:
            self._listen_connection = None
            await connection.close()

    def _agents_changed(self, _connection: object, _pid: int, _channel: str, payload: str) -> None:
        if self._on_agents_changed is not None:
            self._on_agents_changed(agents_from_payload(payload))

    # -- lifecycle -----------------------------------------------------------------------

    async def start(self) -> None:
        """Start the reader (and the LISTEN connection on PostgreSQL)."""
        self._head = await self.stored_head()
        self._tasks.append(asyncio.create_task(self._read_loop(), name="convos-event-reader"))
        if self._db.is_postgres:
            self._tasks.append(asyncio.create_task(self._listen_loop(), name="convos-listen"))

    async def stop(self) -> None:
        """End the streams and stop the background tasks."""
        self.close_subscriptions()
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()

    async def prune(self, retention_days: float) -> int:
        """Delete the events before the first one within the retention (all but the newest
        when none is), always keeping the newest one: its id must never be given again."""
        cutoff = m.utcnow() - dt.timedelta(days=retention_days)
        # A bulk DELETE may take long inside SQLite: on a worker thread, not the loop's.
        async with self._db.transaction(threaded=True) as session:
            result = await session.execute(prune_statement(cutoff))
        removed = int(getattr(result, "rowcount", 0) or 0)
        if removed:
            log.info("pruned %d events older than %s days", removed, retention_days)
        return removed


def resume_point_query(cursor: int) -> Select[Any]:
    """``EventBus.resume_point``'s read: the newest id (0 when none), the oldest, whether
    ``cursor`` is stored. Each in a subquery of its own: SQLite reads a lone ``max`` or
    ``min`` of the primary key at the B-tree's end, but both in one ``SELECT`` scanned every
    event (through ``ix_events_created_at``, the smallest index, until migration 0013 dropped
    it; then it would have scanned the table itself)."""
    newest = select(func.max(m.Event.id)).scalar_subquery()
    oldest = select(func.min(m.Event.id)).scalar_subquery()
    known = select(m.Event.id).where(m.Event.id == cursor).exists()
    return select(func.coalesce(newest, 0), oldest, known)


def prune_statement(cutoff: dt.datetime) -> Delete:
    """The prune's ``DELETE``: the events before the first one created at or after ``cutoff``
    (all but the newest when none is). By id, the primary key (no index on ``created_at``,
    migration 0013): the first event kept is found by reading the events in id order from the
    oldest, i.e. just the ones deleted; the ids deleted are a prefix, never the newest."""
    first_kept = (
        select(m.Event.id)
        .where(m.Event.created_at >= cutoff)
        .order_by(m.Event.id)
        .limit(1)
        .scalar_subquery()
    )
    newest = select(func.max(m.Event.id)).scalar_subquery()
    return delete(m.Event).where(m.Event.id < func.coalesce(first_kept, newest))


def _payload_to(on_payload: Callable[[str], None]) -> Callable[[object, int, str, str], None]:
    """An asyncpg listener handing the payload to ``on_payload``."""

    def listener(_connection: object, _pid: int, _channel: str, payload: str) -> None:
        on_payload(payload)

    return listener
