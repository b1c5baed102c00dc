"""Admin CRUD (agents, teams, inboxes), canned replies, contacts, lists with paging and search;
and SSE visibility following a team membership change."""

from __future__ import annotations

import asyncio

from tests.server.conftest import read_events, wait_for_subscribers


async def test_only_admins_write_the_directory(ws):
    anna = await ws.agent("Anna")
    for method, path, body in [
        ("POST", "/agents", {"name": "X", "email": "x@y.z", "password": "p"}),
        ("POST", "/teams", {"name": "T"}),
        ("POST", "/inboxes", {"name": "I"}),
    ]:
        response = await ws.http.request(method, f"/api/v1{path}", headers=ws.auth(anna), json=body)
        assert response.status_code == 403, path
        assert response.json()["code"] == "forbidden"


async def test_deactivated_agent_loses_its_sessions(ws):
    anna = await ws.agent("Anna")
    await ws.call("PATCH", f"/agents/{anna}", json={"active": False})
    response = await ws.http.get("/api/v1/me", headers=ws.auth(anna))
    assert response.status_code == 401
    login = await ws.http.post(
        "/api/v1/auth/login", json={"email": "anna@convos.test", "password": "pw"}
    )
    assert login.status_code == 401


async def test_duplicate_email_and_bad_team_are_refused(ws):
    await ws.agent("Anna")
    dup = await ws.http.post(
        "/api/v1/agents",
        headers=ws.auth(ws.admin_id),
        json={"name": "A2", "email": "ANNA@convos.test", "password": "p"},
    )
    assert dup.status_code == 409
    bad = await ws.http.post(
        "/api/v1/agents",
        headers=ws.auth(ws.admin_id),
        json={"name": "B", "email": "b@convos.test", "password": "p", "team_ids": [42]},
    )
    assert bad.status_code == 422
    assert bad.json()["field"] == "team_ids"


async def test_inbox_with_conversations_cannot_be_deleted(ws):
    used = await ws.inbox("Used", None)
    unused = await ws.inbox("Unused", None)
    await ws.handoff(used, "wa:1")
    refused = await ws.http.delete(f"/api/v1/inboxes/{used['id']}", headers=ws.auth(ws.admin_id))
    assert refused.status_code == 409
    await ws.call("DELETE", f"/inboxes/{unused['id']}")
    assert [i["id"] for i in await ws.call("GET", "/inboxes")] == [used["id"]]


async def test_canned_replies_shared_and_own(ws):
    anna = await ws.agent("Anna")
    bruno = await ws.agent("Bruno")
    shared = await ws.call(
        "POST", "/canned", json={"shortcut": "/hi", "text": "Ciao {contact_name}", "shared": True}
    )
    assert (shared["shortcut"], shared["owner_id"]) == ("hi", None)
    own = await ws.call("POST", "/canned", anna, json={"shortcut": "bye", "text": "Bye"})
    assert {c["shortcut"] for c in await ws.call("GET", "/canned", anna)} == {"hi", "bye"}
    assert {c["shortcut"] for c in await ws.call("GET", "/canned", bruno)} == {"hi"}
    edit_shared = await ws.http.patch(
        f"/api/v1/canned/{shared['id']}", headers=ws.auth(anna), json={"text": "x"}
    )
    assert edit_shared.status_code == 403
    not_his = await ws.http.delete(f"/api/v1/canned/{own['id']}", headers=ws.auth(bruno))
    assert not_his.status_code == 404
    edited = await ws.call("PATCH", f"/canned/{own['id']}", anna, json={"language": "it"})
    assert edited["language"] == "it"
    await ws.call("DELETE", f"/canned/{own['id']}", anna)
    bad = await ws.http.post(
        "/api/v1/canned", headers=ws.auth(anna), json={"shortcut": "two words", "text": "x"}
    )
    assert bad.status_code == 422
    assert bad.json()["field"] == "shortcut"


