"""A workspace with two teams, each with an agent, an inbox and objects, built through the API.

Team B owns the objects the authorization tests aim at (``bob`` is its agent); ``alice`` is
the agent of team A, who must see none of them. ``fresh_*`` helpers make a new object of
team B for a request that changes it, so every cell of a matrix starts from the same state.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

from tests.server.conftest import Workspace

_counter = itertools.count(1)


def unique(prefix: str) -> str:
    """A name no other object of the test has."""
    return f"{prefix}-{next(_counter)}"


@dataclass
class TwoTeams:
    """The ids of the two teams' people and objects."""

    ws: Workspace
    alice: int
    bob: int
    team_a: int
    team_b: int
    inbox_a: dict[str, Any]
    inbox_b: dict[str, Any]
    contact_b: int
    conversation_b: int
    ticket_b: int
    message_b: int
    file_b: int
    canned_b: int

    async def fresh_ticket(self, *, assigned: bool, closed: bool = False) -> int:
        """A new ticket in team B's inbox, unassigned, assigned to bob, or closed by him."""
        result = await self.ws.handoff(self.inbox_b, unique("cust"))
        ticket_id = int(result["ticket_id"])
        if assigned or closed:
            await self.ws.call("POST", f"/tickets/{ticket_id}/assign", self.bob)
        if closed:
            await self.ws.call("POST", f"/tickets/{ticket_id}/close", self.bob)
        return ticket_id

    async def fresh_contact(self) -> int:
        """A new contact without conversations (everyone sees it)."""
        body = await self.ws.call(
            "POST",
            "/contacts",
            json={"name": unique("Contact"), "email": f"{unique('c')}@example.com"},
        )
        return int(body["id"])

    async def fresh_inbox(self) -> int:
        """A new empty inbox of team B."""
        return int((await self.ws.inbox(unique("Spare"), self.team_b))["id"])

    async def fresh_team(self) -> int:
        """A new team without members."""
        return await self.ws.team(unique("Team"), [])

    async def fresh_library_file(self) -> int:
        """A new library file (uploaded by the admin)."""
        response = await self.ws.http.post(
            "/api/v1/files",
            headers=self.ws.auth(self.ws.admin_id),
            data={"library": "1"},
            files={"file": (f"{unique('lib')}.txt", b"library file\n", "text/plain")},
        )
        assert response.status_code == 201, response.text
        return int(response.json()["id"])

    async def fresh_mention(self) -> int:
        """A new mention of bob: the admin's note naming him in team B's conversation."""
        await self.ws.call(
            "POST",
            f"/conversations/{self.conversation_b}/messages",
            json={"client_id": unique("m"), "kind": "note", "body": "@Bob have a look"},
        )
        mentions = await self.ws.call("GET", "/mentions?limit=1", self.bob)
        return int(mentions["items"][0]["id"])

    async def fresh_canned(self) -> int:
        """A new private canned reply of bob."""
        body = await self.ws.call(
            "POST", "/canned", self.bob, json={"shortcut": unique("c"), "text": "Hello"}
        )
        return int(body["id"])


async def upload(ws: Workspace, agent_id: int, name: str = "note.txt") -> int:
    """Upload a small text file as ``agent_id``; its id."""
    response = await ws.http.post(
        "/api/v1/files",
        headers=ws.auth(agent_id),
        files={"file": (name, b"hello there\n", "text/plain")},
    )
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


async def build_two_teams(ws: Workspace) -> TwoTeams:
    """Team A (alice, inbox A) and team B (bob, inbox B, a ticket, a file, a canned reply)."""
    await ws.presence(ws.admin_id, "online")
    alice = await ws.agent("Alice", online=True)
    bob = await ws.agent("Bob", online=True)
    team_a = await ws.team("Team A", [alice])
    team_b = await ws.team("Team B", [bob])
    inbox_a = await ws.inbox("Inbox A", team_a)
    inbox_b = await ws.inbox("Inbox B", team_b)
    await ws.handoff(inbox_a, "cust-a", "Hello from A")
    handoff = await ws.handoff(inbox_b, "cust-b", "Hello from B")
    ticket_b = int(handoff["ticket_id"])
    conversation_b = int(handoff["conversation_id"])
    await ws.call("POST", f"/tickets/{ticket_b}/assign", bob)
    file_b = await upload(ws, bob)
    sent = await ws.call(
        "POST",
        f"/conversations/{conversation_b}/messages",
        bob,
        json={"client_id": unique("m"), "body": "Here is the file", "file_ids": [file_b]},
    )
    canned = await ws.call(
        "POST", "/canned", bob, json={"shortcut": "bobs", "text": "Bob's own reply"}
    )
    return TwoTeams(
        ws=ws,
        alice=alice,
        bob=bob,
        team_a=team_a,
        team_b=team_b,
        inbox_a=inbox_a,
        inbox_b=inbox_b,
        contact_b=await _contact_of(ws, ticket_b),
        conversation_b=conversation_b,
        ticket_b=ticket_b,
        message_b=int(sent["id"]),
        file_b=file_b,
        canned_b=int(canned["id"]),
    )


async def _contact_of(ws: Workspace, ticket_id: int) -> int:
    detail = await ws.call("GET", f"/tickets/{ticket_id}")
    return int(detail["contact"]["id"])
