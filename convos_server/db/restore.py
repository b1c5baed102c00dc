"""After a restore: move the event sequence past every id the clients may have seen.

A database restored from a backup goes on numbering events from where the dump stopped, but
clients kept syncing after the dump and hold cursors past it. Were the restored database to
write new events with those ids, a client resuming from its cursor would skip them and keep
what it cached from the lost past. ``skip_event_ids`` jumps the sequence ``gap`` ids ahead:
the new events get ids no client has seen, and a cursor in the skipped range names no stored
event, so the stream answers it with ``reset`` (``EventBus.resume_point``) and the client
bootstraps again. Run it once, after the restore and before any server starts.
"""

from __future__ import annotations

import logging

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from convos_server.db.engine import create_engine

log = logging.getLogger("convos.db")

# Ids skipped after a restore: more events than a workspace writes between a backup and its
# restore (1 million customer messages a day make some 5 million events).
DEFAULT_GAP = 1_000_000_000


async def skip_event_ids(database_url: str, gap: int = DEFAULT_GAP) -> tuple[int, int]:
    """Make the next event id at least ``gap`` past any used one; ``(head, next id)``."""
    if gap < 1:
        raise ValueError("the gap must be positive")
    engine = create_engine(database_url)
    try:
        async with engine.begin() as connection:
            head = int(await connection.scalar(text("SELECT coalesce(max(id), 0) FROM events")))
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
    used = await connection.scalar(text("SELECT seq FROM sqlite_sequence WHERE name = 'events'"))
    last = max(head, int(used or 0)) + gap
    if used is None:
        await connection.execute(
            text("INSERT INTO sqlite_sequence (name, seq) VALUES ('events', :last)"),
            {"last": last},
        )
    else:
        await connection.execute(
            text("UPDATE sqlite_sequence SET seq = :last WHERE name = 'events'"), {"last": last}
        )
    return last + 1
