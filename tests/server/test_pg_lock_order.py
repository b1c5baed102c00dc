"""PostgreSQL: every write that locks a ticket and its conversation takes the conversation's
row first, as a customer message does (``ingress``: its conversation, then the ticket's
``UPDATE``). A ticket action (assign, unassign, close, snooze...) that locked the ticket
first and then wrote the conversation (its system message) deadlocked with a customer message
in the same conversation: PostgreSQL aborted one of them after its 1 s deadlock timeout (17
of 20 concurrent rounds), and one came back to the agent as an error.
"""

from __future__ import annotations

import asyncio

import asyncpg  # type: ignore[import-untyped]
import pytest
from fastapi import FastAPI

from convos_server.db.engine import Database
from tests.server.conftest import BACKENDS, Workspace, _pg_admin_dsn
from tests.server.test_driver_sql import warm_conversation
from tests.server.test_pg_message_event import _waits_for_a_row_lock

pytestmark = [pytest.mark.postgres, pytest.mark.parametrize("backend", [BACKENDS[1]])]

DEADLOCKS = "SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()"


async def _connect(db: Database) -> asyncpg.Connection:
    return await asyncpg.connect(_pg_admin_dsn(db.engine.url.render_as_string(False)))


async def test_a_ticket_action_locks_the_conversation_before_the_ticket(
    ws: Workspace, app: FastAPI
) -> None:
    db: Database = app.state.db
    warm = await warm_conversation(ws, app)
    ticket_id = warm.first["ticket_id"]
    holder, watcher = await _connect(db), await _connect(db)
    try:
        async with holder.transaction():
            await holder.execute(
                "SELECT FROM conversations WHERE id = $1 FOR NO KEY UPDATE",
                warm.first["conversation_id"],
            )
            action = asyncio.ensure_future(
                ws.call("POST", f"/tickets/{ticket_id}/unassign", warm.anna, json={})
            )
            await _waits_for_a_row_lock(watcher, holder.get_server_pid())
            async with watcher.transaction():
                free = await watcher.fetchval(
                    "SELECT id FROM tickets WHERE id = $1 FOR UPDATE SKIP LOCKED", ticket_id
                )
            assert free == ticket_id, "the action held the ticket while it waited"
            assert not action.done()
        await asyncio.wait_for(action, 10)  # the call asserts its 2xx
    finally:
        await holder.close()
        await watcher.close()


async def test_ticket_actions_and_customer_messages_in_one_conversation_do_not_deadlock(
    ws: Workspace, app: FastAPI
) -> None:
    db: Database = app.state.db
    warm = await warm_conversation(ws, app)
    ticket_id = warm.first["ticket_id"]
    watcher = await _connect(db)
    try:
        before = await watcher.fetchval(DEADLOCKS)
        for round_number in range(20):
            action = "unassign" if round_number % 2 == 0 else "assign"
            await asyncio.gather(  # each call asserts its 2xx
                ws.call("POST", f"/tickets/{ticket_id}/{action}", warm.anna, json={}),
                ws.handoff(warm.inbox, "carla", f"Ci sei? {round_number}"),
            )
        assert await watcher.fetchval(DEADLOCKS) == before
    finally:
        await watcher.close()
