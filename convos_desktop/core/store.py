"""Local SQLite cache of one profile: tickets, messages, contacts, directory, drafts, outbox.

One file per profile (:func:`default_cache_path`), stdlib ``sqlite3`` in WAL mode, schema
versioned with ``PRAGMA user_version`` and the ordered :data:`MIGRATIONS`.

Threads: reads for the GUI use a connection owned by the thread that made the :class:`Store`
(small indexed queries: a page of 50 messages reads in well under 2 ms). Every write, and big
reads such as the whole cached inbox at start, run on one dedicated writer thread with its own
connection (``await store.write(...)`` / ``await store.read(...)``), so the GUI never waits for
a bulk write. WAL lets the GUI read while the writer writes.

Local echo: a pending or failed send lives only in the ``outbox`` table, keyed by its
``client_id``; pages of a conversation append those rows as :class:`Message` records with
``id = -outbox.seq`` (negative, never a server id) and ``delivery`` pending/failed. When the
server's message with that ``client_id`` arrives (POST answer or ``message.created`` event,
whichever comes first) the outbox row is deleted and the message stored in one transaction, so
the echo is replaced, never doubled.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import json
import logging
import re
import sqlite3
import threading
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, TypeVar

import msgspec

from convos_desktop.core.folders import user_data_dir
from convos_desktop.core.types import (
    Agent,
    Canned,
    Contact,
    Conversation,
    Counts,
    Delivery,
    Direction,
    Draft,
    Inbox,
    Label,
    ListedTicket,
    Message,
    ReplyPreview,
    Team,
    Ticket,
    View,
    format_time,
    listed_sort_key,
)

log = logging.getLogger("convos.store")

R = TypeVar("R")

APP_NAME = "convos-desktop"
PAGE_SIZE = 50
SEARCH_LIMIT = 100  # offline search results shown at most
_WORD = re.compile(r"\w+")


def default_cache_path(profile_key: str) -> Path:
    """``<user data dir>/profiles/<profile_key>/cache.sqlite3`` (the folder is made)."""
    folder = Path(user_data_dir(APP_NAME)) / "profiles" / profile_key
    folder.mkdir(parents=True, exist_ok=True)
    return folder / "cache.sqlite3"


def profile_key(server_url: str, email: str) -> str:
    """A stable, file-name-safe key for one login (server + email)."""
    raw = f"{server_url.rstrip('/').lower()}|{email.strip().lower()}"
    return hashlib.sha256(raw.encode()).hexdigest()[:16]


# --- schema ---------------------------------------------------------------------------------

_SCHEMA_V1 = """
CREATE TABLE kv (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE agents (id INTEGER PRIMARY KEY, json TEXT NOT NULL);
CREATE TABLE teams (id INTEGER PRIMARY KEY, json TEXT NOT NULL);
CREATE TABLE inboxes (id INTEGER PRIMARY KEY, json TEXT NOT NULL);
CREATE TABLE canned (id INTEGER PRIMARY KEY, json TEXT NOT NULL);
CREATE TABLE contacts (id INTEGER PRIMARY KEY, json TEXT NOT NULL);
CREATE TABLE tickets (
    id INTEGER PRIMARY KEY,
    conversation_id INTEGER NOT NULL,
    status TEXT NOT NULL,
    assignee_id INTEGER,
    last_message_at TEXT NOT NULL,
    json TEXT NOT NULL
);
CREATE INDEX ix_tickets_status ON tickets (status, last_message_at);
CREATE INDEX ix_tickets_conversation ON tickets (conversation_id);
CREATE TABLE conversations (id INTEGER PRIMARY KEY, json TEXT NOT NULL);
CREATE TABLE messages (
    id INTEGER PRIMARY KEY,
    conversation_id INTEGER NOT NULL,
    client_id TEXT,
    json TEXT NOT NULL
);
CREATE INDEX ix_messages_conversation ON messages (conversation_id, id);
CREATE TABLE history (
    conversation_id INTEGER PRIMARY KEY,
    synced INTEGER NOT NULL DEFAULT 0,
    has_more INTEGER NOT NULL DEFAULT 1
);
CREATE TABLE drafts (
    conversation_id INTEGER PRIMARY KEY,
    text TEXT NOT NULL,
    reply_to INTEGER,
    is_note INTEGER NOT NULL DEFAULT 0,
    updated_at TEXT NOT NULL
);
CREATE TABLE outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    client_id TEXT NOT NULL UNIQUE,
    conversation_id INTEGER NOT NULL,
    kind TEXT NOT NULL,
    body TEXT NOT NULL,
    reply_to INTEGER,
    file_ids TEXT NOT NULL DEFAULT '[]',
    created_at TEXT NOT NULL,
    state TEXT NOT NULL,
    error TEXT,
    attempts INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX ix_outbox_conversation ON outbox (conversation_id, seq);
CREATE TABLE read_markers (conversation_id INTEGER PRIMARY KEY, message_id INTEGER NOT NULL);
"""


def _migrate_v1(conn: sqlite3.Connection) -> None:
    for statement in _SCHEMA_V1.split(";"):
        if statement.strip():
            conn.execute(statement)


def _migrate_v2(conn: sqlite3.Connection) -> None:
    """System lines cached before they carried a ``system`` kind: forget the history of their
    conversations (messages and paging state) so it is fetched again with the kinds."""
    stale = (
        "SELECT DISTINCT conversation_id FROM messages WHERE json_extract(json, '$.direction') "
        "= 'system' AND json_type(json, '$.system') IS NOT 'object'"
    )
    conversation_ids = [row[0] for row in conn.execute(stale)]
    for table in ("messages", "history"):
        conn.executemany(
            f"DELETE FROM {table} WHERE conversation_id = ?", [(i,) for i in conversation_ids]
        )


def _migrate_v3(conn: sqlite3.Connection) -> None:
    """Index the open tickets by inbox and assignee: the navigation tree's counts per inbox
    read the index alone (~3 ms for 10k tickets instead of ~25 ms decoding every row)."""
    conn.execute(
        "CREATE INDEX ix_tickets_inbox ON tickets "
        "(status, json_extract(json, '$.inbox_id'), assignee_id)"
    )


def _migrate_v4(conn: sqlite3.Connection) -> None:
    """Full-text index of the cached messages' text (FTS5), kept by triggers as messages are
    stored, replaced or dropped; system lines are not indexed. Filled from the cache once."""
    conn.execute(
        "CREATE VIRTUAL TABLE message_text USING fts5(body, tokenize = 'unicode61 "
        "remove_diacritics 2')"
    )
    indexed = "json_extract(new.json, '$.direction') != 'system'"
    conn.execute(
        "CREATE TRIGGER message_text_insert AFTER INSERT ON messages BEGIN "
        "DELETE FROM message_text WHERE rowid = new.id; "
        "INSERT INTO message_text (rowid, body) SELECT new.id, json_extract(new.json, '$.body') "
        f"WHERE {indexed}; END"
    )
    conn.execute(
        "CREATE TRIGGER message_text_update AFTER UPDATE ON messages BEGIN "
        "DELETE FROM message_text WHERE rowid = old.id; "
        "INSERT INTO message_text (rowid, body) SELECT new.id, json_extract(new.json, '$.body') "
        f"WHERE {indexed}; END"
    )
    conn.execute(
        "CREATE TRIGGER message_text_delete AFTER DELETE ON messages BEGIN "
        "DELETE FROM message_text WHERE rowid = old.id; END"
    )
    conn.execute(
        "INSERT INTO message_text (rowid, body) SELECT id, json_extract(json, '$.body') "
        "FROM messages WHERE json_extract(json, '$.direction') != 'system'"
    )


Migration = Callable[[sqlite3.Connection], None]

#: Ordered migrations: entry ``i`` brings the schema from version ``i`` to ``i + 1``.
MIGRATIONS: tuple[Migration, ...] = (_migrate_v1, _migrate_v2, _migrate_v3, _migrate_v4)


class StoreVersionError(RuntimeError):
    """The cache file was written by a newer version of the app."""


def migrate(conn: sqlite3.Connection, migrations: Sequence[Migration] = MIGRATIONS) -> int:
    """Bring ``conn`` to the newest schema, one transaction per step; return the version.

    A failing step rolls back to the previous version and raises; nothing is half-applied.
    """
    version = int(conn.execute("PRAGMA user_version").fetchone()[0])
    if version > len(migrations):
        raise StoreVersionError(
            f"cache schema version {version} is newer than this app ({len(migrations)})"
        )
    for target, step in enumerate(migrations[version:], start=version + 1):
        conn.execute("BEGIN IMMEDIATE")
        try:
            step(conn)
            conn.execute(f"PRAGMA user_version = {target:d}")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
        log.info("cache schema migrated to version %d", target)
    return len(migrations)


def _connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None, timeout=10.0)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute("PRAGMA foreign_keys = ON")
    # 512 KiB of page cache instead of SQLite's 2 MiB, for the writer too: it reads the
    # cached inbox at start (10k tickets: 1.4 MiB more resident with the default) and its
    # writes are small transactions (issue 16).
    conn.execute("PRAGMA cache_size = -512")
    return conn


LABELS_KEY = "labels"  # kv: the workspace's labels, {"<id>": Label}

# Ticket rows of open tickets: ``snoozed`` is an open ticket out of the views (row_status).
OPEN_STATES = "('open', 'snoozed')"

# --- view rules -----------------------------------------------------------------------------


class ViewedTicket(Protocol):
    """What deciding a ticket's list needs (a full ``Ticket`` or the list's own columns)."""

    @property
    def is_open(self) -> bool: ...

    @property
    def snoozed(self) -> bool: ...

    @property
    def assignee_id(self) -> int | None: ...


def ticket_in_view(ticket: ViewedTicket, view: View, me_id: int | None) -> bool:
    """Whether ``ticket`` belongs in the ticket list of ``view`` for agent ``me_id``
    (a snoozed ticket only in Snoozed)."""
    if not ticket.is_open or ticket.snoozed != (view is View.SNOOZED):
        return False
    if view is View.MINE:
        return ticket.assignee_id is not None and ticket.assignee_id == me_id
    if view is View.UNASSIGNED:
        return ticket.assignee_id is None
    return True


# --- batches written by sync ----------------------------------------------------------------


@dataclass
class StoreBatch:
    """Raw protocol objects to write in one transaction (built by ``core.sync``)."""

    tickets: dict[int, dict[str, Any]] = field(default_factory=dict)
    contacts: dict[int, dict[str, Any]] = field(default_factory=dict)
    messages: dict[int, dict[str, Any]] = field(default_factory=dict)
    agents: dict[int, dict[str, Any]] = field(default_factory=dict)
    presence: dict[int, tuple[str, str]] = field(default_factory=dict)
    inboxes: dict[int, dict[str, Any]] = field(default_factory=dict)
    deleted_inbox_ids: set[int] = field(default_factory=set)
    canned: dict[int, dict[str, Any]] = field(default_factory=dict)
    deleted_canned_ids: set[int] = field(default_factory=set)
    teams: dict[int, dict[str, Any]] = field(default_factory=dict)
    deleted_team_ids: set[int] = field(default_factory=set)
    labels: dict[int, dict[str, Any]] = field(default_factory=dict)
    deleted_label_ids: set[int] = field(default_factory=set)
    event_seq: int | None = None

    def is_empty(self) -> bool:
        """Whether there is nothing to write but, perhaps, the cursor."""
        return not (
            self.tickets
            or self.contacts
            or self.messages
            or self.agents
            or self.presence
            or self.inboxes
            or self.deleted_inbox_ids
            or self.canned
            or self.deleted_canned_ids
            or self.teams
            or self.deleted_team_ids
            or self.labels
            or self.deleted_label_ids
        )


@dataclass
class AppliedBatch:
    """What a :class:`StoreBatch` changed, as typed records (for the change signals)."""

    tickets: list[Ticket] = field(default_factory=list)
    ticket_fields: set[str] = field(default_factory=set)
    removed_ticket_ids: list[int] = field(default_factory=list)
    contacts: list[Contact] = field(default_factory=list)
    messages: dict[int, list[Message]] = field(default_factory=dict)
    confirmed_client_ids: set[str] = field(default_factory=set)
    agents: list[Agent] = field(default_factory=list)
    directory: set[str] = field(default_factory=set)


@dataclass(frozen=True, slots=True)
class OutboxItem:
    """A send waiting in the outbox (``state`` pending or failed)."""

    seq: int
    client_id: str
    conversation_id: int
    kind: str
    body: str
    reply_to: int | None
    file_ids: tuple[int, ...]
    created_at: dt.datetime
    state: Delivery
    error: str | None
    attempts: int


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


class Store:
    """The cache of one profile. Reads are synchronous; writes are ``await``-ed."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="convos-store")
        self._writer_conn: sqlite3.Connection | None = None
        self._writer_thread: threading.Thread | None = None
        self._writer.submit(self._open_writer).result()
        # The GUI's reads are small indexed queries plus the inbox once at start: a 512 KiB
        # page cache (``_connect``) serves them as fast as SQLite's default 2 MiB.
        self._conn = _connect(self.path)

    def _open_writer(self) -> None:
        self._writer_conn = _connect(self.path)
        self._writer_thread = threading.current_thread()
        migrate(self._writer_conn)

    def close(self) -> None:
        """Finish pending writes and close both connections."""
        if self._writer_conn is not None:
            self._writer.submit(self._writer_conn.close).result()
            self._writer_conn = None
        self._writer.shutdown(wait=True)
        self._conn.close()

    # --- running work ---------------------------------------------------------------------

    def _in_transaction(self, work: Callable[[sqlite3.Connection], R]) -> R:
        conn = self._writer_conn
        if conn is None:
            raise RuntimeError("store is closed")
        conn.execute("BEGIN IMMEDIATE")
        try:
            result = work(conn)
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
        return result

    async def write(self, work: Callable[[sqlite3.Connection], R]) -> R:
        """Run ``work(conn)`` in one transaction on the writer thread."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._writer, self._in_transaction, work)

    def write_blocking(self, work: Callable[[sqlite3.Connection], R]) -> R:
        """Like :meth:`write` but waits in the calling thread (at quit, loop stopped)."""
        return self._writer.submit(self._in_transaction, work).result()

    async def read(self, work: Callable[[sqlite3.Connection], R]) -> R:
        """Run a big read on the writer thread, off the GUI thread."""
        loop = asyncio.get_running_loop()

        def run() -> R:
            assert self._writer_conn is not None
            return work(self._writer_conn)

        return await loop.run_in_executor(self._writer, run)

    async def shrink_memory(self) -> None:
        """Hand both connections' page caches back to the heap (an idle app): SQLite reads
        the pages again when asked. The writer's on its own thread."""
        self._conn.execute("PRAGMA shrink_memory")
        await self.read(lambda conn: conn.execute("PRAGMA shrink_memory"))

    # --- key/value ------------------------------------------------------------------------

    def kv_get(self, key: str) -> Any:
        """A JSON value saved with :meth:`kv_set` (``None`` if absent)."""
        row = self._conn.execute("SELECT value FROM kv WHERE key = ?", (key,)).fetchone()
        return json.loads(row[0]) if row else None

    async def kv_set(self, key: str, value: Any) -> None:
        """Save a JSON value."""
        await self.write(lambda c: _kv_set(c, key, value))

    def event_seq(self) -> int | None:
        """The id of the last event applied (the stream's resume point)."""
        value = self.kv_get("event_seq")
        return int(value) if value is not None else None

    def me(self) -> Agent | None:
        """The logged-in agent as last seen."""
        data = self.kv_get("me")
        return Agent.from_json(data) if data else None

    # --- reads for the GUI ----------------------------------------------------------------

    def tickets(
        self, view: View | None = None, me_id: int | None = None, *, limit: int | None = None
    ) -> list[Ticket]:
        """Open tickets of ``view`` (``None``: every open one, snoozed too), newest activity
        first (the first ``limit`` of them)."""
        return _read_tickets(self._conn, view, me_id, limit)

    async def read_tickets(self, offset: int = 0, limit: int | None = None) -> list[Ticket]:
        """Every open ticket, newest activity first (``limit`` of them from ``offset``), read
        and decoded off the GUI thread."""
        return await self.read(lambda conn: _read_tickets(conn, None, None, limit, offset))

    def listed_tickets(
        self, view: View | None = None, me_id: int | None = None, *, limit: int | None = None
    ) -> list[ListedTicket]:
        """Like :meth:`tickets`, as their listed columns only (no last message decoded)."""
        return _read_listed(self._conn, view, me_id, limit)

    async def read_listed(self, offset: int = 0, limit: int | None = None) -> list[ListedTicket]:
        """Like :meth:`read_tickets`, as their listed columns only, read and decoded off the
        GUI thread."""
        return await self.read(lambda conn: _read_listed(conn, None, None, limit, offset))

    def ticket(self, ticket_id: int) -> Ticket | None:
        """One cached ticket (open or closed)."""
        row = self._conn.execute("SELECT json FROM tickets WHERE id = ?", (ticket_id,)).fetchone()
        return _decode_ticket(row[0]) if row else None

    def ticket_for_conversation(self, conversation_id: int) -> Ticket | None:
        """The newest cached ticket of a conversation."""
        row = self._conn.execute(
            "SELECT json FROM tickets WHERE conversation_id = ? ORDER BY id DESC LIMIT 1",
            (conversation_id,),
        ).fetchone()
        return _decode_ticket(row[0]) if row else None

    def counts(self, me_id: int | None) -> Counts:
        """Open tickets per view, from the cache."""
        return _read_counts(self._conn, me_id)

    def inbox_counts(self, me_id: int | None) -> dict[int, Counts]:
        """Open tickets per view of each inbox that has any, from the cache."""
        rows = self._conn.execute(
            "SELECT json_extract(json, '$.inbox_id') AS inbox, coalesce(sum(status = 'open'), 0), "
            "coalesce(sum(status = 'open' AND assignee_id IS NULL), 0), "
            "coalesce(sum(status = 'open' AND assignee_id = ?), 0), "
            "coalesce(sum(status = 'snoozed'), 0) "
            f"FROM tickets WHERE status IN {OPEN_STATES} GROUP BY inbox",
            (me_id if me_id is not None else -1,),
        ).fetchall()
        return {
            int(row[0]): Counts(
                mine=int(row[3]), unassigned=int(row[2]), all=int(row[1]), snoozed=int(row[4])
            )
            for row in rows
            if row[0] is not None
        }

    def contact(self, contact_id: int) -> Contact | None:
        """One cached contact."""
        row = self._conn.execute("SELECT json FROM contacts WHERE id = ?", (contact_id,)).fetchone()
        return Contact.from_json(json.loads(row[0])) if row else None

    async def read_contacts(self) -> list[Contact]:
        """Every cached contact, by name, read and decoded off the GUI thread."""
        rows = await self.read(lambda conn: _all_json(conn, "contacts"))
        return sorted((Contact.from_json(d) for d in rows), key=lambda c: c.name.casefold())

    def conversation(self, conversation_id: int) -> Conversation | None:
        """One cached conversation (known after it was listed or fetched)."""
        row = self._conn.execute(
            "SELECT json FROM conversations WHERE id = ?", (conversation_id,)
        ).fetchone()
        return Conversation.from_json(json.loads(row[0])) if row else None

    def agents(self) -> list[Agent]:
        """All cached agents, by name."""
        return sorted(
            (Agent.from_json(d) for d in _all_json(self._conn, "agents")), key=lambda a: a.name
        )

    def teams(self) -> list[Team]:
        """All cached teams, by name."""
        return sorted(
            (Team.from_json(d) for d in _all_json(self._conn, "teams")), key=lambda t: t.name
        )

    def inboxes(self) -> list[Inbox]:
        """All cached inboxes, by name."""
        return sorted(
            (Inbox.from_json(d) for d in _all_json(self._conn, "inboxes")), key=lambda i: i.name
        )

    def labels(self) -> list[Label]:
        """The workspace's labels, by name (kept in ``kv``: no table of their own)."""
        stored = self.kv_get(LABELS_KEY) or {}
        return sorted(
            (Label.from_json(d) for d in stored.values()), key=lambda label: label.name.casefold()
        )

    def canned(self) -> list[Canned]:
        """All cached quick replies, by shortcut."""
        return sorted(
            (Canned.from_json(d) for d in _all_json(self._conn, "canned")),
            key=lambda c: c.shortcut,
        )

    def messages_page(
        self, conversation_id: int, before_id: int | None = None, limit: int = PAGE_SIZE
    ) -> list[Message]:
        """Up to ``limit`` cached messages before ``before_id``, oldest first.

        Without ``before_id`` this is the newest page, followed by the conversation's pending
        and failed sends (local echo, negative ids).
        """
        return _read_page(self._conn, conversation_id, before_id, limit, self.me())

    def messages_after(
        self, conversation_id: int, after_id: int, limit: int = PAGE_SIZE
    ) -> tuple[list[Message], bool]:
        """Up to ``limit`` cached messages after ``after_id``, oldest first, and whether newer
        ones are cached; the last page ends with the conversation's pending and failed sends."""
        rows = self._conn.execute(
            "SELECT json FROM messages WHERE conversation_id = ? AND id > ? ORDER BY id LIMIT ?",
            (conversation_id, after_id, limit + 1),
        ).fetchall()
        page = [_decode_message(r[0]) for r in rows[:limit]]
        has_more = len(rows) > limit
        if not has_more:
            me = self.me()
            page.extend(
                _echo_message(self._conn, i, me) for i in _read_outbox(self._conn, conversation_id)
            )
        return page, has_more

    async def search_messages(self, text: str, limit: int = SEARCH_LIMIT) -> list[Message]:
        """Cached messages (texts and notes) containing every word of ``text`` (a word may be
        the start of a longer one), best match first; read off the GUI thread."""
        query = fts_query(text)
        if not query:
            return []
        return await self.read(lambda conn: _search_messages(conn, query, limit))

    def history_state(self, conversation_id: int) -> tuple[bool, bool]:
        """``(synced, has_more)``: newest page fetched since the last reset; older pages exist."""
        row = self._conn.execute(
            "SELECT synced, has_more FROM history WHERE conversation_id = ?", (conversation_id,)
        ).fetchone()
        return (bool(row[0]), bool(row[1])) if row else (False, True)

    def draft(self, conversation_id: int) -> Draft | None:
        """The saved draft of a conversation."""
        row = self._conn.execute(
            "SELECT text, reply_to, is_note FROM drafts WHERE conversation_id = ?",
            (conversation_id,),
        ).fetchone()
        return Draft(conversation_id, row[0], row[1], bool(row[2])) if row else None

    def draft_conversation_ids(self) -> set[int]:
        """Conversations that have a draft (the ticket list marks them)."""
        return {r[0] for r in self._conn.execute("SELECT conversation_id FROM drafts")}

    def outbox_items(self, conversation_id: int | None = None) -> list[OutboxItem]:
        """Pending and failed sends in send order (of one conversation, or all)."""
        return _read_outbox(self._conn, conversation_id)

    def outbox_item(self, client_id: str) -> OutboxItem | None:
        """One outbox entry."""
        rows = self._conn.execute(
            f"SELECT {_OUTBOX_COLUMNS} FROM outbox WHERE client_id = ?", (client_id,)
        ).fetchall()
        return _outbox_item(rows[0]) if rows else None

    def read_marker(self, conversation_id: int) -> int | None:
        """The last message id the agent has seen in a conversation."""
        row = self._conn.execute(
            "SELECT message_id FROM read_markers WHERE conversation_id = ?", (conversation_id,)
        ).fetchone()
        return int(row[0]) if row else None

    def unread_conversation_ids(self) -> set[int]:
        """Conversations of open tickets whose last message is newer than the read marker."""
        rows = self._conn.execute(
            "SELECT t.conversation_id, json_extract(t.json, '$.last_message.id'), "
            "json_extract(t.json, '$.last_message.direction'), r.message_id FROM tickets t "
            "LEFT JOIN read_markers r ON r.conversation_id = t.conversation_id "
            f"WHERE t.status IN {OPEN_STATES}"
        ).fetchall()
        return {
            conv
            for conv, last_id, direction, marker in rows
            if last_id is not None and direction == "in" and (marker is None or last_id > marker)
        }

    # --- writes ---------------------------------------------------------------------------

    async def save_draft(self, draft: Draft) -> None:
        """Save (or, with empty text and no reply target, delete) a conversation's draft."""
        await self.write(lambda c: _save_draft(c, draft))

    def save_drafts_blocking(self, drafts: Iterable[Draft]) -> None:
        """Save several drafts now, waiting in the calling thread (at quit)."""
        items = list(drafts)

        def work(conn: sqlite3.Connection) -> None:
            for draft in items:
                _save_draft(conn, draft)

        self.write_blocking(work)

    async def set_read_marker(self, conversation_id: int, message_id: int) -> None:
        """Remember the last message seen in a conversation (never moves backwards)."""
        saved = self.read_marker(conversation_id)
        if saved is not None and saved >= message_id:
            return  # seen already (reopening a read conversation): no write transaction
        await self.write(
            lambda c: c.execute(
                "INSERT INTO read_markers (conversation_id, message_id) VALUES (?, ?) "
                "ON CONFLICT (conversation_id) DO UPDATE SET message_id = "
                "max(message_id, excluded.message_id)",
                (conversation_id, message_id),
            )
        )

    async def replace_snapshot(self, snapshot: dict[str, Any], *, reset: bool) -> AppliedBatch:
        """Write a bootstrap answer; ``reset`` also drops cached histories (they may have gaps).

        Open tickets missing from the snapshot are deleted (closed or no longer visible).
        """
        return await self.write(lambda c: _replace_snapshot(c, snapshot, reset))

    async def apply(self, batch: StoreBatch) -> AppliedBatch:
        """Write a batch of event objects; return what changed."""
        return await self.write(lambda c: _apply_batch(c, batch))

    async def store_history(
        self,
        conversation_id: int,
        messages: Sequence[dict[str, Any]],
        *,
        newest: bool,
        has_more: bool | None,
    ) -> list[Message]:
        """Write a fetched page; ``newest`` marks the history synced; return the new rows."""
        return await self.write(
            lambda c: _store_history(c, conversation_id, messages, newest, has_more)
        )

    async def store_conversations(self, conversations: Sequence[dict[str, Any]]) -> None:
        """Cache conversations fetched from the history list."""
        await self.write(
            lambda c: c.executemany(
                "INSERT OR REPLACE INTO conversations (id, json) VALUES (?, ?)",
                [(d["id"], _dumps(d)) for d in conversations],
            )
        )

    async def outbox_add(
        self,
        *,
        client_id: str,
        conversation_id: int,
        kind: str,
        body: str,
        reply_to: int | None,
        file_ids: Sequence[int],
    ) -> OutboxItem:
        """Persist a new pending send (before any request)."""

        def work(conn: sqlite3.Connection) -> OutboxItem:
            conn.execute(
                "INSERT INTO outbox (client_id, conversation_id, kind, body, reply_to, file_ids, "
                "created_at, state) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    client_id,
                    conversation_id,
                    kind,
                    body,
                    reply_to,
                    _dumps(list(file_ids)),
                    format_time(_now()),
                    Delivery.PENDING.value,
                ),
            )
            item = _outbox_get(conn, client_id)
            assert item is not None
            return item

        return await self.write(work)

    async def outbox_update(
        self,
        client_id: str,
        *,
        state: Delivery,
        error: str | None = None,
        body: str | None = None,
        count_attempt: bool = False,
    ) -> OutboxItem | None:
        """Change an entry's state (and text); ``None`` if it is gone (already confirmed)."""

        def work(conn: sqlite3.Connection) -> OutboxItem | None:
            conn.execute(
                "UPDATE outbox SET state = ?, error = ?, body = coalesce(?, body), "
                "attempts = attempts + ? WHERE client_id = ?",
                (state.value, error, body, int(count_attempt), client_id),
            )
            return _outbox_get(conn, client_id)

        return await self.write(work)

    async def outbox_remove(self, client_id: str) -> OutboxItem | None:
        """Discard an entry; return it (``None`` if it was already gone)."""

        def work(conn: sqlite3.Connection) -> OutboxItem | None:
            item = _outbox_get(conn, client_id)
            conn.execute("DELETE FROM outbox WHERE client_id = ?", (client_id,))
            return item

        return await self.write(work)

    def echo_message(self, item: OutboxItem) -> Message:
        """The local echo record of an outbox entry."""
        return _echo_message(self._conn, item, self.me())


