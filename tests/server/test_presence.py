"""Presence: effective status from chosen status and screen, expiry after the TTL."""

from __future__ import annotations

import asyncio
import json

import pytest
from sqlalchemy import select

from convos_server.db import models as m

TTL = 0.5


@pytest.fixture
def settings_overrides():
    return {"presence_ttl_s": TTL}


async def presence_events(ws) -> list[dict]:
    db = ws.http._transport.app.state.db
    async with db.sessionmaker() as session:
        rows = await session.scalars(
            select(m.Event).where(m.Event.type == "presence.changed").order_by(m.Event.id)
        )
        return [json.loads(row.data) for row in rows]


async def status_of(ws, agent_id) -> str:
    agents = await ws.call("GET", "/agents")
    return next(a["status"] for a in agents if a["id"] == agent_id)


async def test_effective_status_follows_status_and_screen(ws):
    anna = await ws.agent("Anna")
    assert (await ws.presence(anna, "online"))["status"] == "online"
    other = await ws.presence(anna, "online", screen="other")
    assert (other["status"], other["chosen_status"]) == ("unavailable", "online")
    assert (await ws.presence(anna, "busy"))["status"] == "busy"
    events = [e for e in await presence_events(ws) if e["agent_id"] == anna]
    assert [(e["status"], e["chosen_status"]) for e in events] == [
        ("online", "online"),
        ("unavailable", "online"),
        ("busy", "busy"),
    ]


async def test_no_heartbeat_for_the_ttl_makes_an_agent_unavailable(ws):
    anna = await ws.agent("Anna", online=True)
    bruno = await ws.agent("Bruno", online=True)
    for _ in range(8):  # Bruno keeps beating; Anna went silent.
        await asyncio.sleep(TTL / 4)
        await ws.presence(bruno, "online")
    assert await status_of(ws, anna) == "unavailable"
    assert await status_of(ws, bruno) == "online"
    anna_events = [e for e in await presence_events(ws) if e["agent_id"] == anna]
    assert anna_events[-1] == {"agent_id": anna, "status": "unavailable", "chosen_status": "online"}
    refused = await ws.http.post(
        "/api/v1/tickets", headers=ws.auth(anna), json={"contact_id": 1, "inbox_id": 1, "body": "x"}
    )
    assert refused.json()["code"] == "agent_not_online"
    assert (await ws.presence(anna, "online"))["status"] == "online"


async def test_bad_presence_body_is_invalid(ws):
    response = await ws.http.put(
        "/api/v1/presence", headers=ws.auth(ws.admin_id), json={"status": "away", "screen": "other"}
    )
    assert response.status_code == 422
    assert response.json()["field"] == "status"
