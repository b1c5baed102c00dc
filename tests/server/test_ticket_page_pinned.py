"""The ticket page (``GET /tickets``), pinned byte for byte.

The write paths' story (``test_write_paths_pinned``: files, quoted replies, notes, a snoozed
and a closed ticket, a new ticket after a close) plus labels, reactions by two agents, a
still-snoozed ticket, an unassigned ticket in a second inbox and a body with quotes, control
characters and non-ASCII text; then pages as the admin and as an agent with every option
(views, ``last_message``, ``include``, ``count``, keyset and offset cursors). The raw bytes of
each answer, timestamps masked, are compared with ``ticket_page.golden.json``, recorded from
the page built by FastAPI's response serialisation before the page encoded itself; on SQLite
and on PostgreSQL. ``CONVOS_WRITE_GOLDEN=1`` records the file again.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import httpx
import pytest

from convos_server.app import create_app
from convos_server.config import Settings
from convos_server.serialize import TicketFragments
from tests.server.conftest import BACKENDS, Workspace
from tests.server.test_file_attach import upload
from tests.server.test_write_paths_pinned import _story

GOLDEN = Path(__file__).with_name("ticket_page.golden.json")
_TIMESTAMP = re.compile(rb'"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z"')
_CURSOR = re.compile(rb'"next_cursor":"[^"]+"')  # a keyset cursor carries a moment


def _masked(body: bytes) -> str:
    """``body`` with its moments masked (their format stays pinned by the pattern)."""
    return _CURSOR.sub(b'"next_cursor":"<cursor>"', _TIMESTAMP.sub(b'"<ts>"', body)).decode()


TRICKY = 'He said "hi"\\ \n\t\x01\x7f caf\u00e9 \u2028 \U0001f600 </script>'
PAGES = (
    "",
    "?limit=50",
    "?limit=3",
    "?view=unassigned",
    "?view=snoozed",
    "?view=mine",
    "?status=closed",
    "?last_message=brief",
    "?last_message=none",
    "?include=contacts",
    "?count=true&limit=2",
    "?sort=opened&order=asc&limit=4",
    "?order=asc",
    "?label=1",
    "?q=help",
)


async def _rich_workspace(ws: Workspace) -> list[int]:
    """The story plus labels, reactions, snoozes, a second inbox; the agents to read as."""
    await _story(ws)
    agents = [row["id"] for row in await ws.call("GET", "/agents")]
    anna, ben = agents[1], agents[2]
    tickets = (await ws.call("GET", "/tickets"))["items"]
    urgent = await ws.call("POST", "/labels", json={"name": "Urgent", "color": "#ff0000"})
    vip = await ws.call("POST", "/labels", json={"name": "VIP", "color": "#00ff00"})
    for ticket in tickets[:3]:
        await ws.call("PUT", f"/tickets/{ticket['id']}/labels/{vip['id']}", anna)
    await ws.call("PUT", f"/tickets/{tickets[0]['id']}/labels/{urgent['id']}", anna)
    message_id = tickets[0]["last_message"]["id"]
    for agent_id, emoji in ((ben, "\U0001f44d"), (anna, "\u2764\ufe0f"), (anna, "\U0001f44d")):
        await ws.call("PUT", f"/messages/{message_id}/reactions/{emoji}", agent_id)
    other = await ws.inbox("Other \u00e9", None)
    await ws.handoff(other, "hugo", TRICKY, name="Hugo \u00fc")
    await ws.handoff(other, "ida", "files")
    snoozed = [t for t in tickets if t["status"] == "open" and t["assignee_id"] == anna]
    await ws.call("POST", f"/tickets/{snoozed[0]['id']}/snooze", anna, json={"until": None})
    file_id = await upload(ws, ben, "photo.pdf")
    own = [t for t in tickets if t["status"] == "open" and t["assignee_id"] == ben]
    await ws.call(
        "POST",
        f"/conversations/{own[0]['conversation_id']}/messages",
        ben,
        json={"client_id": "last-1", "body": "", "file_ids": [file_id]},
    )
    return [ws.admin_id, anna, ben]


@pytest.mark.parametrize("backend", BACKENDS)
async def test_the_ticket_page_answers_the_same_bytes(ws: Workspace) -> None:
    readers = await _rich_workspace(ws)
    recorded: dict[str, Any] = {}
    for agent_id in readers:
        for query in PAGES:
            response = await ws.http.get(f"/api/v1/tickets{query}", headers=ws.auth(agent_id))
            assert response.status_code == 200, response.text
            assert response.headers["content-type"] == "application/json"
            assert response.headers["content-length"] == str(len(response.content))
            recorded[f"{agent_id} {query}"] = _masked(response.content)
    first = await ws.http.get("/api/v1/tickets?limit=3", headers=ws.auth(readers[0]))
    cursor = first.json()["next_cursor"]
    nxt = await ws.http.get(f"/api/v1/tickets?limit=3&cursor={cursor}", headers=ws.auth(readers[0]))
    recorded["next"] = _masked(nxt.content)
    if os.environ.get("CONVOS_WRITE_GOLDEN") == "1":
        GOLDEN.write_text(json.dumps(recorded, indent=1, ensure_ascii=False) + "\n")
    golden = json.loads(GOLDEN.read_text())
    assert len(json.loads(recorded[f"{readers[0]} "])["items"]) >= 6
    for key, text in golden.items():
        assert recorded[key] == text, key
    assert recorded.keys() == golden.keys()


@pytest.mark.parametrize("backend", BACKENDS)
async def test_a_warm_page_never_shows_what_changed(ws: Workspace, settings: Settings) -> None:
    """After every kind of change the page shows, the app that served the page before (its
    ``TicketFragments`` warm) answers the same bytes as a second app that never did."""
    anna = await ws.agent("Anna", online=True)
    ben = await ws.agent("Ben", online=True)
    await ws.presence(ws.admin_id, "online")
    team = await ws.team("Support", [anna, ben])
    inbox = await ws.inbox("Robin", team, assignment="round_robin")
    first = await ws.handoff(inbox, "carla", "Hello")
    await ws.handoff(inbox, "dora", "Hi")
    ticket, conversation = first["ticket_id"], first["conversation_id"]
    label = await ws.call("POST", "/labels", json={"name": "VIP", "color": "#00ff00"})
    cold_app = create_app(settings)
    async with (
        cold_app.router.lifespan_context(cold_app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=cold_app), base_url="http://test"
        ) as cold,
    ):

        async def same_page(change: str) -> None:
            for agent_id in (ws.admin_id, anna):
                url = "/api/v1/tickets?limit=50"
                warm = await ws.http.get(url, headers=ws.auth(agent_id))
                cold_app.state.ticket_fragments = TicketFragments()
                fresh = await cold.get(url, headers=ws.auth(agent_id))
                assert warm.content == fresh.content, change

        await same_page("first read")
        assignee = (await ws.call("GET", f"/tickets/{ticket}"))["ticket"]["assignee_id"]
        changes: list[tuple[str, str, str, int, dict[str, Any] | None]] = [
            ("label", "PUT", f"/tickets/{ticket}/labels/{label['id']}", anna, None),
            (
                "reply",
                "POST",
                f"/conversations/{conversation}/messages",
                assignee,
                {"client_id": "r-1", "body": "On it"},
            ),
            ("label off", "DELETE", f"/tickets/{ticket}/labels/{label['id']}", anna, None),
            ("snooze", "POST", f"/tickets/{ticket}/snooze", assignee, {"until": None}),
            ("unsnooze", "POST", f"/tickets/{ticket}/unsnooze", assignee, None),
            ("unassign", "POST", f"/tickets/{ticket}/unassign", ws.admin_id, None),
            ("assign", "POST", f"/tickets/{ticket}/assign", ws.admin_id, {"agent_id": ben}),
            ("close", "POST", f"/tickets/{ticket}/close", ben, None),
            ("reopen", "POST", f"/tickets/{ticket}/reopen", ben, None),
        ]
        for name, method, path, agent_id, body in changes:
            kw: dict[str, Any] = {} if body is None else {"json": body}
            await ws.call(method, path, agent_id, **kw)
            await same_page(name)
        page = (await ws.call("GET", "/tickets", ben))["items"]
        message = next(t for t in page if t["id"] == ticket)["last_message"]
        await ws.call("PUT", f"/messages/{message['id']}/reactions/\U0001f44d", ben)
        await same_page("reaction")
        await ws.call("DELETE", f"/messages/{message['id']}/reactions/\U0001f44d", ben)
        await same_page("reaction off")
        await ws.handoff(inbox, "carla", "Still there?")
        await same_page("customer message")
        assert len(ws.http._transport.app.state.ticket_fragments) > 0  # type: ignore[attr-defined]
