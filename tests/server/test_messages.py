"""Messages: idempotent send, replies with previews, reactions, history pages."""

from __future__ import annotations

import uuid

import pytest

from convos_server.db import models as m
from convos_server.db.engine import Database
from tests.server.conftest import read_events


@pytest.fixture
async def thread(ws):
    """Anna online, holding a ticket; returns (anna, conversation_id, ticket_id)."""
    anna = await ws.agent("Anna", online=True)
    inbox = await ws.inbox("Sales", await ws.team("A", [anna]))
    handoff = await ws.handoff(inbox, "wa:1", "First customer line")
    await ws.call("POST", f"/tickets/{handoff['ticket_id']}/assign", anna)
    return anna, handoff["conversation_id"], handoff["ticket_id"]


async def send(ws, agent_id, conversation_id, **body):
    body.setdefault("client_id", str(uuid.uuid4()))
    return await ws.http.post(
        f"/api/v1/conversations/{conversation_id}/messages", headers=ws.auth(agent_id), json=body
    )


async def test_the_same_client_id_twice_returns_the_first_message(ws, thread):
    anna, conversation_id, _ = thread
    client_id = str(uuid.uuid4())
    first = await send(ws, anna, conversation_id, client_id=client_id, body="Hello!")
    again = await send(ws, anna, conversation_id, client_id=client_id, body="Hello! (retry)")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    page = await ws.call("GET", f"/conversations/{conversation_id}/messages", anna)
    assert [m["body"] for m in page["items"]].count("Hello!") == 1
    assert all(m["body"] != "Hello! (retry)" for m in page["items"])


async def test_reply_preview_and_reactions(ws, thread):
    anna, conversation_id, _ = thread
    page = await ws.call("GET", f"/conversations/{conversation_id}/messages", anna)
    customer = next(m for m in page["items"] if m["direction"] == "in")
    reply = (await send(ws, anna, conversation_id, body="Sure", reply_to=customer["id"])).json()
    assert reply["reply_preview"] == {
        "id": customer["id"],
        "body": "First customer line",
        "sender_name": "wa:1",
        "direction": "in",
    }
    url = f"/messages/{customer['id']}/reactions/%F0%9F%91%8D"
    reacted = await ws.call("PUT", url, anna)
    assert reacted["reactions"] == [{"emoji": "👍", "agent_ids": [anna]}]
    assert (await ws.call("PUT", url, anna))["reactions"] == reacted["reactions"]
    assert (await ws.call("DELETE", url, anna))["reactions"] == []
    wrong = await send(ws, anna, conversation_id, body="x", reply_to=customer["id"] + 1000)
    assert wrong.status_code == 422
    assert wrong.json()["field"] == "reply_to"


async def test_history_pages_backwards(ws, thread):
    anna, conversation_id, _ = thread
    for index in range(7):
        await send(ws, anna, conversation_id, kind="note", body=f"note {index}")
    url = f"/conversations/{conversation_id}/messages"
    newest = await ws.call("GET", f"{url}?limit=3", anna)
    assert [m["body"] for m in newest["items"]] == ["note 4", "note 5", "note 6"]
    assert newest["has_more"] is True
    older = await ws.call("GET", f"{url}?limit=3&before={newest['items'][0]['id']}", anna)
    assert [m["body"] for m in older["items"]] == ["note 1", "note 2", "note 3"]
    rest = await ws.call("GET", f"{url}?limit=50&before={older['items'][0]['id']}", anna)
    assert rest["has_more"] is False
    assert rest["items"][0]["direction"] == "in"


async def test_unknown_files_are_refused(ws, thread):
    anna, conversation_id, _ = thread
    response = await send(ws, anna, conversation_id, body="see file", file_ids=[999])
    assert response.status_code == 422
    assert response.json()["field"] == "file_ids"


async def store_files(settings, count: int, uploader_id: int | None = None) -> list[int]:
    """``count`` file rows straight in the database (their content is not needed here)."""
    db = Database(settings.database_url)
    async with db.transaction() as session:
        rows = [
            m.File(
                name=f"f{i}.txt",
                kind="document",
                mime="text/plain",
                size=i + 1,
                sha256="0" * 64,
                storage_key=f"key-{uuid.uuid4().hex}",
                uploaded_by=uploader_id,
            )
            for i in range(count)
        ]
        session.add_all(rows)
        await session.flush()
        ids = [row.id for row in rows]
    await db.dispose()
    return ids


async def created_event(ws, agent_id, message_id):
    events = await read_events(
        ws,
        agent_id,
        after=0,
        until=lambda got: any(
            t == "message.created" and d["message"]["id"] == message_id for _, t, d in got
        ),
    )
    return next(
        d["message"]
        for _, t, d in events
        if t == "message.created" and d["message"]["id"] == message_id
    )


async def test_new_messages_answer_event_and_history_agree(live_ws, settings):
    ws = live_ws
    anna = await ws.agent("Anna", online=True)
    inbox = await ws.inbox("Sales", await ws.team("A", [anna]))
    handoff = await ws.handoff(inbox, "wa:1", "First customer line")
    await ws.call("POST", f"/tickets/{handoff['ticket_id']}/assign", anna)
    conversation_id = handoff["conversation_id"]
    customer = handoff["message"]
    first, second = await store_files(settings, 2, uploader_id=anna)
    (third,) = await store_files(settings, 1)
    sent = await send(
        ws, anna, conversation_id, body="See", reply_to=customer["id"], file_ids=[second, first]
    )
    assert sent.status_code == 201
    answer = sent.json()
    assert [f["id"] for f in answer["files"]] == [second, first]
    assert answer["reply_preview"]["id"] == customer["id"]
    ingress = await ws.http.post(
        f"/api/v1/channels/{inbox['id']}/messages",
        headers={"X-Api-Key": inbox["api_key"]},
        json={"contact": {"external_id": "wa:1"}, "text": "", "file_ids": [third]},
    )
    assert ingress.status_code == 201
    received = ingress.json()["message"]
    assert [f["id"] for f in received["files"]] == [third]
    history = await ws.call("GET", f"/conversations/{conversation_id}/messages", anna)
    stored = {item["id"]: item for item in history["items"]}
    for message in (customer, answer, received):
        assert await created_event(ws, anna, message["id"]) == message
        assert stored[message["id"]] == message


async def test_reactions_need_the_agent_online(ws, thread):
    """An Unavailable agent can neither add nor remove a reaction (the online rule)."""
    anna, conversation_id, _ = thread
    page = await ws.call("GET", f"/conversations/{conversation_id}/messages", anna)
    customer = next(m for m in page["items"] if m["direction"] == "in")
    url = f"/api/v1/messages/{customer['id']}/reactions/%F0%9F%91%8D"
    await ws.call("PUT", url.removeprefix("/api/v1"), anna)
    await ws.presence(anna, "unavailable")
    for method in ("PUT", "DELETE"):
        refused = await ws.http.request(method, url, headers=ws.auth(anna))
        assert refused.status_code == 409, (method, refused.text)
        assert refused.json()["code"] == "agent_not_online"
    await ws.presence(anna, "busy")
    kept = await ws.call("GET", f"/conversations/{conversation_id}/messages", anna)
    reacted = next(m for m in kept["items"] if m["id"] == customer["id"])
    assert reacted["reactions"] == [{"emoji": "👍", "agent_ids": [anna]}]
    assert (await ws.call("DELETE", url.removeprefix("/api/v1"), anna))["reactions"] == []
