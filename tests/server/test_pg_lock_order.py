"""PostgreSQL: every write that locks a ticket and its conversation takes the conversation's
row first, as a customer message does (``ingress``: its conversation, then the ticket's
``UPDATE``). A reply and the ticket actions (assign, unassign, close, snooze...) locked the
ticket first and then wrote the conversation (the message's clocks, an action's system
message): with a customer message in the same conversation they deadlocked (14 and 17 of 20
concurrent rounds), PostgreSQL aborting one of them after its 1 s deadlock timeout, and once
an action came back to the agent as an error.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg  # type: ignore[import-untyped]
import pytest
from fastapi import FastAPI

from convos_server.db.engine import Database
from tests.server.conftest import BACKENDS, Workspace
from tests.server.test_driver_sql import WarmConversation, warm_conversation
from tests.server.test_pg_message_event import _connect, _waits_for_a_row_lock

pytestmark = [pytest.mark.postgres, pytest.mark.parametrize("backend", [BACKENDS[1]])]

DEADLOCKS = "SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()"


async def while_it_waits_for_the_conversation(
    db: Database,
    warm: WarmConversation,
    write: Awaitable[Any],
    meanwhile: Callable[[asyncpg.Connection, asyncpg.Connection], Awaitable[None]],
) -> Any:
    """``write`` started while another transaction (``holder``) holds the conversation's
    row: once it waits for that row, ``meanwhile(holder, watcher)`` runs (``watcher``: a third
    connection), then ``holder`` commits; the write's result."""
    holder, watcher = await _connect(db), await _connect(db)
    try:
        async with holder.transaction():
            await holder.execute(
                "SELECT FROM conversations WHERE id = $1 FOR NO KEY UPDATE",
                warm.first["conversation_id"],
            )
            task = asyncio.ensure_future(write)
            await _waits_for_a_row_lock(watcher, holder.get_server_pid())
            await meanwhile(holder, watcher)
            assert not task.done()
        return await asyncio.wait_for(task, 10)
    finally:
        await holder.close()
        await watcher.close()


async def _ticket_free_while_it_waits(
    db: Database, warm: WarmConversation, write: Awaitable[Any]
) -> None:
    """``write`` waiting for the conversation's row holds no lock on the ticket's (a third
    connection locks it), and it ends once the conversation is given up (the calls assert
    their 2xx)."""
    ticket_id = warm.first["ticket_id"]

    async def ticket_free(_holder: asyncpg.Connection, watcher: asyncpg.Connection) -> None:
        async with watcher.transaction():
            free = await watcher.fetchval(
                "SELECT id FROM tickets WHERE id = $1 FOR UPDATE SKIP LOCKED", ticket_id
            )
        assert free == ticket_id, "the write held the ticket while it waited"

    await while_it_waits_for_the_conversation(db, warm, write, ticket_free)


async def _rounds_without_deadlock(
    ws: Workspace, db: Database, warm: WarmConversation, write: Callable[[int], Awaitable[Any]]
) -> None:
    """``write(n)`` and a customer message sent together into one conversation, 20 rounds:
    PostgreSQL detects no deadlock (each round answers well within its 1 s timeout)."""
    watcher = await _connect(db)
    try:
        before = await watcher.fetchval(DEADLOCKS)
        for round_number in range(20):
            await asyncio.gather(  # each call asserts its 2xx
                write(round_number),
                ws.handoff(warm.inbox, "carla", f"Ci sei? {round_number}"),
            )
        assert await watcher.fetchval(DEADLOCKS) == before
    finally:
        await watcher.close()


async def test_a_reply_locks_its_conversation_before_its_ticket(
    ws: Workspace, app: FastAPI
) -> None:
    warm = await warm_conversation(ws, app)
    reply = ws.call("POST", warm.url, warm.anna, json={"client_id": "r-lock", "body": "Sì"})
    await _ticket_free_while_it_waits(app.state.db, warm, reply)


async def test_a_ticket_action_locks_the_conversation_before_the_ticket(
    ws: Workspace, app: FastAPI
) -> None:
    warm = await warm_conversation(ws, app)
    action = ws.call("POST", f"/tickets/{warm.first['ticket_id']}/unassign", warm.anna, json={})
    await _ticket_free_while_it_waits(app.state.db, warm, action)


async def test_a_reply_and_a_customer_message_in_one_conversation_do_not_deadlock(
    ws: Workspace, app: FastAPI
) -> None:
    warm = await warm_conversation(ws, app)

    def reply(n: int) -> Awaitable[Any]:
        return ws.call("POST", warm.url, warm.anna, json={"client_id": f"r-{n}", "body": "Eccomi"})

    await _rounds_without_deadlock(ws, app.state.db, warm, reply)


async def test_ticket_actions_and_customer_messages_in_one_conversation_do_not_deadlock(
    ws: Workspace, app: FastAPI
) -> None:
    warm = await warm_conversation(ws, app)
    ticket = warm.first["ticket_id"]

    def action(n: int) -> Awaitable[Any]:
        path = f"/tickets/{ticket}/{'unassign' if n % 2 == 0 else 'assign'}"
        return ws.call("POST", path, warm.anna, json={})

    await _rounds_without_deadlock(ws, app.state.db, warm, action)