async def test_contact_edit_writes_an_activity(ws):
    anna = await ws.agent("Anna")
    contact = await ws.call("POST", "/contacts", anna, json={"name": "Ugo", "phone": "+39 333 100"})
    edited = await ws.call(
        "PATCH",
        f"/contacts/{contact['id']}",
        anna,
        json={"email": "ugo@x.it", "custom": {"vip": "yes"}},
    )
    assert (edited["email"], edited["custom"], edited["phone"]) == (
        "ugo@x.it",
        {"vip": "yes"},
        "+39 333 100",
    )
    activities = await ws.call("GET", f"/contacts/{contact['id']}/activities", anna)
    assert activities[0]["kind"] == "contact.edited"
    assert activities[0]["agent_id"] == anna
    assert await ws.call("GET", f"/contacts/{contact['id']}/files", anna) == []
    missing = await ws.http.get("/api/v1/contacts/999", headers=ws.auth(anna))
    assert missing.status_code == 404


async def test_ticket_list_pages_and_searches(ws):
    anna = await ws.agent("Anna", online=True)
    inbox = await ws.inbox("Sales", await ws.team("A", [anna]))
    for index in range(5):
        await ws.handoff(inbox, f"wa:{index}", f"order number {index}")
    page = await ws.call("GET", "/tickets?view=unassigned&limit=2", anna)
    seen = [t["id"] for t in page["items"]]
    while page["next_cursor"]:
        page = await ws.call(
            "GET", f"/tickets?view=unassigned&limit=2&cursor={page['next_cursor']}", anna
        )
        seen += [t["id"] for t in page["items"]]
    assert len(seen) == len(set(seen)) == 5
    assert seen == sorted(seen, reverse=True)
    found = await ws.call("GET", "/tickets?q=number 3", anna)
    assert [t["last_message"]["body"] for t in found["items"]] == ["order number 3"]
    bad = await ws.http.get("/api/v1/tickets?cursor=nonsense", headers=ws.auth(anna))
    assert bad.status_code == 422
    assert bad.json()["field"] == "cursor"


async def test_joining_a_team_opens_its_events_on_a_live_stream(live_ws, live_app):
    ws = live_ws
    anna = await ws.agent("Anna", online=True)
    team_b = await ws.team("B", [])
    inbox_b = await ws.inbox("Support", team_b)
    start = (await ws.call("GET", "/bootstrap", anna))["event_seq"]

    def saw_second(events):
        return any(e[2].get("message", {}).get("body") == "second" for e in events)

    reader = asyncio.create_task(read_events(ws, anna, after=start, until=saw_second))
    await wait_for_subscribers(live_app.state.bus, 1, 10)  # "first" must come after it
    await ws.handoff(inbox_b, "tg:1", "first")
    await ws.call("PATCH", f"/teams/{team_b}", json={"agent_ids": [anna]})
    await ws.handoff(inbox_b, "tg:2", "second")
    received = await asyncio.wait_for(reader, 20)
    bodies = [e[2]["message"]["body"] for e in received if e[1] == "message.created"]
    assert "first" not in bodies
    assert "second" in bodies
    assert any(e[1] == "agent.changed" and e[2]["agent"]["team_ids"] == [team_b] for e in received)


async def test_team_changes_reach_every_agent_as_team_changed(live_ws):
    ws = live_ws
    anna = await ws.agent("Anna")
    bruno = await ws.agent("Bruno")
    start = (await ws.call("GET", "/bootstrap", anna))["event_seq"]
    team = await ws.call("POST", "/teams", json={"name": "Vendite", "agent_ids": [anna]})
    await ws.call("PATCH", f"/teams/{team['id']}", json={"name": "Vendite Nord"})
    await ws.call("PATCH", f"/teams/{team['id']}", json={"agent_ids": [anna, bruno]})
    await ws.call("DELETE", f"/teams/{team['id']}")

    def deleted(events):
        return any(e[1] == "team.changed" and "deleted_id" in e[2] for e in events)

    received = await asyncio.wait_for(read_events(ws, bruno, after=start, until=deleted), 20)
    teams = [e[2] for e in received if e[1] == "team.changed"]
    assert [(t["team"]["name"], t["team"]["agent_ids"]) for t in teams[:3]] == [
        ("Vendite", [anna]),
        ("Vendite Nord", [anna]),
        ("Vendite Nord", [anna, bruno]),
    ]
    assert teams[3] == {"deleted_id": team["id"]}