# --- SQL helpers (run on whichever connection is given) -------------------------------------


def _kv_set(conn: sqlite3.Connection, key: str, value: Any) -> None:
    conn.execute("INSERT OR REPLACE INTO kv (key, value) VALUES (?, ?)", (key, _dumps(value)))


# Cached tickets and messages are the server's JSON, which fits the records field for field:
# msgspec builds them straight from the text, 4-5 times faster than ``json.loads`` plus
# ``from_json`` (10,000 tickets: ~100 ms instead of ~440 ms here). JSON the typed decoder
# refuses (a field missing that ``from_json`` gives a default) takes the ``from_json`` way.
_TICKET_DECODER = msgspec.json.Decoder(Ticket)
_MESSAGE_DECODER = msgspec.json.Decoder(Message)


def _decode_ticket(text: str) -> Ticket:
    try:
        return _TICKET_DECODER.decode(text)
    except msgspec.DecodeError:
        return Ticket.from_json(json.loads(text))


class _ListedLast(msgspec.Struct):
    """What a listed ticket keeps of its last message (the rest of it is skipped)."""

    id: int
    direction: Direction


class _ListedRow(msgspec.Struct):
    """The listed columns of a cached ticket's JSON: decoding only these skips the last
    message's text and every other field (no garbage interleaved with the rows kept)."""

    id: int
    conversation_id: int
    inbox_id: int
    contact_id: int
    status: str
    assignee_id: int | None
    last_message_at: dt.datetime
    last_message: _ListedLast | None = None
    snoozed: bool = False
    label_ids: tuple[int, ...] = ()


