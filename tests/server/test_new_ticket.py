"""New ticket and inline contacts: validation, duplicates by phone or e-mail, a first message
with files, idempotence by client_id, origin ``agent``, the contact's latest ticket, and the
per-inbox counts of the bootstrap."""

from __future__ import annotations

import pytest


@pytest.fixture
async def anna_and_inboxes(ws) -> tuple[int, dict, dict]:
    anna = await ws.agent("Anna", online=True)
    team = await ws.team("Team A", [anna])
    return anna, await ws.inbox("Sales", team), await ws.inbox("Support", team)


async def post(ws, agent_id, path, **kw):
    return await ws.http.post(f"/api/v1{path}", headers=ws.auth(agent_id), **kw)


async def test_contact_needs_a_valid_phone_or_email(ws, anna_and_inboxes) -> None:
    anna, _sales, _support = anna_and_inboxes
    cases = [
        ({"name": "Ugo"}, "phone"),
        ({"name": "Ugo", "phone": "12-34"}, "phone"),
        ({"name": "Ugo", "phone": "+39 333 abc 4567"}, "phone"),
        ({"name": "Ugo", "email": "ugo@nowhere"}, "email"),
        ({"name": "  ", "email": "ugo@x.it"}, "name"),
    ]
    for body, field in cases:
        refused = await post(ws, anna, "/contacts", json=body)
        assert refused.status_code == 422, body
        assert refused.json()["code"] == "invalid"
        assert refused.json()["field"] == field, body
    made = await ws.call(
        "POST", "/contacts", anna, json={"name": " Ugo ", "phone": "+39 (333) 123-4567"}
    )
    assert (made["name"], made["phone"], made["email"]) == ("Ugo", "+39 (333) 123-4567", None)


async def test_duplicate_phone_or_email_answers_the_existing_contact(ws, anna_and_inboxes):
    anna, _sales, _support = anna_and_inboxes
    first = await ws.call(
        "POST", "/contacts", anna, json={"name": "Ugo", "phone": "+39 333 1234567"}
    )
    second = await ws.call("POST", "/contacts", anna, json={"name": "Vera", "email": "Vera@X.it"})
    same_phone = await post(
        ws, anna, "/contacts", json={"name": "Ugo bis", "phone": "+39-333-123-4567"}
    )
    assert same_phone.status_code == 409
    assert same_phone.json()["code"] == "contact_exists"
    assert (same_phone.json()["contact_id"], same_phone.json()["field"]) == (first["id"], "phone")
    vera_bis = {"name": "Vera bis", "email": "vera@x.IT", "phone": "+1 5550100"}
    same_email = await post(ws, anna, "/contacts", json=vera_bis)
    assert same_email.status_code == 409
    assert (same_email.json()["contact_id"], same_email.json()["field"]) == (second["id"], "email")
    listed = await ws.call("GET", "/contacts?q=Vera", anna)
    assert [c["id"] for c in listed["items"]] == [second["id"]]


async def test_new_ticket_with_files_starts_an_agent_conversation(ws, anna_and_inboxes):
    anna, sales, _support = anna_and_inboxes
    handoff = await ws.handoff(sales, "wa:1", "Ciao")
    contact_id = handoff["message"]["sender_id"]
    await ws.call("POST", f"/tickets/{handoff['ticket_id']}/assign", anna)
    await ws.call("POST", f"/tickets/{handoff['ticket_id']}/close", anna)
    upload = await ws.http.post(
        "/api/v1/files",
        headers=ws.auth(anna),
        files={"file": ("nota.txt", b"Listino prezzi\n", "text/plain")},
    )
    assert upload.status_code == 201, upload.text
    file_id = upload.json()["id"]
    body = {
        "contact_id": contact_id,
        "inbox_id": sales["id"],
        "body": "",
        "file_ids": [file_id],
        "client_id": "first-1",
    }
    created = await post(ws, anna, "/tickets", json=body)
    assert created.status_code == 201, created.text
    made = created.json()
    assert made["ticket"]["assignee_id"] == anna
    assert [f["id"] for f in made["message"]["files"]] == [file_id]
    assert made["ticket"]["conversation_id"] != handoff["conversation_id"]
    conversation = await ws.call("GET", f"/conversations/{made['ticket']['conversation_id']}", anna)
    assert conversation["origin"] == "agent"
    again = await post(ws, anna, "/tickets", json=body)
    assert again.status_code == 200
    assert again.json()["ticket"]["id"] == made["ticket"]["id"]
    assert again.json()["message"]["id"] == made["message"]["id"]

    listed = await ws.call("GET", "/conversations?origin=agent", anna)
    assert [c["id"] for c in listed["items"]] == [made["ticket"]["conversation_id"]]
    empty = await post(
        ws, anna, "/tickets", json={"contact_id": contact_id, "inbox_id": sales["id"], "body": " "}
    )
    assert empty.status_code == 422


