"""Snooze (views, waker, customer reply, rights) and labels (admin CRUD, tickets, filter)."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

import pytest

from convos_server.db import models as m
from convos_server.db.engine import Database
from convos_server.services import snooze as snoozing
from convos_server.services.events import EventBus
from tests.server.test_tickets import events_after, head, post


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"snooze_check_s": 0.05}


async def _world(ws) -> tuple[int, int, dict[str, Any], int]:
    anna = await ws.agent("Anna", online=True)
    carla = await ws.agent("Carla", online=True)
    team = await ws.team("Team A", [anna])
    await ws.team("Team B", [carla])
    inbox = await ws.inbox("Sales", team)
    ticket_id = (await ws.handoff(inbox, "wa:1", "Hello"))["ticket_id"]
    return anna, carla, inbox, ticket_id


def _later(seconds: float) -> str:
    return (dt.datetime.now(dt.UTC) + dt.timedelta(seconds=seconds)).isoformat()


async def _ids(ws, agent: int, **query: Any) -> list[int]:
    page = await ws.call("GET", "/tickets", agent, params=query)
    return [t["id"] for t in page["items"]]


async def test_snooze_leaves_the_views_and_the_waker_brings_it_back(ws):
    anna, _carla, _inbox, ticket_id = await _world(ws)
    seq = await head(ws)
    answer = await post(ws, anna, f"/tickets/{ticket_id}/snooze", json={"until": _later(0.6)})
    assert answer.status_code == 200, answer.text
    assert answer.json()["snoozed"] is True
    assert await _ids(ws, anna, view="unassigned") == []
    assert await _ids(ws, anna, view="snoozed") == [ticket_id]
    assert await _ids(ws, anna, view="all") == [ticket_id]  # the history keeps it
    assert await _ids(ws, anna, view="all", snoozed="false") == []
    for _ in range(100):
        if any(kind == "ticket.woke" for kind, _d in await events_after(ws, seq)):
            break
        await asyncio.sleep(0.05)
    woke = [d for kind, d in await events_after(ws, seq) if kind == "ticket.woke"]
    assert len(woke) == 1
    assert woke[0]["reason"] == "time"
    assert woke[0]["snoozed_by"] == anna
    assert woke[0]["ticket"]["snoozed"] is False
    assert await _ids(ws, anna, view="unassigned") == [ticket_id]


async def test_a_ticket_snoozed_by_another_process_wakes_on_time(ws, settings):
    """No nudge reaches this process's waker: it sees the other process's commit (SQLite:
    its data version moved) and wakes the ticket when its time comes."""
    anna, _carla, _inbox, ticket_id = await _world(ws)
    await asyncio.sleep(0.2)  # the waker has looked and found nothing due
    seq = await head(ws)
    other_db = Database(settings.database_url)
    try:
        async with other_db.transaction() as session:
            agent = await session.get(m.Agent, anna)
            assert agent is not None
            until = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=0.4)
            await snoozing.snooze(session, EventBus(other_db), agent, ticket_id, until)
    finally:
        await other_db.dispose()
    for _ in range(100):
        if any(kind == "ticket.woke" for kind, _d in await events_after(ws, seq)):
            break
        await asyncio.sleep(0.05)
    woke = [d for kind, d in await events_after(ws, seq) if kind == "ticket.woke"]
    assert [(d["reason"], d["ticket"]["id"]) for d in woke] == [("time", ticket_id)]


async def test_a_customer_reply_wakes_a_ticket_snoozed_until_reply(ws):
    anna, _carla, inbox, ticket_id = await _world(ws)
    answer = await post(ws, anna, f"/tickets/{ticket_id}/snooze", json={"until": None})
    assert answer.json()["snoozed_until"] is None
    assert answer.json()["snoozed"] is True
    seq = await head(ws)
    await ws.handoff(inbox, "wa:1", "Any news?")
    woke = [d for kind, d in await events_after(ws, seq) if kind == "ticket.woke"]
    assert [d["reason"] for d in woke] == ["reply"]
    assert await _ids(ws, anna, view="unassigned") == [ticket_id]


async def test_snooze_rules(ws):
    anna, carla, _inbox, ticket_id = await _world(ws)
    past = (dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)).isoformat()
    assert (
        await post(ws, anna, f"/tickets/{ticket_id}/snooze", json={"until": past})
    ).status_code == 422
    far = _later(400 * 86400)
    assert (
        await post(ws, anna, f"/tickets/{ticket_id}/snooze", json={"until": far})
    ).status_code == 422
    naive = dt.datetime.now().replace(microsecond=0).isoformat()
    assert (
        await post(ws, anna, f"/tickets/{ticket_id}/snooze", json={"until": naive})
    ).status_code == 422
    # another team's agent does not see it
    assert (await post(ws, carla, f"/tickets/{ticket_id}/snooze", json={})).status_code == 404
    await post(ws, anna, f"/tickets/{ticket_id}/assign")
    bruno = await ws.agent("Bruno", online=True)
    await ws.call(
        "PATCH", f"/agents/{bruno}", json={"team_ids": [(await ws.call("GET", "/teams"))[0]["id"]]}
    )
    assert (await post(ws, bruno, f"/tickets/{ticket_id}/snooze", json={})).status_code == 403
    assert (await post(ws, anna, f"/tickets/{ticket_id}/snooze", json={})).status_code == 200
    assert await _ids(ws, anna, view="mine") == []
    assert (await post(ws, bruno, f"/tickets/{ticket_id}/unsnooze")).status_code == 403
    assert (await post(ws, anna, f"/tickets/{ticket_id}/unsnooze")).json()["snoozed"] is False
    assert await _ids(ws, anna, view="mine") == [ticket_id]
    await post(ws, anna, f"/tickets/{ticket_id}/close")
    assert (await post(ws, anna, f"/tickets/{ticket_id}/snooze", json={})).status_code == 409


async def test_labels_admin_crud_assignment_and_filter(ws):
    anna, carla, _inbox, ticket_id = await _world(ws)
    assert (
        await post(ws, anna, "/labels", json={"name": "VIP", "color": "#ff0000"})
    ).status_code == 403
    seq = await head(ws)
    vip = await ws.call("POST", "/labels", json={"name": "VIP", "color": "#FF0000"})
    assert vip["color"] == "#ff0000"
    bad = await post(ws, ws.admin_id, "/labels", json={"name": "vip", "color": "#00ff00"})
    assert bad.status_code == 409
    bad = await post(ws, ws.admin_id, "/labels", json={"name": "X", "color": "red"})
    assert bad.status_code == 422
    bug = await ws.call("POST", "/labels", json={"name": "Bug", "color": "#0000ff"})
    assert [label["name"] for label in await ws.call("GET", "/labels", anna)] == ["Bug", "VIP"]
    put = await ws.http.put(
        f"/api/v1/tickets/{ticket_id}/labels/{vip['id']}", headers=ws.auth(anna)
    )
    assert put.json()["label_ids"] == [vip["id"]]
    hidden = await ws.http.put(
        f"/api/v1/tickets/{ticket_id}/labels/{bug['id']}", headers=ws.auth(carla)
    )
    assert hidden.status_code == 404
    assert await _ids(ws, anna, label=vip["id"]) == [ticket_id]
    assert await _ids(ws, anna, label=bug["id"]) == []
    renamed = await ws.call("PATCH", f"/labels/{vip['id']}", json={"name": "Gold"})
    assert renamed["name"] == "Gold"
    await ws.call("DELETE", f"/labels/{vip['id']}")
    ticket = (await ws.call("GET", f"/tickets/{ticket_id}", anna))["ticket"]
    assert ticket["label_ids"] == []
    kinds = [(kind, d.get("deleted"), d.get("changed")) for kind, d in await events_after(ws, seq)]
    assert ("label.changed", True, None) in kinds
    assert ("ticket.updated", None, ["label_ids"]) in kinds


async def test_bootstrap_counts_leave_snoozed_tickets_out_and_list_labels(ws):
    anna, _carla, _inbox, ticket_id = await _world(ws)
    await ws.call("POST", "/labels", json={"name": "VIP", "color": "#ff0000"})
    await post(ws, anna, f"/tickets/{ticket_id}/snooze", json={})
    boot = await ws.call("GET", "/bootstrap", anna)
    assert boot["counts"] == {"mine": 0, "unassigned": 0, "all": 0, "snoozed": 1}
    assert boot["inbox_counts"] == {}
    assert [t["id"] for t in boot["tickets"]] == [ticket_id]
    assert [label["name"] for label in boot["labels"]] == ["VIP"]