_LISTED_DECODER = msgspec.json.Decoder(_ListedRow)


def _decode_listed(text: str) -> ListedTicket:
    """The listed columns of a cached ticket (what ``ListedTicket.of`` keeps of the full
    record, without building it)."""
    try:
        row = _LISTED_DECODER.decode(text)
    except msgspec.DecodeError:
        return ListedTicket.of(_decode_ticket(text))
    last = row.last_message
    return ListedTicket(
        row.id,
        row.conversation_id,
        row.inbox_id,
        row.contact_id,
        row.status,  # kept as a one-byte code
        row.assignee_id,
        row.snoozed,
        row.label_ids,
        listed_sort_key(row.last_message_at, row.id),
        last.id if last is not None and last.direction is Direction.IN else None,
    )


def _decode_message(text: str) -> Message:
    try:
        return _MESSAGE_DECODER.decode(text)
    except msgspec.DecodeError:
        return Message.from_json(json.loads(text))


def _all_json(conn: sqlite3.Connection, table: str) -> list[dict[str, Any]]:
    return [json.loads(r[0]) for r in conn.execute(f"SELECT json FROM {table}")]


def _view_status(view: View) -> str:
    return "snoozed" if view is View.SNOOZED else "open"


def _read_tickets(
    conn: sqlite3.Connection,
    view: View | None,
    me_id: int | None,
    limit: int | None = None,
    offset: int = 0,
) -> list[Ticket]:
    sql, args = _tickets_query(view, me_id, limit, offset)
    return [_decode_ticket(r[0]) for r in conn.execute(sql, args)]


