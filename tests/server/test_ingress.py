"""Channel ingress with the inbox key, the outbound feed, and campaigns."""

from __future__ import annotations

import uuid


async def test_handoff_opens_one_ticket_and_later_messages_join_it(ws):
    anna = await ws.agent("Anna", online=True)
    inbox = await ws.inbox("Sales", await ws.team("A", [anna]))
    first = await ws.handoff(inbox, "wa:39", "I want a human", phone="+39 333")
    assert first["ticket_id"] is not None
    assert first["message"]["direction"] == "in"
    assert first["message"]["ticket_id"] == first["ticket_id"]
    second = await ws.handoff(inbox, "wa:39", "Hello?")
    assert second["ticket_id"] == first["ticket_id"]
    assert second["conversation_id"] == first["conversation_id"]
    contacts = await ws.call("GET", "/contacts?q=333", anna)
    assert [c["external_id"] for c in contacts["items"]] == ["wa:39"]
    conversation = await ws.call("GET", f"/conversations/{first['conversation_id']}", anna)
    assert conversation["origin"] == "chatbot"
    assert conversation["open_ticket_id"] == first["ticket_id"]


async def test_bot_messages_without_handoff_open_no_ticket(ws):
    inbox = await ws.inbox("Sales", None)
    response = await ws.http.post(
        f"/api/v1/channels/{inbox['id']}/messages",
        headers={"X-Api-Key": inbox["api_key"]},
        json={"contact": {"external_id": "web:1"}, "text": "Opening hours?"},
    )
    assert response.status_code == 201
    assert response.json()["ticket_id"] is None


async def test_bad_or_missing_key_is_forbidden_and_rotation_invalidates(ws):
    inbox = await ws.inbox("Sales", None)
    body = {"contact": {"external_id": "x"}, "text": "hi"}
    url = f"/api/v1/channels/{inbox['id']}/messages"
    for headers in [{}, {"X-Api-Key": "wrong"}]:
        response = await ws.http.post(url, headers=headers, json=body)
        assert response.status_code == 403
        assert response.json()["code"] == "forbidden"
    rotated = await ws.call("POST", f"/inboxes/{inbox['id']}/rotate-key")
    assert rotated["api_key"] != inbox["api_key"]
    old = await ws.http.post(url, headers={"X-Api-Key": inbox["api_key"]}, json=body)
    assert old.status_code == 403
    new = await ws.http.post(url, headers={"X-Api-Key": rotated["api_key"]}, json=body)
    assert new.status_code == 201
    listed = await ws.call("GET", "/inboxes")
    assert all("api_key" not in i for i in listed)


async def test_outbound_feed_lists_agent_replies(ws):
    anna = await ws.agent("Anna", online=True)
    inbox = await ws.inbox("Sales", await ws.team("A", [anna]))
    handoff = await ws.handoff(inbox, "wa:1")
    await ws.call("POST", f"/tickets/{handoff['ticket_id']}/assign", anna)
    reply = await ws.call(
        "POST",
        f"/conversations/{handoff['conversation_id']}/messages",
        anna,
        json={"client_id": str(uuid.uuid4()), "body": "On my way"},
    )
    await ws.call(
        "POST",
        f"/conversations/{handoff['conversation_id']}/messages",
        anna,
        json={"client_id": str(uuid.uuid4()), "kind": "note", "body": "internal"},
    )
    url = f"/api/v1/channels/{inbox['id']}/outbound"
    feed = await ws.http.get(url, headers={"X-Api-Key": inbox["api_key"]})
    assert [m["body"] for m in feed.json()] == ["On my way"]
    later = await ws.http.get(f"{url}?after={reply['id']}", headers={"X-Api-Key": inbox["api_key"]})
    assert later.json() == []


async def test_campaign_creates_conversations_without_tickets(ws):
    anna = await ws.agent("Anna", online=True)
    inbox = await ws.inbox("Sales", await ws.team("A", [anna]))
    contact_ids = [
        (await ws.call("POST", "/contacts", anna, json={"name": name, "email": f"{name}@x.it"}))[
            "id"
        ]
        for name in ("Ugo", "Vera")
    ]
    body = {"kind": "mass", "inbox_id": inbox["id"], "contact_ids": contact_ids, "text": "Sale!"}
    refused = await ws.http.post("/api/v1/campaigns", headers=ws.auth(anna), json=body)
    assert refused.status_code == 403
    created = await ws.call("POST", "/campaigns", json=body)
    assert len(created["conversation_ids"]) == 2
    listed = await ws.call("GET", "/conversations?origin=campaign_mass", anna)
    assert {c["id"] for c in listed["items"]} == set(created["conversation_ids"])
    assert all(c["open_ticket_id"] is None for c in listed["items"])
    assert all(c["last_message"]["body"] == "Sale!" for c in listed["items"])
    tickets = await ws.call("GET", "/tickets?view=all", anna)
    assert tickets["items"] == []
    bad = await ws.http.post(
        "/api/v1/campaigns", headers=ws.auth(ws.admin_id), json={**body, "contact_ids": [999]}
    )
    assert bad.status_code == 422
    assert bad.json()["field"] == "contact_ids"


async def test_messages_join_the_latest_conversation_of_their_inbox_and_move_the_ticket(ws):
    anna = await ws.agent("Anna", online=True)
    team = await ws.team("A", [anna])
    sales = await ws.inbox("Sales", team)
    billing = await ws.inbox("Billing", team)
    first = await ws.handoff(sales, "wa:7", "I want a human")
    elsewhere = await ws.http.post(
        f"/api/v1/channels/{billing['id']}/messages",
        headers={"X-Api-Key": billing["api_key"]},
        json={"contact": {"external_id": "wa:7"}, "text": "Invoice?"},
    )
    assert elsewhere.status_code == 201
    assert elsewhere.json()["conversation_id"] != first["conversation_id"]
    assert elsewhere.json()["ticket_id"] is None
    later = await ws.handoff(sales, "wa:7", "Still there?")
    assert later["conversation_id"] == first["conversation_id"]
    assert later["ticket_id"] == first["ticket_id"]
    ticket = (await ws.call("GET", f"/tickets/{first['ticket_id']}", anna))["ticket"]
    assert ticket["last_message_at"] == later["message"]["created_at"]
    assert ticket["last_message"]["id"] == later["message"]["id"]


async def test_a_channel_message_id_sent_again_is_answered_with_the_first(ws):
    """A gateway retrying a post whose answer it lost: one message, the same answer (200)."""
    anna = await ws.agent("Anna", online=True)
    inbox = await ws.inbox("Sales", await ws.team("A", [anna]))
    url = f"/api/v1/channels/{inbox['id']}/messages"
    key = {"X-Api-Key": inbox["api_key"]}
    body = {"contact": {"external_id": "wa:7"}, "text": "Ciao", "handoff": True, "message_id": "m1"}
    first = await ws.http.post(url, headers=key, json=body)
    again = await ws.http.post(url, headers=key, json=body)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    other = {**body, "contact": {"external_id": "wa:8"}}  # ids are per customer
    assert (await ws.http.post(url, headers=key, json=other)).status_code == 201
    plain = {name: value for name, value in body.items() if name != "message_id"}
    assert (await ws.http.post(url, headers=key, json=plain)).status_code == 201
    history = await ws.call("GET", f"/conversations/{first.json()['conversation_id']}/messages")
    assert [m["body"] for m in history["items"] if m["direction"] == "in"] == ["Ciao", "Ciao"]
