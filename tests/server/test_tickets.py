"""Ticket transitions with their events and system lines, team visibility, the online rule."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pytest
from sqlalchemy import select

from convos_server.db import models as m
from tests.server.conftest import BACKENDS


@dataclass
class World:
    """Two teams with one manual inbox each."""

    anna: int
    bruno: int
    carla: int
    inbox_a: dict
    inbox_b: dict


@pytest.fixture
async def world(ws) -> World:
    anna = await ws.agent("Anna", online=True)
    bruno = await ws.agent("Bruno", online=True)
    carla = await ws.agent("Carla", online=True)
    team_a = await ws.team("Team A", [anna, bruno])
    team_b = await ws.team("Team B", [carla])
    inbox_a = await ws.inbox("Sales", team_a)
    inbox_b = await ws.inbox("Support", team_b)
    return World(anna, bruno, carla, inbox_a, inbox_b)


async def events_after(ws, seq: int) -> list[tuple[str, dict]]:
    """The stored events after ``seq`` (type, data), read straight from the table."""
    db = ws.http._transport.app.state.db
    async with db.sessionmaker() as session:
        rows = await session.scalars(select(m.Event).where(m.Event.id > seq).order_by(m.Event.id))
        return [(row.type, json.loads(row.data)) for row in rows]


async def head(ws) -> int:
    body = await ws.call("GET", "/bootstrap")
    return int(body["event_seq"])


async def post(ws, agent_id, path, **kw):
    return await ws.http.post(f"/api/v1{path}", headers=ws.auth(agent_id), **kw)


@pytest.mark.parametrize("backend", BACKENDS)
async def test_ticket_life_cycle_with_events_and_system_messages(ws, world):
    handoff = await ws.handoff(world.inbox_a, "wa:1", "Hello, I need help")
    ticket_id = handoff["ticket_id"]
    assert ticket_id is not None
    ticket = (await ws.call("GET", f"/tickets/{ticket_id}", world.anna))["ticket"]
    assert ticket["status"] == "open"
    assert ticket["assignee_id"] is None
    assert ticket["last_message"]["body"] == "Hello, I need help"

    seq = await head(ws)
    assigned = await ws.call("POST", f"/tickets/{ticket_id}/assign", world.anna)
    assert assigned["assignee_id"] == world.anna
    assert assigned["assigned_at"] is not None
    events = await events_after(ws, seq)
    types = [t for t, _ in events]
    assert "ticket.updated" in types
    update = next(d for t, d in events if t == "ticket.updated")
    assert update["ticket"]["assignee_id"] == world.anna
    assert "assignee_id" in update["changed"]
    assert update["contact"]["external_id"] == "wa:1"
    system = [d["message"] for t, d in events if t == "message.created"]
    assert [s["body"] for s in system] == ["Ticket assigned to Anna"]
    assert system[0]["direction"] == "system"

    seq = await head(ws)
    unassigned = await ws.call("POST", f"/tickets/{ticket_id}/unassign", world.anna)
    assert unassigned["assignee_id"] is None
    assert ("ticket.updated") in [t for t, _ in await events_after(ws, seq)]

    await ws.call("POST", f"/tickets/{ticket_id}/assign", world.bruno)
    seq = await head(ws)
    closed = await ws.call("POST", f"/tickets/{ticket_id}/close", world.bruno)
    assert closed["status"] == "closed"
    assert closed["closed_by"] == world.bruno
    events = await events_after(ws, seq)
    assert any(
        t == "message.created" and d["message"]["body"] == "Ticket closed by Bruno"
        for t, d in events
    )
    assert any(t == "ticket.updated" and d["ticket"]["status"] == "closed" for t, d in events)

    refused = await post(ws, world.anna, f"/tickets/{ticket_id}/assign")
    assert refused.status_code == 409
    assert refused.json()["code"] == "ticket_closed"

    seq = await head(ws)
    reopened = await ws.call("POST", f"/tickets/{ticket_id}/reopen", world.anna)
    assert reopened["status"] == "open"
    assert reopened["assignee_id"] == world.anna
    assert reopened["reopen_count"] == 1
    assert any(t == "ticket.updated" for t, _ in await events_after(ws, seq))

    activities = await ws.call("GET", f"/contacts/{ticket['contact_id']}/activities", world.anna)
    kinds = [a["kind"] for a in activities]
    assert kinds[-1] == "ticket.opened"
    assert {"ticket.assigned", "ticket.unassigned", "ticket.closed", "ticket.reopened"} <= set(
        kinds
    )


async def test_new_ticket_refused_while_the_contact_has_one_open(ws, world):
    handoff = await ws.handoff(world.inbox_a, "wa:2")
    ticket_id = handoff["ticket_id"]
    contact_id = handoff["message"]["sender_id"]
    refused = await post(
        ws,
        world.anna,
        "/tickets",
        json={"contact_id": contact_id, "inbox_id": world.inbox_a["id"], "body": "Hi"},
    )
    assert refused.status_code == 409
    assert refused.json() == {
        **refused.json(),
        "code": "open_ticket_exists",
        "ticket_id": ticket_id,
    }

    await ws.call("POST", f"/tickets/{ticket_id}/assign", world.anna)
    await ws.call("POST", f"/tickets/{ticket_id}/close", world.anna)
    seq = await head(ws)
    created = await post(
        ws,
        world.anna,
        "/tickets",
        json={"contact_id": contact_id, "inbox_id": world.inbox_a["id"], "body": "Back again?"},
    )
    assert created.status_code == 201
    body = created.json()
    assert body["ticket"]["assignee_id"] == world.anna
    assert body["ticket"]["first_response_at"] is not None
    assert body["message"]["direction"] == "out"
    assert body["message"]["body"] == "Back again?"
    types = [t for t, _ in await events_after(ws, seq)]
    assert "ticket.created" in types
    assert "message.created" in types

    reopen = await post(ws, world.anna, f"/tickets/{ticket_id}/reopen")
    assert reopen.status_code == 409
    assert reopen.json()["code"] == "open_ticket_exists"
    assert reopen.json()["ticket_id"] == body["ticket"]["id"]


async def test_agents_do_not_see_or_touch_other_teams_tickets(ws, world):
    ticket_b = (await ws.handoff(world.inbox_b, "tg:1"))["ticket_id"]
    ticket_a = (await ws.handoff(world.inbox_a, "wa:3"))["ticket_id"]
    for path in [f"/tickets/{ticket_b}/assign", f"/tickets/{ticket_b}/close"]:
        response = await post(ws, world.anna, path)
        assert response.status_code == 404
        assert response.json()["code"] == "not_found"
    assert (
        await ws.http.get(f"/api/v1/tickets/{ticket_b}", headers=ws.auth(world.anna))
    ).status_code == 404
    listed = await ws.call("GET", "/tickets?view=all", world.anna)
    assert [t["id"] for t in listed["items"]] == [ticket_a]
    boot = await ws.call("GET", "/bootstrap", world.anna)
    assert [t["id"] for t in boot["tickets"]] == [ticket_a]
    assert [i["id"] for i in boot["inboxes"]] == [world.inbox_a["id"]]
    assert boot["counts"] == {"mine": 0, "unassigned": 1, "all": 1, "snoozed": 0}
    admin_view = await ws.call("GET", "/tickets?view=unassigned")
    assert {t["id"] for t in admin_view["items"]} == {ticket_a, ticket_b}


async def test_tickets_of_one_contact_open_and_closed(ws, world):
    """``contact=`` lists one contact's tickets, closed ones included, newest first."""
    first = await ws.handoff(world.inbox_a, "wa:7", "Primo problema")
    await post(ws, world.anna, f"/tickets/{first['ticket_id']}/close")
    second = await ws.handoff(world.inbox_a, "wa:7", "Secondo problema")
    other = await ws.handoff(world.inbox_a, "wa:8", "Altro cliente")
    contact_id = (await ws.call("GET", f"/tickets/{second['ticket_id']}", world.anna))["contact"][
        "id"
    ]
    listed = await ws.call("GET", f"/tickets?contact={contact_id}", world.anna)
    assert [(t["id"], t["status"]) for t in listed["items"]] == [
        (second["ticket_id"], "open"),
        (first["ticket_id"], "closed"),
    ]
    closed = await ws.call("GET", f"/tickets?contact={contact_id}&status=closed", world.anna)
    assert [t["id"] for t in closed["items"]] == [first["ticket_id"]]
    assert other["ticket_id"] not in {t["id"] for t in listed["items"]}
    hidden = await ws.call("GET", f"/tickets?contact={contact_id}", world.carla)
    assert hidden["items"] == []  # another team's agent sees none of them