def _read_listed(
    conn: sqlite3.Connection,
    view: View | None,
    me_id: int | None,
    limit: int | None = None,
    offset: int = 0,
) -> list[ListedTicket]:
    sql, args = _tickets_query(view, me_id, limit, offset)
    return [_decode_listed(r[0]) for r in conn.execute(sql, args)]


def _tickets_query(
    view: View | None, me_id: int | None, limit: int | None, offset: int
) -> tuple[str, tuple[Any, ...]]:
    """The SQL and arguments of the open tickets of ``view``, newest activity first."""
    if view is None:  # every open ticket, snoozed or not
        sql = f"SELECT json FROM tickets WHERE status IN {OPEN_STATES}"
    else:
        sql = "SELECT json FROM tickets WHERE status = ?"
    args: tuple[Any, ...] = () if view is None else (_view_status(view),)
    if view is View.MINE:
        sql += " AND assignee_id = ?"
        args += (me_id if me_id is not None else -1,)
    elif view is View.UNASSIGNED:
        sql += " AND assignee_id IS NULL"
    sql += " ORDER BY last_message_at DESC, id DESC LIMIT ? OFFSET ?"
    args += (-1 if limit is None else limit, offset)
    return sql, args


def _read_counts(conn: sqlite3.Connection, me_id: int | None) -> Counts:
    row = conn.execute(
        "SELECT count(*), coalesce(sum(assignee_id IS NULL), 0), "
        "coalesce(sum(assignee_id = ?), 0) FROM tickets WHERE status = 'open'",
        (me_id if me_id is not None else -1,),
    ).fetchone()
    snoozed = conn.execute("SELECT count(*) FROM tickets WHERE status = 'snoozed'").fetchone()
    return Counts(
        mine=int(row[2]), unassigned=int(row[1]), all=int(row[0]), snoozed=int(snoozed[0])
    )


