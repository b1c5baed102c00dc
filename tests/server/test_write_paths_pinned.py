"""The customer message ingress and the agent's reply, pinned byte for byte.

A fixed story (new contact, existing contact, hand-off to an agent and to nobody, a repeated
channel ``message_id``, replies with files and a quoted message, a repeated ``client_id``, a
note, a snoozed ticket woken by the customer, the refusals: not the assignee, Unavailable, a
closed ticket) runs through the API; every answer (status and JSON), every event row (type,
payload bytes, inbox, agent) and the rows it wrote are compared with
``write_paths.golden.json``, recorded from the ORM version of these paths before they moved to
Core statements. Timestamps are masked (they are the clock's), everything else must match, on
SQLite and on PostgreSQL.

Run with ``CONVOS_WRITE_GOLDEN=1`` to record the file again (only after checking a change of
behaviour on purpose).
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from convos_server.db import models as m
from convos_server.db.engine import Database
from tests.server.conftest import BACKENDS, Workspace
from tests.server.test_file_attach import upload

GOLDEN = Path(__file__).with_name("write_paths.golden.json")
_TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)?")
TABLES = (
    m.Contact,
    m.Conversation,
    m.Message,
    m.MessageFile,
    m.Ticket,
    m.Activity,
    m.ReportDay,
    m.Inbox,
)
UNPINNED = ("api_key_hash", "revision")


def _masked(value: Any) -> Any:
    """``value`` with every timestamp replaced by ``<ts>`` (bytes: their length)."""
    if isinstance(value, dict):
        return {key: _masked(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_masked(item) for item in value]
    if isinstance(value, str):
        return _TIMESTAMP.sub("<ts>", value)
    if isinstance(value, bytes):
        return f"<{len(value)} bytes>"
    if hasattr(value, "isoformat"):
        return "<ts>"
    return value


class Story:
    """Calls the API and keeps every answer."""

    def __init__(self, ws: Workspace) -> None:
        self.ws = ws
        self.answers: list[Any] = []

    async def ingress(self, inbox: dict[str, Any], external_id: str, text: str, **kw: Any) -> Any:
        body = {"contact": {"external_id": external_id, "name": external_id.title()}, "text": text}
        response = await self.ws.http.post(
            f"/api/v1/channels/{inbox['id']}/messages",
            headers={"X-Api-Key": inbox["api_key"]},
            json={**body, **kw},
        )
        self.answers.append(["ingress", text, response.status_code, response.json()])
        return response.json()

    async def reply(self, agent_id: int, conversation_id: int, client_id: str, **kw: Any) -> Any:
        response = await self.ws.http.post(
            f"/api/v1/conversations/{conversation_id}/messages",
            headers=self.ws.auth(agent_id),
            json={"client_id": client_id, "body": f"reply {client_id}", **kw},
        )
        self.answers.append(["reply", client_id, response.status_code, response.json()])
        return response.json()


async def _rows(database_url: str) -> dict[str, Any]:
    db = Database(database_url)
    try:
        dump: dict[str, Any] = {}
        async with db.sessionmaker() as session:
            events = await session.execute(
                select(
                    m.Event.id, m.Event.type, m.Event.data, m.Event.inbox_id, m.Event.agent_id
                ).order_by(m.Event.id)
            )
            # The payload text as stored: its bytes are what every stream sends.
            dump["events"] = [list(row) for row in events]
            for model in TABLES:
                table = model.__table__
                order = list(table.primary_key.columns)
                rows = await session.execute(select(table).order_by(*order))
                # Not pinned: a key's hash, and a ticket's or a conversation's revision (the
                # database's counter: a new value with each write, numbered differently by
                # SQLite's triggers and PostgreSQL's sequence; test_ticket_revision checks
                # what it is for).
                dump[table.name] = [
                    {k: v for k, v in row._mapping.items() if k not in UNPINNED} for row in rows
                ]
        return dump
    finally:
        await db.dispose()


async def _story(ws: Workspace) -> list[Any]:
    story = Story(ws)
    anna = await ws.agent("Anna", online=True)
    ben = await ws.agent("Ben", online=True)
    team = await ws.team("Support", [anna, ben])
    robin = await ws.inbox("Robin", team, assignment="round_robin", max_open_per_agent=2)
    manual = await ws.inbox("Manual", None)
    # A new contact with a hand-off: a ticket, assigned by round robin.
    first = await story.ingress(robin, "carla", "Hello", handoff=True, message_id="c-1")
    conversation = first["conversation_id"]
    # The same channel message again: the first answer, nothing written.
    await story.ingress(robin, "carla", "Hello", handoff=True, message_id="c-1")
    # The existing contact, its open ticket: no new ticket even with a hand-off.
    await story.ingress(robin, "carla", "Still there?", handoff=True)
    await story.ingress(robin, "carla", "Anyone?")
    # A contact without a hand-off: a conversation, no ticket.
    await story.ingress(robin, "dora", "Just browsing", message_id="d-1")
    # To nobody: the manual inbox leaves the ticket Unassigned.
    await story.ingress(manual, "emil", "Help", handoff=True)
    # Round robin goes on to the next agent, then the first again.
    await story.ingress(robin, "finn", "Help me too", handoff=True)
    await story.ingress(robin, "gus", "And me", handoff=True, message_id="g-1")
    assignee, other = anna, ben  # round robin starts with the lowest id (the golden says so)
    # Replies: the first response, a quoted message with a file, a note, the same client_id.
    first_reply = await story.reply(assignee, conversation, "r-1")
    file_id = await upload(ws, assignee, "bill.pdf")
    await story.reply(
        assignee, conversation, "r-2", reply_to=first["message"]["id"], file_ids=[file_id]
    )
    await story.reply(assignee, conversation, "r-1")
    await story.reply(other, conversation, "n-1", kind="note", body="@Anna see this")
    await story.reply(other, conversation, "x-1")  # not the assignee
    await story.reply(assignee, conversation, "r-3", reply_to=first_reply["id"])
    # Snoozed: the customer's message wakes the ticket.
    await ws.call("POST", f"/tickets/{first['ticket_id']}/snooze", assignee, json={"until": None})
    await story.ingress(robin, "carla", "Wake up", handoff=True)
    await ws.presence(assignee, "unavailable")
    await story.reply(assignee, conversation, "u-1")  # Unavailable
    await ws.presence(assignee, "online")
    await ws.call("POST", f"/tickets/{first['ticket_id']}/close", assignee)
    await story.reply(assignee, conversation, "c-1")  # closed
    await story.reply(assignee, conversation, "r-1")  # the repeat still answers
    # A message after the close, then a hand-off: a new ticket in the same conversation.
    await story.ingress(robin, "carla", "One more thing")
    await story.ingress(robin, "carla", "Please help", handoff=True, message_id="c-2")
    await story.ingress(robin, "carla", "Please help", handoff=True, message_id="c-2")
    return story.answers


@pytest.mark.parametrize("backend", BACKENDS)
async def test_ingress_and_replies_answer_and_write_what_they_always_did(
    ws: Workspace, database_url: str
) -> None:
    answers = await _story(ws)
    rows = await _rows(database_url)
    # The clocks the mask hides: a conversation's moves with its last message, and the
    # answers carry the stored moments.
    messages = {row["id"]: row for row in rows["messages"]}
    for conversation in rows["conversations"]:
        last = messages[conversation["last_message_id"]]
        assert conversation["last_message_at"] == last["created_at"]
    for kind, _name, _status, answer in answers:
        message = answer.get("message", answer) if kind == "ingress" else answer
        if "id" in message:
            stored = messages[message["id"]]["created_at"]
            assert message["created_at"] == stored.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    recorded = _masked({"answers": answers, **rows})
    recorded = json.loads(json.dumps(recorded, sort_keys=True))
    if os.environ.get("CONVOS_WRITE_GOLDEN") == "1":
        GOLDEN.write_text(json.dumps(recorded, indent=1, sort_keys=True) + "\n")
    golden = json.loads(GOLDEN.read_text())
    for part in golden:
        assert recorded[part] == golden[part], part
    assert recorded == golden