async def test_an_agent_may_not_take_a_ticket_someone_holds_but_an_admin_may_force(ws, world):
    ticket_id = (await ws.handoff(world.inbox_a, "wa:4"))["ticket_id"]
    await ws.call("POST", f"/tickets/{ticket_id}/assign", world.anna)
    taken = await post(ws, world.bruno, f"/tickets/{ticket_id}/assign")
    assert taken.status_code == 409
    assert taken.json()["code"] == "already_assigned"
    other = await post(
        ws, world.bruno, f"/tickets/{ticket_id}/assign", json={"agent_id": world.anna}
    )
    assert other.status_code == 403
    await ws.presence(ws.admin_id, "online")
    forced = await post(
        ws,
        ws.admin_id,
        f"/tickets/{ticket_id}/assign",
        json={"agent_id": world.bruno, "force": True},
    )
    assert forced.status_code == 200
    assert forced.json()["assignee_id"] == world.bruno


@pytest.mark.parametrize("status", ["unavailable", "screen-other"])
async def test_online_rule_refuses_every_action(ws, world, status):
    ticket_id = (await ws.handoff(world.inbox_a, "wa:5"))["ticket_id"]
    await ws.call("POST", f"/tickets/{ticket_id}/assign", world.anna)
    closed_id = (await ws.handoff(world.inbox_a, "wa:6"))["ticket_id"]
    await ws.call("POST", f"/tickets/{closed_id}/assign", world.anna)
    await ws.call("POST", f"/tickets/{closed_id}/close", world.anna)
    conversation_id = (await ws.call("GET", f"/tickets/{ticket_id}", world.anna))["ticket"][
        "conversation_id"
    ]
    if status == "unavailable":
        await ws.presence(world.anna, "unavailable")
    else:
        await ws.presence(world.anna, "online", screen="other")
    attempts = [
        (f"/tickets/{ticket_id}/assign", None),
        (f"/tickets/{ticket_id}/unassign", None),
        (f"/tickets/{ticket_id}/close", None),
        (f"/tickets/{closed_id}/reopen", None),
        (
            f"/conversations/{conversation_id}/messages",
            {"client_id": "c-1", "kind": "text", "body": "Hi"},
        ),
    ]
    for path, body in attempts:
        response = await post(ws, world.anna, path, json=body)
        assert response.status_code == 409, path
        assert response.json()["code"] == "agent_not_online"
    note = await post(
        ws,
        world.anna,
        f"/conversations/{conversation_id}/messages",
        json={"client_id": "n-1", "kind": "note", "body": "internal"},
    )
    assert note.status_code == 201

    await ws.presence(world.anna, "busy")
    for path, body in attempts[:1] + attempts[4:]:
        response = await post(ws, world.anna, path, json=body)
        assert response.is_success, (path, response.text)
    closed = await post(ws, world.anna, f"/tickets/{ticket_id}/close")
    assert closed.status_code == 200
    reopened = await post(ws, world.anna, f"/tickets/{closed_id}/reopen")
    assert reopened.status_code == 200