_OUTBOX_COLUMNS = (
    "seq, client_id, conversation_id, kind, body, reply_to, file_ids, created_at, state, "
    "error, attempts"
)


def _outbox_item(row: Sequence[Any]) -> OutboxItem:
    created = dt.datetime.fromisoformat(str(row[7]).replace("Z", "+00:00"))
    return OutboxItem(
        seq=row[0],
        client_id=row[1],
        conversation_id=row[2],
        kind=row[3],
        body=row[4],
        reply_to=row[5],
        file_ids=tuple(json.loads(row[6])),
        created_at=created,
        state=Delivery(row[8]),
        error=row[9],
        attempts=row[10],
    )


def _outbox_get(conn: sqlite3.Connection, client_id: str) -> OutboxItem | None:
    row = conn.execute(
        f"SELECT {_OUTBOX_COLUMNS} FROM outbox WHERE client_id = ?", (client_id,)
    ).fetchone()
    return _outbox_item(row) if row else None


def _read_outbox(conn: sqlite3.Connection, conversation_id: int | None) -> list[OutboxItem]:
    if conversation_id is None:
        rows = conn.execute(f"SELECT {_OUTBOX_COLUMNS} FROM outbox ORDER BY seq").fetchall()
    else:
        rows = conn.execute(
            f"SELECT {_OUTBOX_COLUMNS} FROM outbox WHERE conversation_id = ? ORDER BY seq",
            (conversation_id,),
        ).fetchall()
    return [_outbox_item(r) for r in rows]


