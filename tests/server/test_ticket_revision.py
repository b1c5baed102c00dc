"""Every change of a ticket's list item shows on the next read of a warm ticket page.

The plain first page (``services.ticket_page``) reads its heads (ticket ids,
``tickets.revision`` and their conversations' ``conversations.revision``) and reuses the bytes
of every item whose revisions are the ones it was formatted at, and the whole page when no head
changed. The revisions are the database's (triggers of migrations 0010 and 0011), so each kind
of write is made here through the API, and the writes no route makes (an edited message,
quoted message or file, a conversation's last message) straight in SQL. After each one the
warm page (its fragments and pages kept from every earlier read) must be byte for byte the page
read with nothing kept, for several shapes, as the agent and as the admin; and the change must
be in it. A message writes its conversation's row, never the rows of its closed tickets (whose
items show it all the same). On SQLite and PostgreSQL.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import text

from convos_server.db.engine import Database
from convos_server.serialize import TicketFragments
from convos_server.services import ticket_page
from tests.server.conftest import BACKENDS, Workspace
from tests.server.test_file_attach import upload

SHAPES = (
    "?limit=50",
    "?view=mine",
    "?last_message=brief",
    "?limit=2",
    "?view=unassigned",
    "?last_message=none",
    "?status=closed",
)


class Pages:
    """Reads the ticket page warm (the app's fragments) and cold (fresh ones) and compares."""

    def __init__(self, ws: Workspace, app: FastAPI, readers: list[int]) -> None:
        self.ws = ws
        self.app = app
        self.readers = readers

    async def _read(self, agent_id: int, shape: str) -> bytes:
        response = await self.ws.http.get(f"/api/v1/tickets{shape}", headers=self.ws.auth(agent_id))
        assert response.status_code == 200, response.text
        return response.content

    async def warm(self) -> None:
        """Every shape read twice by every reader: what the app keeps is in use."""
        for agent_id in self.readers:
            for shape in SHAPES:
                for _ in range(2):
                    await self._read(agent_id, shape)

    async def same_as_cold(self) -> dict[str, Any]:
        """Each warm page equals the page read with nothing kept; the reader's first page."""
        for agent_id in self.readers:
            for shape in SHAPES:
                warm = await self._read(agent_id, shape)
                kept = self.app.state.ticket_fragments
                self.app.state.ticket_fragments = TicketFragments()
                try:
                    cold = await self._read(agent_id, shape)
                finally:
                    self.app.state.ticket_fragments = kept
                assert warm == cold, (agent_id, shape)
        return json.loads(await self._read(self.readers[0], "?limit=50"))  # type: ignore[no-any-return]


def _item(page: dict[str, Any], ticket_id: int) -> dict[str, Any]:
    return next(item for item in page["items"] if item["id"] == ticket_id)


async def _sql(app: FastAPI, statement: str, **parameters: Any) -> None:
    """A write no route makes, straight in SQL (the triggers see it all the same)."""
    db: Database = app.state.db
    async with db.engine.begin() as connection:
        await connection.execute(text(statement), parameters)


async def _world(ws: Workspace) -> dict[str, Any]:
    anna = await ws.agent("Anna", online=True)
    ben = await ws.agent("Ben", online=True)
    team = await ws.team("Support", [anna, ben])
    inbox = await ws.inbox("Sales", team)
    tickets = []
    for index in range(4):
        answer = await ws.handoff(inbox, f"wa:{index}", f"Hello {index}")
        tickets.append(answer["ticket_id"])
        await ws.call("POST", f"/tickets/{answer['ticket_id']}/assign", anna)
    first = await ws.call("GET", f"/tickets/{tickets[0]}", anna)
    return {
        "anna": anna,
        "ben": ben,
        "team": team,
        "inbox": inbox,
        "tickets": tickets,
        "conversation": first["conversation"]["id"],
    }


async def _elsewhere(ws: Workspace) -> dict[str, Any]:
    """An inbox of another team (an inbox without a team is everyone's)."""
    carla = await ws.agent("Carla")
    return await ws.inbox("Elsewhere", await ws.team("Others", [carla]))


async def _reply(ws: Workspace, agent: int, conversation: int, client_id: str, **kw: Any) -> Any:
    return await ws.call(
        "POST",
        f"/conversations/{conversation}/messages",
        agent,
        json={"client_id": client_id, "body": f"reply {client_id}", **kw},
    )


@pytest.mark.parametrize("backend", BACKENDS)
async def test_every_change_of_an_item_is_on_the_next_page(ws: Workspace, app: FastAPI) -> None:
    w = await _world(ws)
    anna, ben, ticket, conversation = w["anna"], w["ben"], w["tickets"][0], w["conversation"]
    pages = Pages(ws, app, [anna, ws.admin_id])
    await pages.warm()
    await pages.same_as_cold()

    # A customer message: last message, order, last_message_at.
    await ws.handoff(w["inbox"], "wa:0", "Any news?")
    page = await pages.same_as_cold()
    assert page["items"][0]["id"] == ticket
    assert _item(page, ticket)["last_message"]["body"] == "Any news?"

    # The agent's reply quoting it, then a reaction on the reply, then its removal.
    quoted = _item(page, ticket)["last_message"]["id"]
    reply = await _reply(ws, anna, conversation, "r-1", reply_to=quoted)
    page = await pages.same_as_cold()
    assert _item(page, ticket)["last_message"]["reply_preview"]["body"] == "Any news?"
    await ws.call("PUT", f"/messages/{reply['id']}/reactions/\U0001f44d", ben)
    page = await pages.same_as_cold()
    assert _item(page, ticket)["last_message"]["reactions"] == [
        {"emoji": "\U0001f44d", "agent_ids": [ben]}
    ]
    await ws.call("DELETE", f"/messages/{reply['id']}/reactions/\U0001f44d", ben)
    page = await pages.same_as_cold()
    assert _item(page, ticket)["last_message"]["reactions"] == []

    # A reply with a file (a note does not move the conversation's last message).
    file_id = await upload(ws, anna)
    await _reply(ws, anna, conversation, "f-1", file_ids=[file_id])
    page = await pages.same_as_cold()
    assert [f["id"] for f in _item(page, ticket)["last_message"]["files"]] == [file_id]

    # Labels: put on, taken off, and deleted with the label itself.
    vip = await ws.call("POST", "/labels", json={"name": "VIP", "color": "#ff0000"})
    await ws.call("PUT", f"/tickets/{ticket}/labels/{vip['id']}", anna)
    assert _item(await pages.same_as_cold(), ticket)["label_ids"] == [vip["id"]]
    await ws.call("DELETE", f"/tickets/{ticket}/labels/{vip['id']}", anna)
    assert _item(await pages.same_as_cold(), ticket)["label_ids"] == []
    await ws.call("PUT", f"/tickets/{ticket}/labels/{vip['id']}", anna)
    await pages.same_as_cold()
    await ws.call("DELETE", f"/labels/{vip['id']}")
    assert _item(await pages.same_as_cold(), ticket)["label_ids"] == []

    # Status and assignment: snooze, wake, close, reopen, unassign, to someone else.
    await ws.call("POST", f"/tickets/{ticket}/snooze", anna, json={"until": None})
    assert _item(await pages.same_as_cold(), ticket)["snoozed"] is True
    await ws.call("POST", f"/tickets/{ticket}/unsnooze", anna)
    assert _item(await pages.same_as_cold(), ticket)["snoozed"] is False
    await ws.call("POST", f"/tickets/{ticket}/close", anna)
    assert _item(await pages.same_as_cold(), ticket)["status"] == "closed"
    await ws.call("POST", f"/tickets/{ticket}/reopen", anna)
    assert _item(await pages.same_as_cold(), ticket)["reopen_count"] == 1
    await ws.call("POST", f"/tickets/{ticket}/unassign", anna)
    assert _item(await pages.same_as_cold(), ticket)["assignee_id"] is None
    await ws.call("POST", f"/tickets/{ticket}/assign", ben)
    assert _item(await pages.same_as_cold(), ticket)["assignee_id"] == ben


@pytest.mark.parametrize("backend", BACKENDS)
async def test_writes_outside_the_routes_show_too(ws: Workspace, app: FastAPI) -> None:
    """Edits no route makes today (the last message, a quoted message, a file, a ticket's
    columns, a reaction taken away): the database gives the ticket a new revision."""
    w = await _world(ws)
    anna, ticket, conversation = w["anna"], w["tickets"][0], w["conversation"]
    first = (await ws.call("GET", f"/tickets/{ticket}", anna))["conversation"]["last_message"]
    file_id = await upload(ws, anna)
    reply = await _reply(ws, anna, conversation, "r-1", reply_to=first["id"], file_ids=[file_id])
    await ws.call("PUT", f"/messages/{reply['id']}/reactions/\U0001f600", anna)
    pages = Pages(ws, app, [anna, ws.admin_id])
    await pages.warm()

    await _sql(app, "UPDATE messages SET body = 'edited' WHERE id = :id", id=reply["id"])
    assert _item(await pages.same_as_cold(), ticket)["last_message"]["body"] == "edited"
    await _sql(app, "UPDATE messages SET body = 'quoted, edited' WHERE id = :id", id=first["id"])
    preview = _item(await pages.same_as_cold(), ticket)["last_message"]["reply_preview"]
    assert preview["body"] == "quoted, edited"
    await _sql(app, "UPDATE files SET name = 'renamed.pdf' WHERE id = :id", id=file_id)
    files = _item(await pages.same_as_cold(), ticket)["last_message"]["files"]
    assert [f["name"] for f in files] == ["renamed.pdf"]
    await _sql(app, "DELETE FROM reactions WHERE message_id = :id", id=reply["id"])
    assert _item(await pages.same_as_cold(), ticket)["last_message"]["reactions"] == []
    await _sql(app, "UPDATE tickets SET reopen_count = 7 WHERE id = :id", id=ticket)
    assert _item(await pages.same_as_cold(), ticket)["reopen_count"] == 7
    await _sql(app, "DELETE FROM message_files WHERE message_id = :id", id=reply["id"])
    assert _item(await pages.same_as_cold(), ticket)["last_message"]["files"] == []
    await _sql(
        app,
        "UPDATE conversations SET last_message_id = :message WHERE id = :id",
        message=first["id"],
        id=conversation,
    )
    assert _item(await pages.same_as_cold(), ticket)["last_message"]["id"] == first["id"]
    await _sql(app, "DELETE FROM messages WHERE id = :id", id=reply["id"])
    await pages.same_as_cold()


@pytest.mark.parametrize("backend", BACKENDS)
async def test_what_the_agent_sees_changes_with_the_page(ws: Workspace, app: FastAPI) -> None:
    """Visibility is the statement's, never kept: a ticket handed to a colleague leaves Mine,
    a new ticket joins, a ticket moved to an inbox the agent does not see leaves All."""
    w = await _world(ws)
    anna, ben, tickets = w["anna"], w["ben"], w["tickets"]
    pages = Pages(ws, app, [anna, ben, ws.admin_id])
    await pages.warm()

    async def mine(agent_id: int) -> list[int]:
        page = await ws.call("GET", "/tickets?view=mine", agent_id)
        return [item["id"] for item in page["items"]]

    assert sorted(await mine(anna)) == sorted(tickets)
    await ws.presence(ws.admin_id, "online")
    await ws.call("POST", f"/tickets/{tickets[1]}/assign", json={"agent_id": ben, "force": True})
    await pages.same_as_cold()
    assert tickets[1] not in await mine(anna)
    assert await mine(ben) == [tickets[1]]
    new = (await ws.handoff(w["inbox"], "wa:new", "New here"))["ticket_id"]
    page = await pages.same_as_cold()
    assert page["items"][0]["id"] == new
    other = await _elsewhere(ws)
    await _sql(
        app, "UPDATE tickets SET inbox_id = :inbox WHERE id = :id", inbox=other["id"], id=new
    )
    await pages.same_as_cold()
    page = await ws.call("GET", "/tickets?limit=50", anna)
    assert new not in [item["id"] for item in page["items"]]


@pytest.mark.parametrize("backend", BACKENDS)
async def test_only_the_changed_items_are_formatted_again(
    ws: Workspace, app: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No global version: a write to one ticket formats that item again, a write elsewhere
    (another inbox's ticket) formats nothing of this page."""
    w = await _world(ws)
    anna, tickets = w["anna"], w["tickets"]
    elsewhere = await _elsewhere(ws)
    await ws.handoff(elsewhere, "wa:far", "Far away")
    pages = Pages(ws, app, [anna])
    await pages.warm()
    formatted: list[int] = []
    real = ticket_page.page_item

    def counted(item: Any, *args: Any) -> bytes:
        formatted.append(item[0])
        return real(item, *args)

    monkeypatch.setattr(ticket_page, "page_item", counted)
    url = "/tickets?limit=50"
    await ws.call("GET", url, anna)
    assert formatted == []
    await ws.handoff(elsewhere, "wa:far", "Still far")
    await ws.call("GET", url, anna)
    assert formatted == []
    await ws.call("POST", f"/tickets/{tickets[2]}/snooze", anna, json={"until": None})
    await ws.call("POST", f"/tickets/{tickets[2]}/unsnooze", anna)
    await ws.call("GET", url, anna)
    assert formatted == [tickets[2]]


async def _drop(app: FastAPI, name: str, table: str) -> None:
    """Drop a revision trigger (SQLite: one per event)."""
    db: Database = app.state.db
    if db.is_sqlite:
        for event in ("insert", "update", "delete"):
            await _sql(app, f"DROP TRIGGER IF EXISTS {name}_{event}")
    else:
        await _sql(app, f"DROP TRIGGER {name} ON {table}")


async def _label_put_on(ws: Workspace, w: dict[str, Any]) -> None:
    vip = await ws.call("POST", "/labels", json={"name": "VIP", "color": "#ff0000"})
    await ws.call("PUT", f"/tickets/{w['tickets'][1]}/labels/{vip['id']}", w["anna"])


async def _last_message_back(ws: Workspace, w: dict[str, Any]) -> None:
    """The conversation's last message set back in SQL: the closed tickets' items show it
    (their rows are not written; a customer message also writes a message row)."""
    app: FastAPI = w["app"]
    await _sql(
        app,
        "UPDATE conversations SET last_message_id = "
        "(SELECT MIN(id) FROM messages WHERE conversation_id = :id) WHERE id = :id",
        id=w["conversation"],
    )


async def _reaction(ws: Workspace, w: dict[str, Any]) -> None:
    ticket = await ws.call("GET", f"/tickets/{w['tickets'][1]}", w["anna"])
    message = ticket["conversation"]["last_message"]["id"]
    await ws.call("PUT", f"/messages/{message}/reactions/\U0001f44d", w["ben"])


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize(
    ("trigger", "table", "write"),
    [
        ("ticket_labels_revision", "ticket_labels", _label_put_on),
        ("conversations_revision", "conversations", _last_message_back),
        ("reactions_revision", "reactions", _reaction),
    ],
)
async def test_without_a_revision_trigger_a_warm_page_would_be_stale(
    ws: Workspace, app: FastAPI, trigger: str, table: str, write: Any
) -> None:
    """The comparison above sees a missed revision: with the label triggers, the
    conversation's own or the reactions' dropped, a label put on a ticket, a conversation's
    last message set in SQL or a reaction is not on the warm page."""
    w, _closed = await _closed_history(ws)
    w["app"] = app
    await _drop(app, trigger, table)
    pages = Pages(ws, app, [w["anna"]])
    await pages.warm()
    await write(ws, w)
    with pytest.raises(AssertionError):
        await pages.same_as_cold()


async def _row_versions(app: FastAPI, ticket_ids: list[int]) -> list[Any]:
    """The tickets' revisions and, on PostgreSQL, their row versions (``xmin``)."""
    db: Database = app.state.db
    version = "NULL" if db.is_sqlite else "xmin::text"
    async with db.engine.connect() as connection:
        rows = await connection.execute(
            text(f"SELECT id, revision, {version} FROM tickets ORDER BY id")
        )
        return [tuple(row) for row in rows if row[0] in ticket_ids]


async def _closed_history(ws: Workspace) -> tuple[dict[str, Any], list[int]]:
    """A world whose first conversation has two closed tickets (the first one reopened and
    closed again by the customer's next message's ticket)."""
    w = await _world(ws)
    anna, first = w["anna"], w["tickets"][0]
    await ws.call("POST", f"/tickets/{first}/close", anna)
    second = (await ws.handoff(w["inbox"], "wa:0", "Me again"))["ticket_id"]
    assert second != first
    await ws.call("POST", f"/tickets/{second}/assign", anna)
    await ws.call("POST", f"/tickets/{second}/close", anna)
    return w, [first, second]


@pytest.mark.parametrize("backend", BACKENDS)
async def test_a_message_leaves_the_closed_tickets_rows_alone(ws: Workspace, app: FastAPI) -> None:
    """A customer message, a reply and a reaction in a conversation write its row, not its
    closed tickets' (their revision and, on PostgreSQL, their row version are unchanged), and
    the closed tickets' items show the new last message all the same."""
    w, closed = await _closed_history(ws)
    anna, conversation = w["anna"], w["conversation"]
    pages = Pages(ws, app, [anna, ws.admin_id])
    await pages.warm()
    before = await _row_versions(app, closed)

    opened = (await ws.handoff(w["inbox"], "wa:0", "Third time"))["ticket_id"]
    page = await pages.same_as_cold()
    for ticket in closed:
        assert _item(page, ticket)["last_message"]["body"] == "Third time"
    await ws.call("POST", f"/tickets/{opened}/assign", anna)
    reply = await _reply(ws, anna, conversation, "r-closed")
    await ws.call("PUT", f"/messages/{reply['id']}/reactions/\U0001f44d", anna)
    page = await pages.same_as_cold()
    for ticket in closed:
        assert _item(page, ticket)["last_message"]["reactions"] == [
            {"emoji": "\U0001f44d", "agent_ids": [anna]}
        ]
    assert await _row_versions(app, closed) == before


@pytest.mark.parametrize("backend", [pytest.param("postgres", marks=pytest.mark.postgres)])
async def test_an_ingress_does_not_wait_for_a_closed_ticket_being_reopened(
    ws: Workspace, app: FastAPI
) -> None:
    """A reopen locks its closed ticket first (``FOR UPDATE``) and the conversation after;
    an ingress that opens a ticket in the same conversation locks the conversation. With
    0010's triggers the ingress's new last message also updated the closed ticket's row and
    waited for the reopen's lock: a deadlock once the reopen reached the conversation. Held
    here by hand, the lock must not stop the ingress."""
    w = await _world(ws)
    closed = w["tickets"][0]
    await ws.call("POST", f"/tickets/{closed}/close", w["anna"])
    db: Database = app.state.db
    async with db.engine.connect() as reopen:
        await reopen.execute(
            text("SELECT id FROM tickets WHERE id = :id FOR UPDATE"), {"id": closed}
        )
        ingress = asyncio.ensure_future(ws.handoff(w["inbox"], "wa:0", "While reopening"))
        try:
            done, _pending = await asyncio.wait({ingress}, timeout=5)
            waited = not done
        finally:
            await reopen.rollback()
        answer = await ingress
    assert not waited, "the ingress waited for the closed ticket's row lock"
    assert answer["ticket_id"] != closed
