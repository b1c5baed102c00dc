"""Contacts follow the inbox visibility rule (issue 9, finding 4).

A contact who exists only in inboxes of another team answers 404 on every contact route and
is missing from the lists; a contact with conversations in both teams shows each agent only
the files and ticket activities of the inboxes that agent sees.
"""

from __future__ import annotations

import asyncio

from tests.server.conftest import read_events
from tests.server.two_teams import build_two_teams, unique, upload


async def test_a_contact_of_another_team_is_not_found(ws):
    t = await build_two_teams(ws)
    for suffix in ("", "/files", "/activities"):
        hidden = await ws.http.get(
            f"/api/v1/contacts/{t.contact_b}{suffix}", headers=ws.auth(t.alice)
        )
        assert hidden.status_code == 404, (suffix, hidden.text)
        assert hidden.json()["code"] == "not_found"
        seen = await ws.http.get(f"/api/v1/contacts/{t.contact_b}{suffix}", headers=ws.auth(t.bob))
        assert seen.status_code == 200, (suffix, seen.text)
    patched = await ws.http.patch(
        f"/api/v1/contacts/{t.contact_b}", json={"name": "Mine now"}, headers=ws.auth(t.alice)
    )
    assert patched.status_code == 404
    listed = await ws.call("GET", "/contacts", t.alice)
    assert t.contact_b not in [c["id"] for c in listed["items"]]
    assert t.contact_b in [c["id"] for c in (await ws.call("GET", "/contacts", t.bob))["items"]]


async def test_a_new_ticket_cannot_name_a_hidden_contact(ws):
    t = await build_two_teams(ws)
    made = await ws.http.post(
        "/api/v1/tickets",
        json={"contact_id": t.contact_b, "inbox_id": t.inbox_a["id"], "body": "Hello"},
        headers=ws.auth(t.alice),
    )
    assert made.status_code == 422, made.text
    assert made.json()["field"] == "contact_id"
    assert "ticket_id" not in made.json()


async def test_contacts_without_conversations_are_visible_to_everyone(ws):
    t = await build_two_teams(ws)
    contact = await ws.call(
        "POST",
        "/contacts",
        t.bob,
        json={"name": unique("Walk-in"), "email": f"{unique('w')}@example.com"},
    )
    seen = await ws.call("GET", f"/contacts/{contact['id']}", t.alice)
    assert seen["id"] == contact["id"]


async def test_a_shared_contact_shows_only_what_each_team_sees(ws):
    t = await build_two_teams(ws)
    # The same customer writes to team A's inbox too: both agents see the contact now.
    await ws.call("POST", f"/tickets/{t.ticket_b}/close", t.bob)
    handoff = await ws.handoff(t.inbox_a, "cust-b", "Now writing to A")
    await ws.call("POST", f"/tickets/{handoff['ticket_id']}/assign", t.alice)
    file_a = await upload(ws, t.alice, "from-a.txt")
    await ws.call(
        "POST",
        f"/conversations/{handoff['conversation_id']}/messages",
        t.alice,
        json={"client_id": unique("m"), "body": "File from A", "file_ids": [file_a]},
    )
    files_for_alice = await ws.call("GET", f"/contacts/{t.contact_b}/files", t.alice)
    assert [f["id"] for f in files_for_alice] == [file_a]
    files_for_admin = await ws.call("GET", f"/contacts/{t.contact_b}/files")
    assert {f["id"] for f in files_for_admin} == {file_a, t.file_b}
    activities = await ws.call("GET", f"/contacts/{t.contact_b}/activities", t.alice)
    ticket_ids = {a["ticket_id"] for a in activities if a.get("ticket_id") is not None}
    assert ticket_ids == {handoff["ticket_id"]}


async def test_contact_updates_reach_only_the_agents_who_see_the_contact(live_ws):
    t = await build_two_teams(live_ws)
    seq = (await live_ws.call("GET", "/bootstrap", t.alice))["event_seq"]
    walk_in = await live_ws.call(
        "POST", "/contacts", json={"name": unique("Walk-in"), "email": f"{unique('w')}@example.com"}
    )
    await live_ws.call("PATCH", f"/contacts/{t.contact_b}", t.bob, json={"name": "Hidden"})
    await live_ws.call("PATCH", f"/contacts/{walk_in['id']}", json={"name": "Seen by all"})

    def done(events: list[tuple[int, str, dict]]) -> bool:
        return any(
            kind == "contact.updated" and data["contact"]["id"] == walk_in["id"]
            for _, kind, data in events
        )

    events = await asyncio.wait_for(read_events(live_ws, t.alice, after=seq, until=done), 20)
    updated = [data["contact"]["id"] for _, kind, data in events if kind == "contact.updated"]
    assert updated == [walk_in["id"]]
    seen_by_bob = await asyncio.wait_for(
        read_events(
            live_ws,
            t.bob,
            after=seq,
            until=lambda evs: any(k == "contact.updated" for _, k, _d in evs),
        ),
        20,
    )
    assert seen_by_bob[-1][2]["contact"]["name"] == "Hidden"