def _echo_message(conn: sqlite3.Connection, item: OutboxItem, me: Agent | None) -> Message:
    preview = None
    if item.reply_to is not None:
        row = conn.execute("SELECT json FROM messages WHERE id = ?", (item.reply_to,)).fetchone()
        if row:
            quoted = json.loads(row[0])
            preview = ReplyPreview(
                quoted["id"],
                quoted.get("body", "")[:200],
                quoted.get("sender_name", ""),
                Direction(quoted["direction"]),
            )
    return Message(
        id=-item.seq,
        conversation_id=item.conversation_id,
        ticket_id=None,
        client_id=item.client_id,
        direction=Direction.NOTE if item.kind == "note" else Direction.OUT,
        sender_type="agent",
        sender_id=me.id if me else None,
        sender_name=me.name if me else "",
        body=item.body,
        reply_to=item.reply_to,
        reply_preview=preview,
        reactions=(),
        files=(),
        created_at=item.created_at,
        delivery=item.state,
        error=item.error,
    )


def _read_page(
    conn: sqlite3.Connection,
    conversation_id: int,
    before_id: int | None,
    limit: int,
    me: Agent | None,
) -> list[Message]:
    if before_id is None:
        rows = conn.execute(
            "SELECT json FROM messages WHERE conversation_id = ? ORDER BY id DESC LIMIT ?",
            (conversation_id, limit),
        ).fetchall()
    else:
        rows = conn.execute(
            "SELECT json FROM messages WHERE conversation_id = ? AND id < ? "
            "ORDER BY id DESC LIMIT ?",
            (conversation_id, before_id, limit),
        ).fetchall()
    page = [_decode_message(r[0]) for r in reversed(rows)]
    if before_id is None:
        page.extend(_echo_message(conn, i, me) for i in _read_outbox(conn, conversation_id))
    return page


