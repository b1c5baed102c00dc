"""PostgreSQL: a changed ticket page in two round trips, an unchanged one in one.

A first page reads its heads (one statement); when some items are not held at the heads'
revisions, ``services.ticket_page.ITEMS_WITH_PARTS_PG`` reads their rows with their last
messages' reactions, files and quoted message in one more statement (before: the rows, then
one statement for each kind of part: up to five round trips for a page). The page must stay
what the SQLAlchemy path reads (the path the driver's statements are pinned to,
``test_ticket_page_sql``), byte for byte: here along seeded random walks of writes (customer
messages, quoted replies, reactions, files, labels, ticket actions, SQL edits no route makes)
with the app's fragments warm, partly forgotten or replaced by another reader's newer ones.
"""

from __future__ import annotations

import random
from typing import Any

import asyncpg
import pytest
from fastapi import FastAPI
from sqlalchemy import text

from convos_server.db import models as m
from convos_server.db.engine import Database
from convos_server.serialize import TicketFragments, load_ticket_page_items, page_json
from convos_server.services import tickets
from convos_server.services.tickets import TicketFilter
from convos_server.services.visibility import visibility_for
from tests.server.conftest import BACKENDS, Workspace
from tests.server.test_file_attach import upload
from tests.server.test_ticket_page_pinned import _rich_workspace
from tests.server.test_ticket_page_sql import _quotes_and_reactions

pytestmark = pytest.mark.parametrize("backend", [BACKENDS[1]])

# query string -> the filter, size and option the route reads it with
SHAPES: dict[str, tuple[TicketFilter, int, Any]] = {
    "?limit=50": (TicketFilter(), 50, "full"),
    "?limit=3": (TicketFilter(), 3, "full"),
    "?view=mine": (TicketFilter(view="mine"), 50, "full"),
    "?status=closed": (TicketFilter(status="closed"), 50, "full"),
    "?last_message=brief": (TicketFilter(), 50, "brief"),
    "?last_message=none&limit=4": (TicketFilter(), 4, "none"),
}


