"""A lean customer message or reply on PostgreSQL writes its message, clocks and
``message.created`` event in one statement (``messages.insert_published``). The events'
advisory lock (ids committed in order across processes) must still be the transaction's last
lock: while the statement waits for a row lock held elsewhere, nobody is kept from the events;
a ticket found snoozed takes no lock and writes no event, and the block goes on in a session.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable
from typing import Any

import asyncpg  # type: ignore[import-untyped]
import pytest
from fastapi import FastAPI

from convos_server.db import driver_sql
from convos_server.db import models as m
from convos_server.db.engine import Database
from convos_server.db.lean import NeedsSession
from convos_server.services.events import ADVISORY_LOCK_KEY, NOTIFY_CHANNEL, EventBus
from convos_server.services.messages import Author, insert_published
from tests.server.conftest import BACKENDS, Workspace, _pg_admin_dsn
from tests.server.test_driver_sql import warm_conversation
from tests.server.test_events import two_buses_counting_reads

pytestmark = [pytest.mark.postgres, pytest.mark.parametrize("backend", [BACKENDS[1]])]


async def _connect(db: Database) -> asyncpg.Connection:
    """A connection of its own (not pooled)."""
    return await asyncpg.connect(_pg_admin_dsn(db.engine.url.render_as_string(False)))


async def _waits_for_a_row_lock(watcher: asyncpg.Connection, holder_pid: int) -> None:
    """Until a backend waits for a lock that ``holder_pid`` holds."""
    for _ in range(500):
        blocked = await watcher.fetchval(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE $1 = ANY(pg_blocking_pids(pid)) AND wait_event_type = 'Lock'",
            holder_pid,
        )
        if blocked:
            return
        await asyncio.sleep(0.01)
    raise AssertionError("nothing waited for the row lock")


async def _events_free_while_blocked(
    db: Database, lock_sql: str, write: Awaitable[Any], *args: Any
) -> None:
    """``write`` started while another transaction holds ``lock_sql``'s row lock: once it
    waits for that lock, the events' advisory lock is free (a third connection takes it),
    and it ends once the row lock is given up."""
    holder, watcher = await _connect(db), await _connect(db)
    try:
        async with holder.transaction():
            await holder.execute(lock_sql, *args)
            task = asyncio.ensure_future(write)
            await _waits_for_a_row_lock(watcher, holder.get_server_pid())
            async with watcher.transaction():
                took = await watcher.fetchval(
                    "SELECT pg_try_advisory_xact_lock($1)", ADVISORY_LOCK_KEY
                )
            assert took, "the events' lock was taken before a row lock"
            assert not task.done()
        await asyncio.wait_for(task, 10)
    finally:
        await holder.close()
        await watcher.close()


async def test_a_message_takes_the_events_lock_after_its_ticket_row(
    ws: Workspace, app: FastAPI
) -> None:
    warm = await warm_conversation(ws, app)
    ticket_id = warm.first["ticket_id"]
    await _events_free_while_blocked(
        app.state.db,
        "SELECT FROM tickets WHERE id = $1 FOR NO KEY UPDATE",
        ws.handoff(warm.inbox, "carla", "Still there?"),
        ticket_id,
    )


async def test_a_reply_takes_the_events_lock_after_its_conversation_row(
    ws: Workspace, app: FastAPI
) -> None:
    warm = await warm_conversation(ws, app)
    reply = ws.call("POST", warm.url, warm.anna, json={"client_id": "r-1", "body": "Yes"})
    await _events_free_while_blocked(
        app.state.db,
        "SELECT FROM conversations WHERE id = $1 FOR NO KEY UPDATE",
        reply,
        warm.first["conversation_id"],
    )


async def _publish_then_look(
    db: Database, first: dict[str, Any], author: Author, inbox_id: int, seen: list[int]
) -> None:
    """``insert_published`` in a lean block; when it gives up, the advisory locks the block
    holds and the events it sees are added to ``seen`` before the block is rolled back."""
    async with db.lean() as session:
        try:
            await insert_published(
                session,
                first["conversation_id"],
                first["ticket_id"],
                author,
                "in",
                "Wake up",
                inbox_id,
            )
        except NeedsSession:
            driver = driver_sql.postgres(session)
            assert driver is not None
            seen.append(
                await driver.fetchval(
                    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'"
                    " AND pid = pg_backend_pid()"
                )
            )
            seen.append(await driver.fetchval("SELECT count(*) FROM events"))
            raise


async def test_a_ticket_found_snoozed_takes_no_events_lock_and_writes_no_event(
    ws: Workspace, app: FastAPI
) -> None:
    db: Database = app.state.db
    warm = await warm_conversation(ws, app)
    first = warm.first
    watcher = await _connect(db)
    try:
        await watcher.execute("UPDATE tickets SET snoozed = true WHERE id = $1", first["ticket_id"])
        contact_id = await watcher.fetchval(
            "SELECT contact_id FROM conversations WHERE id = $1", first["conversation_id"]
        )
        events_before = await watcher.fetchval("SELECT count(*) FROM events")
        seen: list[int] = []
        author = Author("contact", contact_id, "carla")
        with pytest.raises(NeedsSession):
            await _publish_then_look(db, first, author, warm.inbox["id"], seen)
        assert seen == [0, events_before]
        assert await watcher.fetchval("SELECT count(*) FROM events") == events_before
    finally:
        await watcher.close()


async def test_a_note_does_not_wait_for_its_tickets_lock(ws: Workspace, app: FastAPI) -> None:
    """A reply locks its open ticket (``FOR UPDATE``) in its first statement; a note (which
    writes nothing of the ticket) does not, so a ticket another transaction is writing does
    not hold it up (the note's foreign key shares the ticket's key only)."""
    warm = await warm_conversation(ws, app)
    holder = await _connect(app.state.db)
    try:
        async with holder.transaction():
            await holder.execute(
                "SELECT FROM tickets WHERE id = $1 FOR NO KEY UPDATE", warm.first["ticket_id"]
            )
            note = {"client_id": "n-1", "kind": "note", "body": "Looking into it"}
            sent = await asyncio.wait_for(ws.call("POST", warm.url, warm.anna, json=note), 5)
        assert sent["direction"] == "note"
    finally:
        await holder.close()


async def test_a_notify_of_events_handed_over_already_wakes_no_read(
    ws: Workspace, app: FastAPI
) -> None:
    """Most ``NOTIFY convos_events`` name events this process committed and read already (its
    own wake-up came first): they do not wake the reader again; a newer id does."""
    await warm_conversation(ws, app)
    bus = app.state.bus
    watcher = await _connect(app.state.db)
    try:
        newest = await watcher.fetchval("SELECT max(id) FROM events")
    finally:
        await watcher.close()
    for _ in range(500):  # until the reader has handed over the set-up's events
        if not bus._wakeup.is_set() and bus._head >= newest:
            break
        await asyncio.sleep(0.01)
    head = bus._head
    assert head >= newest
    bus._events_notified(None, 0, "convos_events", str(head))
    assert not bus._wakeup.is_set()
    bus._events_notified(None, 0, "convos_events", str(head + 1))
    assert bus._wakeup.is_set()


async def test_a_lean_messages_event_is_handed_over_as_inserted_not_read_back(
    ws: Workspace, app: FastAPI
) -> None:
    """The event ``insert_published`` wrote goes to the streams, once its transaction has
    committed, as the statement inserted it (the table's row, byte for byte), without the
    reader's read; a rolled back block hands nothing over (the id it took is a gap: the next
    drain reads); a newer commit of another process notified meanwhile is read after the
    hand-over in the same drain, in order; so are the events a transaction queued besides."""
    warm = await warm_conversation(ws, app)
    url = app.state.db.engine.url.render_as_string(False)
    db, other, bus, other_bus, loads = two_buses_counting_reads(url)
    conversation_id, ticket_id = warm.first["conversation_id"], warm.first["ticket_id"]

    async def lean_reply(text: str, fail: bool = False, queue_another: bool = False) -> None:
        async with db.lean() as session:
            published = await insert_published(
                session,
                conversation_id,
                ticket_id,
                Author("agent", warm.anna, "Anna"),
                "out",
                text,
                warm.inbox["id"],
                client_id=text,
            )
            assert published is not None
            if fail:
                raise RuntimeError("rolled back")
            if queue_another:  # an event queued after it: inserted before the COMMIT
                await bus.publish(session, "canned.changed", {"deleted_id": 2})

    try:
        bus._head = await bus.stored_head()  # the reader's start, without its task
        subscription = await bus.subscribe(m.Agent(id=warm.anna, role="admin"))
        await lean_reply("one")
        await bus._drain()
        first = subscription.take()
        assert [json.loads(e.data)["message"]["body"] for e in first] == ["one"]
        assert first == await EventBus._load(bus, first[0].seq - 1)  # the table, uncounted
        assert loads == []  # not read back

        with pytest.raises(RuntimeError):
            await lean_reply("never", fail=True)
        assert bus._committed == []
        await lean_reply("two")  # after the id the rollback left unused: a gap, read
        await bus._drain()
        second = subscription.take()
        assert [json.loads(e.data)["message"]["body"] for e in second] == ["two"]
        assert loads == [first[0].seq]

        loads.clear()
        await lean_reply("three")
        async with other.transaction() as session:  # another process's newer commit
            await other_bus.publish(session, "canned.changed", {"deleted_id": 1})
        bus._events_notified(None, 0, NOTIFY_CHANNEL, str(await other_bus.stored_head()))
        await bus._drain()
        third = subscription.take()
        assert [e.type for e in third] == ["message.created", "canned.changed"]
        assert json.loads(third[0].data)["message"]["body"] == "three"
        assert [e.seq for e in third] == [second[0].seq + 1, second[0].seq + 2]
        assert loads == [third[0].seq]  # only the newer commit was read

        loads.clear()
        await lean_reply("four", queue_another=True)
        await bus._drain()
        fourth = subscription.take()
        assert [e.type for e in fourth] == ["message.created", "canned.changed"]
        assert loads == [third[-1].seq]  # the queued event's id was not returned: read
    finally:
        await db.dispose()
        await other.dispose()