def fts_query(text: str) -> str:
    """An FTS5 query matching every word of ``text`` as a prefix; ``""`` for no words.

    Each word is quoted, so FTS5 operators and punctuation typed by the agent are plain text.
    """
    return " ".join(f'"{word}"*' for word in _WORD.findall(text))


def _search_messages(conn: sqlite3.Connection, query: str, limit: int) -> list[Message]:
    rows = conn.execute(
        "SELECT m.json FROM message_text JOIN messages m ON m.id = message_text.rowid "
        "WHERE message_text MATCH ? ORDER BY message_text.rank, m.id DESC LIMIT ?",
        (query, limit),
    ).fetchall()
    return [_decode_message(r[0]) for r in rows]


def _save_draft(conn: sqlite3.Connection, draft: Draft) -> None:
    if not draft.text.strip() and draft.reply_to is None:
        conn.execute("DELETE FROM drafts WHERE conversation_id = ?", (draft.conversation_id,))
        return
    conn.execute(
        "INSERT OR REPLACE INTO drafts (conversation_id, text, reply_to, is_note, updated_at) "
        "VALUES (?, ?, ?, ?, ?)",
        (
            draft.conversation_id,
            draft.text,
            draft.reply_to,
            int(draft.is_note),
            format_time(_now()),
        ),
    )


def row_status(data: dict[str, Any]) -> str:
    """The ``status`` column of a ticket row: ``snoozed`` for an open snoozed ticket, so the
    views' and counts' ``status = 'open'`` (indexed) leave it out without a schema change."""
    status = str(data["status"])
    return "snoozed" if status == "open" and data.get("snoozed") else status


def _upsert_ticket(conn: sqlite3.Connection, data: dict[str, Any]) -> None:
    conn.execute(
        "INSERT OR REPLACE INTO tickets (id, conversation_id, status, assignee_id, "
        "last_message_at, json) VALUES (?, ?, ?, ?, ?, ?)",
        (
            data["id"],
            data["conversation_id"],
            row_status(data),
            data.get("assignee_id"),
            data.get("last_message_at") or data["opened_at"],
            _dumps(data),
        ),
    )


def _upsert_message(conn: sqlite3.Connection, data: dict[str, Any], result: AppliedBatch) -> bool:
    """Store a server message; drop its outbox echo. Return whether anything changed."""
    text = _dumps(data)
    old = conn.execute("SELECT json FROM messages WHERE id = ?", (data["id"],)).fetchone()
    client_id = data.get("client_id")
    confirmed = False
    if client_id:
        confirmed = (
            conn.execute("DELETE FROM outbox WHERE client_id = ?", (client_id,)).rowcount > 0
        )
        if confirmed:
            result.confirmed_client_ids.add(client_id)
    if old is not None and old[0] == text:
        return confirmed
    conn.execute(
        "INSERT OR REPLACE INTO messages (id, conversation_id, client_id, json) "
        "VALUES (?, ?, ?, ?)",
        (data["id"], data["conversation_id"], client_id, text),
    )
    return True


def _bump_ticket_last_message(
    conn: sqlite3.Connection, data: dict[str, Any], result: AppliedBatch
) -> None:
    """Show a newer message as its conversation's open ticket's last message."""
    row = conn.execute(
        f"SELECT json FROM tickets WHERE conversation_id = ? AND status IN {OPEN_STATES} "
        "ORDER BY id DESC LIMIT 1",
        (data["conversation_id"],),
    ).fetchone()
    if row is None:
        return
    ticket = json.loads(row[0])
    last = ticket.get("last_message")
    if last is not None and last.get("id", 0) > data["id"]:
        return
    if last == data:
        return
    ticket["last_message"] = data
    ticket["last_message_at"] = max(ticket.get("last_message_at") or "", data["created_at"])
    _upsert_ticket(conn, ticket)
    result.tickets = [t for t in result.tickets if t.id != ticket["id"]]
    result.tickets.append(Ticket.from_json(ticket))
    result.ticket_fields.update(("last_message", "last_message_at"))