async def test_open_ticket_conflict_names_assignee_and_inbox(ws, anna_and_inboxes):
    anna, sales, support = anna_and_inboxes
    handoff = await ws.handoff(support, "wa:2", "Aiuto")
    await ws.call("POST", f"/tickets/{handoff['ticket_id']}/assign", anna)
    refused = await post(
        ws,
        anna,
        "/tickets",
        json={"contact_id": handoff["message"]["sender_id"], "inbox_id": sales["id"], "body": "?"},
    )
    assert refused.status_code == 409
    extra = refused.json()
    assert (extra["code"], extra["ticket_id"], extra["assignee_id"], extra["inbox_id"]) == (
        "open_ticket_exists",
        handoff["ticket_id"],
        anna,
        support["id"],
    )


async def test_latest_ticket_of_a_contact(ws, anna_and_inboxes):
    anna, sales, _support = anna_and_inboxes
    first = await ws.handoff(sales, "wa:3", "Uno")
    other = await ws.handoff(sales, "wa:4", "Altro")
    contact_id = first["message"]["sender_id"]
    await ws.call("POST", f"/tickets/{first['ticket_id']}/assign", anna)
    await ws.call("POST", f"/tickets/{first['ticket_id']}/close", anna)
    latest = await ws.call("GET", f"/tickets?contact={contact_id}&limit=1", anna)
    assert [(t["id"], t["status"]) for t in latest["items"]] == [(first["ticket_id"], "closed")]
    assert other["ticket_id"] not in [t["id"] for t in latest["items"]]


async def test_bootstrap_counts_per_inbox(ws, anna_and_inboxes):
    anna, sales, support = anna_and_inboxes
    mine = await ws.handoff(sales, "wa:5")
    await ws.handoff(sales, "wa:6")
    await ws.handoff(support, "wa:7")
    await ws.call("POST", f"/tickets/{mine['ticket_id']}/assign", anna)
    boot = await ws.call("GET", "/bootstrap", anna)
    assert boot["inbox_counts"] == {
        str(sales["id"]): {"mine": 1, "unassigned": 1, "all": 2},
        str(support["id"]): {"mine": 0, "unassigned": 1, "all": 1},
    }
    assert boot["counts"] == {"mine": 1, "unassigned": 2, "all": 3, "snoozed": 0}


async def test_new_ticket_into_a_deactivated_inbox_is_409(ws, anna_and_inboxes):
    anna, sales, support = anna_and_inboxes
    contact = await ws.call("POST", "/contacts", anna, json={"name": "Ugo", "phone": "+39 333 1"})
    await ws.call("PATCH", f"/inboxes/{sales['id']}", json={"active": False})
    body = {"contact_id": contact["id"], "inbox_id": sales["id"], "body": "Buongiorno"}
    refused = await post(ws, anna, "/tickets", json=body)
    assert refused.status_code == 409
    assert refused.json()["code"] == "inbox_inactive"
    made = await post(ws, anna, "/tickets", json={**body, "inbox_id": support["id"]})
    assert made.status_code == 201, made.text


async def test_editing_a_contact_onto_another_ones_phone_or_email_is_409(ws, anna_and_inboxes):
    anna, _sales, _support = anna_and_inboxes
    ugo = await ws.call("POST", "/contacts", anna, json={"name": "Ugo", "phone": "+39 333 7654321"})
    vera = await ws.call("POST", "/contacts", anna, json={"name": "Vera", "email": "vera@x.it"})
    url = f"/api/v1/contacts/{vera['id']}"
    same_phone = await ws.http.patch(url, headers=ws.auth(anna), json={"phone": "+39-333-765-4321"})
    assert same_phone.status_code == 409
    assert (same_phone.json()["code"], same_phone.json()["contact_id"]) == (
        "contact_exists",
        ugo["id"],
    )
    assert same_phone.json()["field"] == "phone"
    same_email = await ws.http.patch(
        f"/api/v1/contacts/{ugo['id']}", headers=ws.auth(anna), json={"email": "VERA@x.it"}
    )
    assert (same_email.status_code, same_email.json()["field"]) == (409, "email")
    # a contact's own phone and e-mail, rewritten, are no conflict
    kept = await ws.call(
        "PATCH", f"/contacts/{vera['id']}", anna, json={"email": "Vera@X.it", "name": "Vera B"}
    )
    assert (kept["name"], kept["phone"]) == ("Vera B", None)
