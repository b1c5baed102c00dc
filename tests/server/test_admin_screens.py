"""What the Scorciatoie, Caselle di posta and library screens rely on: unique shortcuts,
inbox business hours / active flag / delete refusals, library removal and its event."""

from __future__ import annotations

import io

from PIL import Image

from tests.server.conftest import read_events


async def _post_canned(ws, agent_id, **body):
    return await ws.http.post("/api/v1/canned", headers=ws.auth(agent_id), json=body)


async def test_shortcut_is_unique_in_its_scope_and_language(ws):
    anna = await ws.agent("Anna")
    bruno = await ws.agent("Bruno")
    await ws.call("POST", "/canned", json={"shortcut": "hi", "text": "Ciao", "shared": True})
    taken = await _post_canned(ws, anna, shortcut="/HI", text="Salve")
    assert taken.status_code == 409
    assert taken.json()["code"] == "shortcut_taken"
    assert taken.json()["field"] == "shortcut"
    assert "/HI" in taken.json()["message"]
    # another language is another reply; another agent's personal code is not in the way
    assert (await _post_canned(ws, anna, shortcut="hi", text="Hi", language="en")).is_success
    mine = (await _post_canned(ws, anna, shortcut="bye", text="Bye")).json()
    assert (await _post_canned(ws, bruno, shortcut="bye", text="Ciao ciao")).is_success
    second = (await _post_canned(ws, anna, shortcut="thanks", text="Thanks")).json()
    renamed = await ws.http.patch(
        f"/api/v1/canned/{second['id']}", headers=ws.auth(anna), json={"shortcut": "BYE"}
    )
    assert renamed.status_code == 409
    # saving a reply under its own code is no conflict
    await ws.call("PATCH", f"/canned/{mine['id']}", anna, json={"shortcut": "bye", "text": "B"})
    # an agent may not make a shared one
    shared = await _post_canned(ws, anna, shortcut="x", text="x", shared=True)
    assert shared.status_code == 403


async def test_inbox_business_hours_and_active(ws):
    inbox = await ws.inbox("Vendite", None, business_hours="Lun-Ven 9-18")
    assert inbox["business_hours"] == "Lun-Ven 9-18"
    assert inbox["active"] is True
    changed = await ws.call(
        "PATCH", f"/inboxes/{inbox['id']}", json={"active": False, "business_hours": "H24"}
    )
    assert (changed["active"], changed["business_hours"]) == (False, "H24")
    refused = await ws.http.post(
        f"/api/v1/channels/{inbox['id']}/messages",
        headers={"X-Api-Key": inbox["api_key"]},
        json={"contact": {"external_id": "wa:1", "name": "M"}, "text": "hi", "handoff": True},
    )
    assert refused.status_code == 409
    assert refused.json()["code"] == "inbox_inactive"
    too_long = await ws.http.patch(
        f"/api/v1/inboxes/{inbox['id']}",
        headers=ws.auth(ws.admin_id),
        json={"business_hours": "x" * 501},
    )
    assert too_long.status_code == 422
    assert too_long.json()["field"] == "business_hours"


async def test_inbox_with_open_tickets_says_what_to_do(ws):
    inbox = await ws.inbox("Vendite", None)
    sent = await ws.handoff(inbox, "wa:1")
    refused = await ws.http.delete(f"/api/v1/inboxes/{inbox['id']}", headers=ws.auth(ws.admin_id))
    assert refused.status_code == 409
    body = refused.json()
    assert body["code"] == "inbox_has_open_tickets"
    assert body["open_tickets"] == 1
    assert "deactivate" in body["message"]
    await ws.presence(ws.admin_id, "online")
    await ws.call("POST", f"/tickets/{sent['ticket_id']}/close", ws.admin_id)
    closed = await ws.http.delete(f"/api/v1/inboxes/{inbox['id']}", headers=ws.auth(ws.admin_id))
    assert closed.status_code == 409
    assert closed.json()["code"] == "inbox_in_use"
    assert "deactivate" in closed.json()["message"]


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), (10, 20, 30)).save(out, format="PNG")
    return out.getvalue()


async def test_library_add_and_remove_are_events_for_everyone(live_ws):
    ws = live_ws
    anna = await ws.agent("Anna")
    start = (await ws.call("GET", "/bootstrap", anna))["event_seq"]
    added = await ws.http.post(
        "/api/v1/files",
        headers=ws.auth(ws.admin_id),
        files={"file": ("logo.png", _png(), "image/png")},
        data={"library": "1"},
    )
    assert added.status_code == 201, added.text
    file_id = added.json()["id"]
    assert [f["id"] for f in await ws.call("GET", "/files?library=1", anna)] == [file_id]
    not_admin = await ws.http.delete(f"/api/v1/files/{file_id}/library", headers=ws.auth(anna))
    assert not_admin.status_code == 403
    await ws.call("DELETE", f"/files/{file_id}/library")
    assert await ws.call("GET", "/files?library=1", anna) == []
    missing = await ws.http.delete(f"/api/v1/files/{file_id}/library", headers=ws.auth(ws.admin_id))
    assert missing.status_code == 404
    events = await read_events(
        ws, anna, after=start, until=lambda e: sum(t == "library.changed" for _, t, _ in e) == 2
    )
    library = [data for _, kind, data in events if kind == "library.changed"]
    assert library[0]["file"]["id"] == file_id
    assert library[1] == {"deleted_id": file_id}
