"""Every path that writes a system line or an activity gives it a kind and params (ids, no
names) with the English text as fallback; the demo seed writes them the same way."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from convos_server.db import models as m
from convos_server.db.engine import Database
from convos_server.services import system_kinds
from tests.server.conftest import BACKENDS
from tests.server.test_demo import seed
from tests.server.test_tickets import events_after, head


async def system_lines(ws, agent_id: int, conversation_id: int) -> list[dict[str, Any]]:
    page = await ws.call("GET", f"/conversations/{conversation_id}/messages?limit=100", agent_id)
    return [msg for msg in page["items"] if msg["direction"] == "system"]


def kinds_and_params(items: list[dict[str, Any]], key: str) -> list[tuple[str, dict]]:
    return [(item[key]["kind"], item[key]["params"]) for item in items]


@pytest.mark.parametrize("backend", BACKENDS)
async def test_every_ticket_transition_writes_kind_and_params(ws):
    anna = await ws.agent("Anna", online=True)
    bruno = await ws.agent("Bruno", online=True)
    await ws.presence(ws.admin_id, "online")
    team = await ws.team("Team", [anna, bruno])
    inbox = await ws.inbox("Sales", team)
    handoff = await ws.handoff(inbox, "wa:1")
    ticket_id = handoff["ticket_id"]
    conversation_id = handoff["conversation_id"]
    contact_id = handoff["message"]["sender_id"]

    await ws.call("POST", f"/tickets/{ticket_id}/assign", anna)
    await ws.call("POST", f"/tickets/{ticket_id}/unassign", anna)
    await ws.call("POST", f"/tickets/{ticket_id}/assign", ws.admin_id, json={"agent_id": bruno})
    await ws.call("POST", f"/tickets/{ticket_id}/close", bruno)
    await ws.call("POST", f"/tickets/{ticket_id}/reopen", anna)

    lines = await system_lines(ws, anna, conversation_id)
    assert kinds_and_params(lines, "system") == [
        ("ticket.assigned", {"agent_id": anna, "by_agent_id": anna}),
        ("ticket.unassigned", {"by_agent_id": anna}),
        ("ticket.assigned", {"agent_id": bruno, "by_agent_id": ws.admin_id}),
        ("ticket.closed", {"by_agent_id": bruno}),
        ("ticket.reopened", {"by_agent_id": anna}),
        ("ticket.assigned", {"agent_id": anna, "by_agent_id": anna}),
    ]
    assert [line["body"] for line in lines] == [
        "Ticket assigned to Anna",
        "Ticket unassigned by Anna",
        "Ticket assigned to Bruno",
        "Ticket closed by Bruno",
        "Ticket reopened by Anna",
        "Ticket assigned to Anna",
    ]
    assert handoff["message"]["system"] is None  # only system lines carry one

    feed = await ws.call("GET", f"/contacts/{contact_id}/activities", anna)
    oldest_first = [(a["kind"], a["params"]) for a in reversed(feed)]
    assert oldest_first == [
        ("ticket.opened", {"by_agent_id": None}),
        *kinds_and_params(lines, "system"),
    ]
    assert feed[-1]["text"] == "Ticket opened"


async def test_system_line_events_carry_the_kind(ws):
    anna = await ws.agent("Anna", online=True)
    inbox = await ws.inbox("Sales", await ws.team("Team", [anna]))
    handoff = await ws.handoff(inbox, "wa:1")
    seq = await head(ws)
    await ws.call("POST", f"/tickets/{handoff['ticket_id']}/close", anna)
    created = [d["message"] for t, d in await events_after(ws, seq) if t == "message.created"]
    assert [c["system"] for c in created] == [
        {"kind": "ticket.closed", "params": {"by_agent_id": anna}}
    ]


async def test_automatic_assignment_has_no_assigning_agent(ws):
    anna = await ws.agent("Anna", online=True)
    inbox = await ws.inbox("Sales", await ws.team("Team", [anna]), assignment="round_robin")
    handoff = await ws.handoff(inbox, "wa:1")
    lines = await system_lines(ws, anna, handoff["conversation_id"])
    assert kinds_and_params(lines, "system") == [
        ("ticket.assigned", {"agent_id": anna, "by_agent_id": None})
    ]


async def test_new_ticket_by_an_agent_is_opened_and_assigned_by_it(ws):
    anna = await ws.agent("Anna", online=True)
    inbox = await ws.inbox("Sales", await ws.team("Team", [anna]))
    contact = await ws.call(
        "POST", "/contacts", anna, json={"name": "Ugo", "phone": "+39 333 1000001"}
    )
    created = await ws.call(
        "POST",
        "/tickets",
        anna,
        json={"contact_id": contact["id"], "inbox_id": inbox["id"], "body": "Buongiorno"},
    )
    lines = await system_lines(ws, anna, created["ticket"]["conversation_id"])
    assert kinds_and_params(lines, "system") == [
        ("ticket.assigned", {"agent_id": anna, "by_agent_id": anna})
    ]
    feed = await ws.call("GET", f"/contacts/{contact['id']}/activities", anna)
    assert (feed[-1]["kind"], feed[-1]["params"], feed[-1]["text"]) == (
        "ticket.opened",
        {"by_agent_id": anna},
        "Ticket opened by Anna",
    )


async def test_contact_edit_activity_lists_the_fields(ws):
    anna = await ws.agent("Anna")
    contact = await ws.call(
        "POST", "/contacts", anna, json={"name": "Ugo", "phone": "+39 333 1000001"}
    )
    await ws.call(
        "PATCH", f"/contacts/{contact['id']}", anna, json={"email": "u@x.it", "custom": {"a": "b"}}
    )
    feed = await ws.call("GET", f"/contacts/{contact['id']}/activities", anna)
    assert (feed[0]["kind"], feed[0]["params"], feed[0]["text"]) == (
        "contact.edited",
        {"by_agent_id": anna, "fields": ["email", "custom"]},
        "Profile edited by Anna: email, custom",
    )


def test_every_kind_is_documented_in_the_protocol():
    protocol = (Path(__file__).parents[2] / "docs" / "protocol.md").read_text(encoding="utf-8")
    for kind in system_kinds.KINDS:
        assert f"`{kind}`" in protocol, kind


async def test_demo_seed_writes_kinds_and_params(settings):
    await seed(settings)
    db = Database(settings.database_url)
    try:
        async with db.sessionmaker() as session:
            query = select(m.Message).where(m.Message.direction == "system")
            lines = list(await session.scalars(query))
            feed = list(await session.scalars(select(m.Activity)))
    finally:
        await db.dispose()
    assert lines
    assert feed
    assert all(line.system_kind in system_kinds.KINDS for line in lines)
    assert all(line.system_params for line in lines)
    assert {a.kind for a in feed} <= set(system_kinds.KINDS)
    assert all(a.params is not None for a in feed)
