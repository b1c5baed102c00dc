"""PostgreSQL: a plain text reply is one statement outside any transaction
(``messages.reply_at_once``). Its snapshot is taken before it waits for the conversation's
row lock, so what another transaction commits meanwhile must be seen where a rule reads it:
on the locked rows (a close, an assignment), through ``uq_messages_client`` (a ``client_id``
used meanwhile), through the conversation's ``xmin`` (a ``seen_message_id`` no longer
current). Each test holds the conversation's row in a transaction of its own, starts the
reply, waits until it waits for that row, commits the change and reads the answer.
"""

from __future__ import annotations

import asyncio
from typing import Any

import asyncpg  # type: ignore[import-untyped]
import httpx
import pytest
from fastapi import FastAPI

from convos_server.db.engine import Database
from tests.server.conftest import BACKENDS, Workspace
from tests.server.test_driver_sql import WarmConversation, warm_conversation
from tests.server.test_pg_lock_order import while_it_waits_for_the_conversation
from tests.server.test_pg_message_event import _connect

pytestmark = [pytest.mark.postgres, pytest.mark.parametrize("backend", [BACKENDS[1]])]


def _reply(ws: Workspace, warm: WarmConversation, **body: Any) -> Any:
    return ws.http.post(f"/api/v1{warm.url}", headers=ws.auth(warm.anna), json=body)


async def _committed_while_it_waits(
    db: Database, warm: WarmConversation, sql: list[tuple[str, tuple[Any, ...]]], reply: Any
) -> httpx.Response:
    """``reply`` started while another transaction holds the conversation's row; once it waits
    for it, that transaction runs ``sql`` and commits: the reply's answer."""

    async def change(holder: asyncpg.Connection, _watcher: asyncpg.Connection) -> None:
        for statement, args in sql:
            await holder.execute(statement, *args)

    response: httpx.Response = await while_it_waits_for_the_conversation(db, warm, reply, change)
    return response


async def _messages(db: Database, conversation_id: int) -> list[asyncpg.Record]:
    connection = await _connect(db)
    try:
        rows: list[asyncpg.Record] = await connection.fetch(
            "SELECT id, client_id, sender_id, ticket_id FROM messages"
            " WHERE conversation_id = $1 ORDER BY id",
            conversation_id,
        )
        return rows
    finally:
        await connection.close()


async def test_a_reply_waiting_for_a_close_is_refused_and_writes_nothing(
    ws: Workspace, app: FastAPI
) -> None:
    db: Database = app.state.db
    warm = await warm_conversation(ws, app)
    before = await _messages(db, warm.first["conversation_id"])
    close = [
        ("UPDATE tickets SET status = 'closed' WHERE id = $1", (warm.first["ticket_id"],)),
        (
            "UPDATE conversations SET open_ticket_id = NULL WHERE id = $1",
            (warm.first["conversation_id"],),
        ),
    ]
    response = await _committed_while_it_waits(
        db, warm, close, _reply(ws, warm, client_id="late", body="Still here")
    )
    assert response.status_code == 409, response.text
    assert response.json()["code"] == "ticket_closed"
    assert await _messages(db, warm.first["conversation_id"]) == before


async def test_a_reply_waiting_for_a_reassignment_is_refused(ws: Workspace, app: FastAPI) -> None:
    db: Database = app.state.db
    warm = await warm_conversation(ws, app)
    bruno = await ws.agent("Bruno", online=True)
    before = await _messages(db, warm.first["conversation_id"])
    assign = [
        ("UPDATE tickets SET assignee_id = $1 WHERE id = $2", (bruno, warm.first["ticket_id"]))
    ]
    response = await _committed_while_it_waits(
        db, warm, assign, _reply(ws, warm, client_id="not-mine", body="Mine?")
    )
    assert response.status_code == 403, response.text
    assert await _messages(db, warm.first["conversation_id"]) == before


async def test_a_client_id_committed_while_it_waits_answers_the_first_message(
    ws: Workspace, app: FastAPI
) -> None:
    """The same ``client_id`` sent twice at once: the second, its snapshot older than the
    first's commit, is refused by the unique index and answers the first message (200)."""
    db: Database = app.state.db
    warm = await warm_conversation(ws, app)
    conversation_id = warm.first["conversation_id"]
    duplicate = [
        (
            "INSERT INTO messages (conversation_id, ticket_id, direction, sender_type, sender_id,"
            " sender_name, body, client_id, created_at)"
            " VALUES ($1, $2, 'out', 'agent', $3, 'Anna', 'Twice', 'twice', now())",
            (conversation_id, warm.first["ticket_id"], warm.anna),
        )
    ]
    response = await _committed_while_it_waits(
        db, warm, duplicate, _reply(ws, warm, client_id="twice", body="Twice")
    )
    assert response.status_code == 200, response.text
    stored = [row for row in await _messages(db, conversation_id) if row["client_id"] == "twice"]
    assert [row["id"] for row in stored] == [response.json()["id"]]


