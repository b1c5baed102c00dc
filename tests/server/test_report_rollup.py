"""The per-day rollup behind GET /reports follows every ticket transition.

After each step (hand-off, assign, first reply, close, reopen by someone else, an admin's
reassignment, unassign, a new ticket with its first message) the rows the services
maintained equal a rebuild from the tickets, and the report's figures are the ones
computed by hand from the tickets' own times.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import select

from convos_server.db import models as m
from convos_server.services.report_rollup import Snapshot, pack, rollup_rows, unpack
from tests.server.conftest import BACKENDS


async def stored_rows(ws) -> list[dict[str, Any]]:
    db = ws.http._transport.app.state.db
    async with db.sessionmaker() as session:
        rollup = m.Base.metadata.tables["report_days"]
        found = await session.execute(select(rollup).order_by(*rollup.primary_key.columns))
        return [dict(row._mapping) for row in found if row.opened or row.closed]


async def rebuilt_rows(ws) -> list[dict[str, Any]]:
    db = ws.http._transport.app.state.db
    async with db.sessionmaker() as session:
        t = m.Ticket
        found = await session.execute(
            select(t.inbox_id, t.assignee_id, t.opened_at, t.first_response_at, t.closed_at)
        )
        return rollup_rows(Snapshot(*row) for row in found)


async def check_rollup(ws) -> None:
    assert await stored_rows(ws) == await rebuilt_rows(ws)


def seconds(later: str, earlier: str) -> float:
    return round(
        (dt.datetime.fromisoformat(later) - dt.datetime.fromisoformat(earlier)).total_seconds(), 3
    )


def test_packed_durations_come_back_sorted():
    assert unpack(pack([3.5, 1.0, 2.25])) == [1.0, 2.25, 3.5]
    assert unpack(b"") == []


@pytest.mark.parametrize("backend", BACKENDS)
async def test_rollup_follows_reopen_reassign_and_new_tickets(ws):
    anna = await ws.agent("Anna", online=True)
    bruno = await ws.agent("Bruno", online=True)
    await ws.presence(ws.admin_id, "online")
    team = await ws.team("Team A", [anna, bruno])
    inbox = await ws.inbox("Sales", team)
    handoff = await ws.handoff(inbox, "wa:1", "Hello")
    first = handoff["ticket_id"]
    await check_rollup(ws)
    await ws.call("POST", f"/tickets/{first}/assign", anna)
    await ws.call(
        "POST",
        f"/conversations/{handoff['conversation_id']}/messages",
        anna,
        json={"client_id": "r1", "body": "Hi"},
    )
    await ws.call("POST", f"/tickets/{first}/close", anna)
    await check_rollup(ws)
    await ws.call("POST", f"/tickets/{first}/reopen", bruno)
    await check_rollup(ws)
    await ws.call("POST", f"/tickets/{first}/assign", json={"agent_id": anna, "force": True})
    await check_rollup(ws)
    await ws.call("POST", f"/tickets/{first}/unassign", anna)
    await check_rollup(ws)
    await ws.call("POST", f"/tickets/{first}/assign", bruno)
    await ws.call("POST", f"/tickets/{first}/close", bruno)
    made = await ws.call(
        "POST",
        "/tickets",
        anna,
        json={"contact_id": handoff["message"]["sender_id"], "inbox_id": inbox["id"], "body": "x"},
    )
    await check_rollup(ws)

    one = (await ws.call("GET", f"/tickets/{first}"))["ticket"]
    two = made["ticket"]
    assert one["reopen_count"] == 1
    response_one = seconds(one["first_response_at"], one["opened_at"])
    resolution_one = seconds(one["closed_at"], one["opened_at"])
    response_two = seconds(two["first_response_at"], two["opened_at"])
    day = dt.datetime.fromisoformat(one["opened_at"]).date().isoformat()
    closed_day = dt.datetime.fromisoformat(one["closed_at"]).date().isoformat()
    body = await ws.call("GET", "/reports", params={"from": day, "to": closed_day, "by": "agent"})
    rows = {row["id"]: row for row in body["rows"]}
    assert rows[bruno] | {"name": ""} == {
        "id": bruno,
        "name": "",
        "opened": 1,
        "closed": 1,
        "backlog": 0,
        "first_response_median_s": response_one,
        "first_response_p90_s": response_one,
        "resolution_median_s": resolution_one,
        "resolution_p90_s": resolution_one,
    }
    assert rows[anna]["opened"] == 1
    assert rows[anna]["closed"] == 0
    assert rows[anna]["backlog"] == 1
    assert rows[anna]["first_response_median_s"] == response_two
    assert rows[anna]["resolution_median_s"] is None
    assert rows[ws.admin_id]["opened"] == 0
    total = body["total"]
    assert (total["opened"], total["closed"], total["backlog"]) == (2, 1, 1)