def _apply_batch(conn: sqlite3.Connection, batch: StoreBatch) -> AppliedBatch:
    result = AppliedBatch()
    for data in batch.contacts.values():
        conn.execute(
            "INSERT OR REPLACE INTO contacts (id, json) VALUES (?, ?)", (data["id"], _dumps(data))
        )
        result.contacts.append(Contact.from_json(data))
    for data in batch.tickets.values():
        _upsert_ticket(conn, data)
        result.tickets.append(Ticket.from_json(data))
    for data in sorted(batch.messages.values(), key=lambda m: m["id"]):
        if _upsert_message(conn, data, result):
            result.messages.setdefault(data["conversation_id"], []).append(Message.from_json(data))
            _bump_ticket_last_message(conn, data, result)
    _apply_directory(conn, batch, result)
    if batch.event_seq is not None:
        _kv_set(conn, "event_seq", batch.event_seq)
    return result


def _apply_directory(conn: sqlite3.Connection, batch: StoreBatch, result: AppliedBatch) -> None:
    for data in batch.agents.values():
        conn.execute(
            "INSERT OR REPLACE INTO agents (id, json) VALUES (?, ?)", (data["id"], _dumps(data))
        )
        _refresh_me(conn, data)
        result.agents.append(Agent.from_json(data))
        result.directory.add("agents")
    for agent_id, (status, chosen) in batch.presence.items():
        row = conn.execute("SELECT json FROM agents WHERE id = ?", (agent_id,)).fetchone()
        if row is None:
            continue
        data = json.loads(row[0])
        data["status"], data["chosen_status"] = status, chosen
        conn.execute("UPDATE agents SET json = ? WHERE id = ?", (_dumps(data), agent_id))
        _refresh_me(conn, data)
    for table, upserts, deleted, name in (
        ("inboxes", batch.inboxes, batch.deleted_inbox_ids, "inboxes"),
        ("canned", batch.canned, batch.deleted_canned_ids, "canned"),
        ("teams", batch.teams, batch.deleted_team_ids, "teams"),
    ):
        for data in upserts.values():
            conn.execute(
                f"INSERT OR REPLACE INTO {table} (id, json) VALUES (?, ?)",
                (data["id"], _dumps(data)),
            )
            result.directory.add(name)
        for deleted_id in deleted:
            conn.execute(f"DELETE FROM {table} WHERE id = ?", (deleted_id,))
            result.directory.add(name)
    if batch.labels or batch.deleted_label_ids:
        row = conn.execute("SELECT value FROM kv WHERE key = ?", (LABELS_KEY,)).fetchone()
        labels: dict[str, Any] = json.loads(row[0]) if row else {}
        labels.update({str(label_id): data for label_id, data in batch.labels.items()})
        for deleted_id in batch.deleted_label_ids:
            labels.pop(str(deleted_id), None)
        _kv_set(conn, LABELS_KEY, labels)
        result.directory.add("labels")


def _refresh_me(conn: sqlite3.Connection, agent: dict[str, Any]) -> None:
    row = conn.execute("SELECT value FROM kv WHERE key = 'me'").fetchone()
    if row is not None and json.loads(row[0]).get("id") == agent["id"]:
        _kv_set(conn, "me", agent)


def _replace_snapshot(
    conn: sqlite3.Connection, snapshot: dict[str, Any], reset: bool
) -> AppliedBatch:
    result = AppliedBatch()
    for table in ("agents", "teams", "inboxes", "canned"):
        conn.execute(f"DELETE FROM {table}")
        rows = [(d["id"], _dumps(d)) for d in snapshot.get(table, ())]
        conn.executemany(f"INSERT INTO {table} (id, json) VALUES (?, ?)", rows)
    _kv_set(conn, LABELS_KEY, {str(d["id"]): d for d in snapshot.get("labels", ())})
    result.directory.update(("agents", "teams", "inboxes", "canned", "labels"))
    result.agents = [Agent.from_json(d) for d in snapshot.get("agents", ())]
    _kv_set(conn, "me", snapshot["me"])
    conn.executemany(
        "INSERT OR REPLACE INTO contacts (id, json) VALUES (?, ?)",
        [(d["id"], _dumps(d)) for d in snapshot.get("contacts", ())],
    )
    result.contacts = [Contact.from_json(d) for d in snapshot.get("contacts", ())]
    if reset:
        conn.execute("DELETE FROM messages")
        conn.execute("DELETE FROM history")
    fresh_ids = {t["id"] for t in snapshot.get("tickets", ())}
    stale = [
        r[0]
        for r in conn.execute(f"SELECT id FROM tickets WHERE status IN {OPEN_STATES}")
        if r[0] not in fresh_ids
    ]
    conn.executemany("DELETE FROM tickets WHERE id = ?", [(i,) for i in stale])
    result.removed_ticket_ids = stale
    for data in snapshot.get("tickets", ()):
        _upsert_ticket(conn, data)
        if data.get("last_message"):
            _upsert_message(conn, data["last_message"], result)
    result.tickets = [Ticket.from_json(d) for d in snapshot.get("tickets", ())]
    _kv_set(conn, "event_seq", int(snapshot["event_seq"]))
    result.ticket_fields.add("*")
    return result


def _store_history(
    conn: sqlite3.Connection,
    conversation_id: int,
    messages: Sequence[dict[str, Any]],
    newest: bool,
    has_more: bool | None,
) -> list[Message]:
    result = AppliedBatch()
    changed = [
        Message.from_json(data)
        for data in sorted(messages, key=lambda m: m["id"])
        if _upsert_message(conn, data, result)
    ]
    conn.execute("INSERT OR IGNORE INTO history (conversation_id) VALUES (?)", (conversation_id,))
    if newest:
        conn.execute("UPDATE history SET synced = 1 WHERE conversation_id = ?", (conversation_id,))
    if has_more is not None:
        conn.execute(
            "UPDATE history SET has_more = ? WHERE conversation_id = ?",
            (int(has_more), conversation_id),
        )
    return changed