def _page_statements(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every statement sent through ``asyncpg``'s ``fetch`` from now on, but the event
    reader's (it reads on its own schedule)."""
    sent: list[str] = []
    original = asyncpg.Connection.fetch

    def recording(self: Any, query: str, *args: Any, **kw: Any) -> Any:
        if not query.startswith("SELECT id, type, data, inbox_id, agent_id FROM events"):
            sent.append(query)
        return original(self, query, *args, **kw)

    monkeypatch.setattr(asyncpg.Connection, "fetch", recording)
    return sent


async def _read(ws: Workspace, agent_id: int, shape: str) -> bytes:
    response = await ws.http.get(f"/api/v1/tickets{shape}", headers=ws.auth(agent_id))
    assert response.status_code == 200, response.text
    return response.content


async def _through_sqlalchemy(db: Database, agent_id: int, shape: str) -> bytes:
    """The page as the route's SQLAlchemy path reads and encodes it, with nothing kept."""
    flt, size, option = SHAPES[shape]
    async with db.read() as session:
        agent = await session.get(m.Agent, agent_id)
        assert agent is not None
        visibility = await visibility_for(session, agent)
        rows, cursor = await tickets.list_tickets(
            session, agent, visibility, flt, None, size, last_message=option
        )
        items = await load_ticket_page_items(session, rows, TicketFragments(), last_message=option)
    return page_json(items, {"next_cursor": cursor})


async def test_a_page_is_two_round_trips_cold_or_changed_one_unchanged(
    ws: Workspace, app: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    readers = await _rich_workspace(ws)
    await _quotes_and_reactions(ws)
    admin, anna = readers[0], readers[1]
    page = (await ws.call("GET", "/tickets?limit=50"))["items"]
    for part in ("reactions", "files", "reply_preview"):  # what a cold page reads beside rows
        assert any(t["last_message"][part] for t in page), part
    sent = _page_statements(monkeypatch)
    # Cold: the heads, then every item read whole with its reactions, files and quotes.
    app.state.ticket_fragments = TicketFragments()
    await _read(ws, admin, "?limit=50")
    assert len(sent) == 2, sent
    # Unchanged.
    sent.clear()
    await _read(ws, admin, "?limit=50")
    assert len(sent) == 1, sent
    # Changed: a reaction on one item's last message, a label on another.
    ticket = page[0]
    await ws.call("PUT", f"/messages/{ticket['last_message']['id']}/reactions/\U0001f600", anna)
    label = await ws.call("POST", "/labels", json={"name": "New", "color": "#0000ff"})
    await ws.call("PUT", f"/tickets/{page[1]['id']}/labels/{label['id']}", anna)
    sent.clear()
    body = await _read(ws, admin, "?limit=50")
    assert len(sent) == 2, sent
    assert b"\\ud83d\\ude00" in body or "\U0001f600".encode() in body
    assert body == await _through_sqlalchemy(app.state.db, admin, "?limit=50")


async def _try(ws: Workspace, method: str, path: str, agent_id: int, **kw: Any) -> None:
    """A write the rules may refuse (a reopen of a ticket that is not the last...): any
    answer but a server error."""
    response = await ws.http.request(method, f"/api/v1{path}", headers=ws.auth(agent_id), **kw)
    assert response.status_code < 500, response.text


async def _step(ws: Workspace, app: FastAPI, rng: random.Random, world: dict[str, Any]) -> str:
    """One write, picked by ``rng``, on one of the tickets Anna sees; what it was."""
    anna, ben = world["anna"], world["ben"]
    page = (await ws.call("GET", "/tickets?limit=200", anna))["items"]
    ticket = rng.choice(page)
    conversation = ticket["conversation_id"]
    last = ticket["last_message"]
    kind = rng.choice(
        (
            "customer",
            "reply",
            "quote",
            "react",
            "unreact",
            "file",
            "label",
            "close",
            "reopen",
            "assign",
            "edit",
            "forget",
            "other reader",
        )
    )
    db: Database = app.state.db
    if kind == "customer":
        await ws.handoff(world["inbox"], rng.choice(world["contacts"]), f"m{rng.random()}")
    elif kind in ("reply", "quote", "file") and ticket["status"] == "open":
        body: dict[str, Any] = {"client_id": f"c{rng.random()}", "body": "ok"}
        if kind == "quote" and last is not None:
            body["reply_to"] = last["id"]
        if kind == "file":
            body["file_ids"] = [await upload(ws, anna)]
        await _try(ws, "POST", f"/tickets/{ticket['id']}/assign", anna)
        await _try(ws, "POST", f"/conversations/{conversation}/messages", anna, json=body)
    elif kind == "react" and last is not None:
        emoji = rng.choice(("\U0001f44d", "\U0001f600"))
        await _try(ws, "PUT", f"/messages/{last['id']}/reactions/{emoji}", rng.choice((anna, ben)))
    elif kind == "unreact" and last is not None and last["reactions"]:
        reaction = last["reactions"][0]
        agent = reaction["agent_ids"][0]
        await _try(ws, "DELETE", f"/messages/{last['id']}/reactions/{reaction['emoji']}", agent)
    elif kind == "label":
        label = rng.choice(world["labels"])
        method = "DELETE" if label in ticket["label_ids"] else "PUT"
        await _try(ws, method, f"/tickets/{ticket['id']}/labels/{label}", anna)
    elif kind == "close" and ticket["status"] == "open":
        await _try(ws, "POST", f"/tickets/{ticket['id']}/close", anna)
    elif kind == "reopen" and ticket["status"] == "closed":
        await _try(ws, "POST", f"/tickets/{ticket['id']}/reopen", anna)
    elif kind == "assign" and ticket["status"] == "open":
        await _try(ws, "POST", f"/tickets/{ticket['id']}/assign", rng.choice((anna, ben)))
    elif kind == "edit" and last is not None:
        async with db.engine.begin() as connection:
            await connection.execute(
                text("UPDATE messages SET body = :body WHERE id = :id"),
                {"body": f"edited {rng.random()}", "id": last["id"]},
            )
    elif kind == "forget":  # the page's items pushed out of the fragments: read again
        fragments: TicketFragments = app.state.ticket_fragments
        for key in list(fragments._items)[: rng.randint(1, len(fragments._items) or 1)]:
            del fragments._items[key]
    elif kind == "other reader":  # another reader formats newer items of some of these tickets
        await ws.handoff(world["inbox"], rng.choice(world["contacts"]), "news")
        await _read(ws, ben, "?limit=3")
    else:
        return f"{kind} (nothing to do)"
    return kind


@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_the_page_is_the_sqlalchemy_page_along_random_writes(
    ws: Workspace, app: FastAPI, seed: int
) -> None:
    readers = await _rich_workspace(ws)
    admin, anna, ben = readers
    team = await ws.team("Walk", [anna, ben])
    inbox = await ws.inbox("Walk", team)
    contacts = [f"walk:{n}" for n in range(5)]
    for contact in contacts:
        await ws.handoff(inbox, contact, f"hello {contact}")
    labels = [
        (await ws.call("POST", "/labels", json={"name": name, "color": "#123456"}))["id"]
        for name in ("One", "Two")
    ]
    world = {"anna": anna, "ben": ben, "inbox": inbox, "contacts": contacts, "labels": labels}
    db: Database = app.state.db
    rng = random.Random(seed)
    done = []
    for _ in range(14):
        done.append(await _step(ws, app, rng, world))
        for reader in (admin, anna):
            for shape in rng.sample(sorted(SHAPES), 3):
                warm = await _read(ws, reader, shape)
                assert warm == await _through_sqlalchemy(db, reader, shape), (done, reader, shape)
