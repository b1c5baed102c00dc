"""The inbox API key check of the channel ingress, cached beside the token cache: a rotated
key, a deactivated or reactivated inbox take effect at the next message, in this process and
(PostgreSQL) in every other one at once; assignments (the round-robin pointer) keep it."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import event

from tests.server.conftest import Workspace
from tests.server.test_driver_sql import trace_writes
from tests.server.test_revocation import another_process


async def send(http: httpx.AsyncClient, inbox: dict[str, Any], key: str, text: str) -> int:
    response = await http.post(
        f"/api/v1/channels/{inbox['id']}/messages",
        headers={"X-Api-Key": key},
        json={"contact": {"external_id": "carla"}, "text": text, "handoff": True},
    )
    return response.status_code


async def test_rotation_and_deactivation_apply_to_the_next_message(ws: Workspace, app: FastAPI):
    anna = await ws.agent("Anna", online=True)
    inbox = await ws.inbox("Robin", await ws.team("T", [anna]), assignment="round_robin")
    old_key = inbox["api_key"]
    statements: list[str] = []
    db = app.state.db
    event.listen(
        db.engine.sync_engine,
        "before_cursor_execute",
        lambda _c, _cur, statement, *_a: statements.append(statement),
    )
    # The write transactions' statements as SQLite runs them (through SQLAlchemy or not).
    await trace_writes(db, statements)
    assert await send(ws.http, inbox, old_key, "Hello") == 201  # a hand-off: round robin
    key_reads = [s for s in statements if "api_key_hash" in s and "inboxes.name" not in s]
    assert len(key_reads) == 1  # (the hand-off loads the inbox's model too)
    assert len(app.state.tokens.inbox_keys) == 1  # the assignment did not drop it
    statements.clear()
    assert await send(ws.http, inbox, old_key, "Again") == 201
    assert statements, "the message was written"
    assert not any("FROM inboxes" in s for s in statements)  # the open ticket: no hand-off
    assert await send(ws.http, inbox, "wrong", "Nope") == 403
    new_key = (await ws.call("POST", f"/inboxes/{inbox['id']}/rotate-key"))["api_key"]
    assert await send(ws.http, inbox, old_key, "Old key") == 403
    assert await send(ws.http, inbox, new_key, "New key") == 201
    await ws.call("PATCH", f"/inboxes/{inbox['id']}", json={"active": False})
    assert await send(ws.http, inbox, new_key, "Closed?") == 409
    await ws.call("PATCH", f"/inboxes/{inbox['id']}", json={"active": True})
    assert await send(ws.http, inbox, new_key, "Open again") == 201
    await ws.call("PATCH", f"/inboxes/{inbox['id']}", json={"name": "Renamed"})
    assert len(app.state.tokens.inbox_keys) == 1  # a rename changes no key
    assert await send(ws.http, {"id": 999}, new_key, "No such inbox") == 403


@pytest.mark.parametrize("backend", [pytest.param("postgres", marks=pytest.mark.postgres)])
async def test_a_rotated_key_stops_working_in_every_process_at_once(live_ws, settings):
    ws = live_ws
    inbox = await ws.inbox("Robin", None)
    old_key = inbox["api_key"]

    async def until(expected: int, key: str) -> None:
        started = time.monotonic()
        while (status := await send(http, inbox, key, "Hi")) != expected:
            assert time.monotonic() - started < 1.5, f"the other process answered {status}"
            await asyncio.sleep(0.02)

    async with another_process(settings) as other, httpx.AsyncClient(base_url=other) as http:
        assert await send(http, inbox, old_key, "Hello") == 201  # cached there from now on
        new_key = (await ws.call("POST", f"/inboxes/{inbox['id']}/rotate-key"))["api_key"]
        await until(403, old_key)
        assert await send(http, inbox, new_key, "New key") == 201
        await ws.call("PATCH", f"/inboxes/{inbox['id']}", json={"active": False})
        await until(409, new_key)
