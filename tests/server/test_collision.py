"""Collision detection, typing and mentions (issue 15), from outside over real HTTP.

Viewing and typing are ephemeral events: frames without an ``id`` that reach only the
agents who see the inbox, and that a resume never replays. A send with an old
``seen_message_id`` is 409 ``conversation.changed`` unless forced. Mentions are found by the
server in the note's text.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from typing import Any

from httpx_sse import aconnect_sse

from convos_server.services.events import EPHEMERAL_TYPES
from convos_server.services.live import TYPING_TTL_S, LiveState


async def _stream(ws, agent_id, received: list[tuple[str, str, dict[str, Any]]], ready):
    """Collect ``(id, type, data)`` of every frame until cancelled."""
    async with aconnect_sse(ws.http, "GET", "/api/v1/events", headers=ws.auth(agent_id)) as src:
        ready.set()
        async for sse in src.aiter_sse():
            received.append((sse.id, sse.event, json.loads(sse.data)))


async def _open(ws, agent_id):
    received: list[tuple[str, str, dict[str, Any]]] = []
    ready = asyncio.Event()
    task = asyncio.create_task(_stream(ws, agent_id, received, ready))
    await asyncio.wait_for(ready.wait(), 10)
    await asyncio.sleep(0.1)  # subscribed before the first event
    return task, received


async def _until(received, predicate):
    for _ in range(500):  # 10 s
        found = [e for e in received if predicate(e)]
        if found:
            return found
        await asyncio.sleep(0.02)
    raise AssertionError(f"not received; got {[e[1] for e in received]}")


async def _close(task):
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


async def _team_of_three(ws):
    anna = await ws.agent("Anna", online=True)
    bruno = await ws.agent("Bruno", online=True)
    carla = await ws.agent("Carla", online=True)
    inbox = await ws.inbox("Sales", await ws.team("A", [anna, bruno]))
    await ws.inbox("Support", await ws.team("B", [carla]))
    handoff = await ws.handoff(inbox, "wa:1", "Hello")
    await ws.call("POST", f"/tickets/{handoff['ticket_id']}/assign", anna)
    return anna, bruno, carla, inbox, handoff["conversation_id"]


async def test_viewing_and_typing_reach_colleagues_live_and_leave_with_the_stream(live_ws):
    ws = live_ws
    anna, bruno, carla, _inbox, conversation = await _team_of_three(ws)
    bruno_task, bruno_got = await _open(ws, bruno)
    carla_task, carla_got = await _open(ws, carla)
    anna_task, _ = await _open(ws, anna)
    try:
        url = f"/conversations/{conversation}/viewing"
        answer = await ws.call("PUT", url, bruno, json={"viewing": True})
        assert answer == {"viewers": [{"agent_id": bruno, "typing": None}]}
        await ws.call("PUT", url, anna, json={"viewing": True})
        await ws.call("PUT", url, anna, json={})  # the heartbeat
        await ws.call("PUT", f"/conversations/{conversation}/typing", anna, json={"kind": "note"})
        seen = await _until(bruno_got, lambda e: e[1] == "conversation.typing")
        assert seen[0][2] == {
            "conversation_id": conversation,
            "sender_type": "agent",
            "agent_id": anna,
            "kind": "note",
            "typing": True,
        }
        viewing = [
            e[2] for e in bruno_got if e[1] == "conversation.viewing" and e[2]["agent_id"] == anna
        ]
        assert viewing == [  # the heartbeat published nothing
            {"conversation_id": conversation, "agent_id": anna, "viewing": True}
        ]
        assert all(not e[0] for e in bruno_got if e[1] in EPHEMERAL_TYPES)  # no id: no cursor
        viewers = await ws.call("PUT", url, bruno, json={"viewing": True})
        assert {"agent_id": anna, "typing": "note"} in viewers["viewers"]
        await _close(anna_task)  # Anna's last stream ends: she leaves the conversation
        left = await _until(
            bruno_got, lambda e: e[1] == "conversation.viewing" and not e[2]["viewing"]
        )
        assert left[0][2]["agent_id"] == anna
        await _until(bruno_got, lambda e: e[1] == "conversation.typing" and not e[2]["typing"])
        assert not [e for e in carla_got if e[1] in EPHEMERAL_TYPES]  # another team's inbox
    finally:
        await _close(bruno_task)
        await _close(carla_task)
    missing = await ws.http.put(
        f"/api/v1/conversations/{conversation}/viewing", headers=ws.auth(carla), json={}
    )
    assert missing.status_code == 404


def test_live_state_expires_silent_viewers_and_typists():
    published: list[tuple[str, dict[str, Any]]] = []

    class Bus:
        on_agent_gone = None

        def publish_ephemeral(self, type_, data, **_where):
            published.append((type_, data))

    now = [0.0]
    live = LiveState(Bus(), clock=lambda: now[0])  # type: ignore[arg-type]
    live.view(1, 10, 5, True)
    live.type(1, 10, 5, "text")
    live.type(1, 10, 5, "text")  # a repeat publishes nothing
    assert live.agents_typing_text() == [10]
    now[0] = TYPING_TTL_S + 0.1
    live.sweep()
    assert published[-1] == (
        "conversation.typing",
        {
            "conversation_id": 10,
            "sender_type": "agent",
            "agent_id": 1,
            "kind": None,
            "typing": False,
        },
    )
    assert live.viewers(10) == [{"agent_id": 1, "typing": None}]
    now[0] = 1000.0
    live.sweep()
    assert published[-1][1]["viewing"] is False
    assert live.viewers(10) == []
    assert len(published) == 4


async def _send(ws, agent_id, conversation, **body):
    body.setdefault("client_id", str(uuid.uuid4()))
    return await ws.http.post(
        f"/api/v1/conversations/{conversation}/messages", headers=ws.auth(agent_id), json=body
    )


async def test_a_send_after_a_colleagues_message_asks_first(ws):
    anna, bruno, _carla, _inbox, conversation = await _team_of_three(ws)
    page = await ws.call("GET", f"/conversations/{conversation}/messages", anna)
    seen = page["items"][-1]["id"]
    note = (await _send(ws, bruno, conversation, kind="note", body="I'll call him")).json()
    own = await _send(ws, anna, conversation, body="Mine", seen_message_id=seen)
    assert own.status_code == 409
    assert own.json()["code"] == "conversation.changed"
    assert (own.json()["agent_id"], own.json()["agent_name"]) == (bruno, "Bruno")
    assert own.json()["message_id"] == note["id"]
    forced = await _send(ws, anna, conversation, body="Mine", seen_message_id=seen, force=True)
    assert forced.status_code == 201
    # Anna's own message since does not count; having seen Bruno's note, she may send.
    fresh = await _send(ws, anna, conversation, body="Again", seen_message_id=note["id"])
    assert fresh.status_code == 201


async def test_mentions_notify_the_named_colleague_who_sees_the_conversation(ws):
    anna, bruno, carla, _inbox, conversation = await _team_of_three(ws)
    body = "@bruno please check, and @Carla too; @Brunone is nobody"
    note = (await _send(ws, anna, conversation, kind="note", body=body)).json()
    mine = await ws.call("GET", "/mentions", bruno)
    assert mine["unread"] == 1
    assert not mine["has_more"]
    mention = mine["items"][0]
    assert (mention["message"]["id"], mention["by_agent_id"]) == (note["id"], anna)
    assert mention["read_at"] is None
    contact_id = (await ws.call("GET", f"/conversations/{conversation}", bruno))["contact_id"]
    about = await ws.call("GET", f"/contacts/{contact_id}", bruno)
    assert mention["contact"] == {"id": about["id"], "name": about["name"]}  # who it is about
    assert (await ws.call("GET", "/mentions", carla))["items"] == []  # not her inbox
    assert (await ws.call("GET", "/mentions", anna))["items"] == []
    await _send(ws, anna, conversation, body="@Bruno a reply is not a note")
    assert (await ws.call("GET", "/mentions?unread=true", bruno))["unread"] == 1
    other = await ws.http.post(f"/api/v1/mentions/{mention['id']}/read", headers=ws.auth(anna))
    assert other.status_code == 404
    read = await ws.call("POST", f"/mentions/{mention['id']}/read", bruno)
    assert read["read_at"] is not None
    assert (await ws.call("GET", "/mentions?unread=true", bruno)) == {
        "items": [],
        "unread": 0,
        "has_more": False,
    }


async def test_channel_typing_both_ways_never_shows_a_note(ws):
    anna, _bruno, _carla, inbox, conversation = await _team_of_three(ws)
    key = {"X-Api-Key": inbox["api_key"]}
    url = f"/api/v1/channels/{inbox['id']}/typing"
    typed = await ws.http.post(url, headers=key, json={"contact": {"external_id": "wa:1"}})
    assert typed.status_code == 204
    unknown = await ws.http.post(url, headers=key, json={"contact": {"external_id": "wa:9"}})
    assert unknown.status_code == 204
    await ws.call("PUT", f"/conversations/{conversation}/typing", anna, json={"kind": "note"})
    assert (await ws.http.get(url, headers=key)).json() == []
    await ws.call("PUT", f"/conversations/{conversation}/typing", anna, json={"kind": "text"})
    assert (await ws.http.get(url, headers=key)).json() == [
        {"conversation_id": conversation, "external_id": "wa:1"}
    ]
    assert (await ws.http.get(url, headers={"X-Api-Key": "nope"})).status_code == 403