async def test_reply_rules_and_first_response(ws, world):
    ticket_id = (await ws.handoff(world.inbox_a, "wa:7"))["ticket_id"]
    detail = await ws.call("GET", f"/tickets/{ticket_id}", world.anna)
    conversation_id = detail["conversation"]["id"]
    url = f"/conversations/{conversation_id}/messages"
    not_mine = await post(ws, world.anna, url, json={"client_id": "a", "body": "hello"})
    assert not_mine.status_code == 403
    await ws.call("POST", f"/tickets/{ticket_id}/assign", world.anna)
    empty = await post(ws, world.anna, url, json={"client_id": "b", "body": "  "})
    assert empty.status_code == 422
    assert empty.json()["field"] == "body"
    first = await post(ws, world.anna, url, json={"client_id": "c", "body": "How can I help?"})
    assert first.status_code == 201
    ticket = (await ws.call("GET", f"/tickets/{ticket_id}", world.anna))["ticket"]
    assert ticket["first_response_at"] == first.json()["created_at"]
    await ws.call("POST", f"/tickets/{ticket_id}/close", world.anna)
    after_close = await post(ws, world.anna, url, json={"client_id": "d", "body": "still there?"})
    assert after_close.status_code == 409
    assert after_close.json()["code"] == "ticket_closed"
    note = await post(ws, world.anna, url, json={"client_id": "e", "kind": "note", "body": "fine"})
    assert note.status_code == 201
    assert note.json()["direction"] == "note"