async def test_a_reply_committed_while_it_waits_changes_what_it_saw(
    ws: Workspace, app: FastAPI
) -> None:
    """Another agent's reply commits (its message and the conversation's clocks) while this
    reply, sent with the newest message it saw, waits for the conversation: 409
    ``conversation.changed``, nothing written (the check reads the conversation as it is
    once locked, not the statement's older snapshot)."""
    db: Database = app.state.db
    warm = await warm_conversation(ws, app)
    conversation_id = warm.first["conversation_id"]
    bruno = await ws.agent("Bruno", online=True)
    before = await _messages(db, conversation_id)
    seen = before[-1]["id"]
    other = [
        (
            "WITH inserted AS (INSERT INTO messages (conversation_id, ticket_id, direction,"
            " sender_type, sender_id, sender_name, body, created_at)"
            " VALUES ($1, $2, 'out', 'agent', $3, 'Bruno', 'Mine', now()) RETURNING id)"
            " UPDATE conversations SET last_message_id = (SELECT id FROM inserted),"
            " last_message_at = now() WHERE id = $1",
            (conversation_id, warm.first["ticket_id"], bruno),
        )
    ]
    response = await _committed_while_it_waits(
        db, warm, other, _reply(ws, warm, client_id="seen", body="Me", seen_message_id=seen)
    )
    assert response.status_code == 409, response.text
    assert response.json()["code"] == "conversation.changed"
    assert [row["client_id"] for row in await _messages(db, conversation_id)][-1] is None


async def test_concurrent_replies_actions_and_customer_messages_lose_and_repeat_nothing(
    ws: Workspace, app: FastAPI
) -> None:
    """Rounds of replies (two of them with one ``client_id``), an unassign and assign, and a
    customer message, all at once, then a close amid replies: every reply answered 201 is
    stored once, a repeated ``client_id`` once, nothing after the close, and the
    conversation's ``message.created`` events are in its messages' order."""
    db: Database = app.state.db
    warm = await warm_conversation(ws, app)
    conversation_id, ticket_id = warm.first["conversation_id"], warm.first["ticket_id"]
    accepted: list[int] = []
    for round_number in range(6):
        calls = [
            _reply(ws, warm, client_id=f"c-{round_number}-{n}", body=f"R{n}") for n in range(4)
        ]
        calls += [_reply(ws, warm, client_id=f"same-{round_number}", body="Same") for _ in range(2)]
        calls.append(
            ws.http.post(
                f"/api/v1/tickets/{ticket_id}/{'unassign' if round_number % 2 else 'assign'}",
                headers=ws.auth(warm.anna),
                json={},
            )
        )
        handoff = ws.handoff(warm.inbox, "carla", f"Round {round_number}")
        *responses, _customer = await asyncio.gather(*calls, handoff)
        replies, action = responses[:-1], responses[-1]
        assert action.status_code == 200, action.text
        for response in replies:
            assert response.status_code in (200, 201, 403), response.text
            if response.status_code == 201:
                accepted.append(response.json()["id"])
        same = [r.json()["id"] for r in replies[4:] if r.status_code in (200, 201)]
        assert len(set(same)) <= 1, same
        if round_number % 2:  # unassigned meanwhile: assigned again for the next round
            await ws.call("POST", f"/tickets/{ticket_id}/assign", warm.anna, json={})
    closing = [_reply(ws, warm, client_id=f"last-{n}", body="Last") for n in range(4)]
    close = ws.http.post(f"/api/v1/tickets/{ticket_id}/close", headers=ws.auth(warm.anna), json={})
    *last, closed = await asyncio.gather(*closing, close)
    assert closed.status_code == 200, closed.text
    for response in last:
        assert response.status_code in (201, 409), response.text
        if response.status_code == 201:
            accepted.append(response.json()["id"])
    stored = await _messages(db, conversation_id)
    by_id = {row["id"]: row for row in stored}
    assert all(by_id[message_id]["ticket_id"] == ticket_id for message_id in accepted)
    client_ids = [row["client_id"] for row in stored if row["client_id"] is not None]
    assert len(client_ids) == len(set(client_ids))
    connection = await _connect(db)
    try:
        closed_at = await connection.fetchval(
            "SELECT id FROM messages WHERE conversation_id = $1 AND system_kind = 'ticket.closed'",
            conversation_id,
        )
        after_close = await connection.fetchval(
            "SELECT count(*) FROM messages WHERE conversation_id = $1 AND id > $2"
            " AND direction = 'out'",
            conversation_id,
            closed_at,
        )
        events = await connection.fetch(
            "SELECT (data::json -> 'message' ->> 'id')::bigint FROM events"
            " WHERE type = 'message.created'"
            " AND (data::json -> 'message' ->> 'conversation_id')::bigint = $1 ORDER BY id",
            conversation_id,
        )
    finally:
        await connection.close()
    assert after_close == 0
    assert [row[0] for row in events] == [row["id"] for row in stored]
