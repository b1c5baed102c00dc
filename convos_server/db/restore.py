"""After a restore: move the event sequence past every id the clients may have seen.

A database restored from a backup goes on numbering events from where the dump stopped, but
clients kept syncing after the dump and hold cursors past it. Were the restored database to
write new events with those ids, a client resuming from its cursor would skip them and keep
what it cached from the lost past. ``skip_event_ids`` jumps the sequence ``gap`` ids ahead:
the new events get ids no client has seen, and a cursor in the skipped range names no stored
event, so the stream answers it with ``reset`` (``EventBus.resume_point``) and the client
bootstraps again. Run it once, after the restore and before any server starts.

On SQLite (no ``AUTOINCREMENT`` since migration 0013) the next id is one past the largest in
the table, so the skipped range's last id is held by an internal ``events.skipped`` row, which
no client is sent (``services.events.INTERNAL_TYPES``) and the prune keeps while it is the
newest event.
"""

from __future__ import annotations

import logging

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from convos_server.db.driver_sql import stored_moment
from convos_server.db.engine import create_engine
from convos_server.db.models import utcnow
from convos_server.services.events import EVENTS_SKIPPED

log = logging.getLogger("convos.db")

# Ids skipped after a restore: more events than a workspace writes between a backup and its
# restore (1 million customer messages a day make some 5 million events).
DEFAULT_GAP = 1_000_000_000


# The newest event written by the server (not a row that holds a skipped range's end).
_HEAD = text("SELECT id FROM events WHERE type <> :skipped ORDER BY id DESC LIMIT 1")


async def skip_event_ids(database_url: str, gap: int = DEFAULT_GAP) -> tuple[int, int]:
    """Make the next event id at least ``gap`` past any used one; ``(head, next id)``."""
    if gap < 1:
        raise ValueError("the gap must be positive")
    engine = create_engine(database_url)
    try:
        async with engine.begin() as connection:
            head = int(await connection.scalar(_HEAD, {"skipped": EVENTS_SKIPPED}) or 0)
            if connection.dialect.name == "postgresql":
                next_id = await _skip_postgres(connection, head, gap)
            else:
                next_id = await _skip_sqlite(connection, head, gap)
    finally:
        await engine.dispose()
    log.info("event ids skipped after a restore: head %d, next event id %d", head, next_id)
    return head, next_id


async def _skip_postgres(connection: AsyncConnection, head: int, gap: int) -> int:
    sequence = await connection.scalar(text("SELECT pg_get_serial_sequence('events', 'id')"))
    used = await connection.scalar(
        text(
            "SELECT last_value FROM pg_sequences"
            " WHERE format('%I.%I', schemaname, sequencename) = :sequence"
        ),
        {"sequence": sequence},
    )  # NULL until the sequence gave its first value
    last = max(head, int(used or 0)) + gap
    await connection.execute(
        text("SELECT setval(CAST(:sequence AS regclass), :last, true)"),
        {"sequence": sequence, "last": last},
    )
    return last + 1


async def _skip_sqlite(connection: AsyncConnection, head: int, gap: int) -> int:
    newest = await connection.scalar(text("SELECT max(id) FROM events"))
    last = max(head, int(newest or 0)) + gap
    # The row holds ``last``: the next id is one past it (no AUTOINCREMENT, migration 0013).
    await connection.execute(
        text(
            "INSERT INTO events (id, type, data, inbox_id, agent_id, created_at)"
            " VALUES (:last, :skipped, '{}', NULL, NULL, :now)"
        ),
        {"last": last, "skipped": EVENTS_SKIPPED, "now": stored_moment(utcnow())},
    )
    return last + 1
