"""The ticket history: sorting by a history column, paging, count, contact filter, CSV export."""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

import pytest

from convos_server.db import models as m
from convos_server.db.engine import Database
from tests.server.conftest import BACKENDS
from tests.server.test_reports import seed_tickets


async def login(client, who: str) -> dict[str, str]:
    response = await client.post(
        "/api/v1/auth/login", json={"email": f"{who}@convos.test", "password": "pw"}
    )
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['token']}"}


async def all_pages(client, headers, **params) -> tuple[list[dict[str, Any]], list[int]]:
    """Every page of GET /tickets; the tickets and the size of each page."""
    tickets: list[dict[str, Any]] = []
    sizes: list[int] = []
    cursor = None
    while True:
        query = {**params, **({"cursor": cursor} if cursor else {})}
        response = await client.get("/api/v1/tickets", params=query, headers=headers)
        assert response.status_code == 200, response.text
        page = response.json()
        tickets += page["items"]
        sizes.append(len(page["items"]))
        cursor = page["next_cursor"]
        if cursor is None:
            return tickets, sizes


def seconds(ticket: dict[str, Any], end: str) -> float | None:
    if ticket[end] is None:
        return None
    delta = dt.datetime.fromisoformat(ticket[end]) - dt.datetime.fromisoformat(ticket["opened_at"])
    return delta.total_seconds()


@pytest.mark.parametrize("backend", BACKENDS)
async def test_closed_tickets_sorted_by_resolution_page_by_page(client, settings):
    await seed_tickets(settings)
    headers = await login(client, "admin")
    tickets, sizes = await all_pages(
        client, headers, status="closed", sort="resolution", order="asc", limit=3
    )
    assert sizes == [3, 3, 1]
    resolutions = [seconds(t, "closed_at") for t in tickets]
    assert resolutions == [30, 600, 3600, 3600, 86400, 86400, 12 * 86400]
    ties = [t["id"] for t in tickets if seconds(t, "closed_at") == 3600]
    assert ties == sorted(ties)
    assert len({t["id"] for t in tickets}) == 7


@pytest.mark.parametrize("backend", BACKENDS)
async def test_first_response_descending_puts_tickets_without_one_last(client, settings):
    await seed_tickets(settings)
    headers = await login(client, "admin")
    response = await client.get(
        "/api/v1/tickets",
        params={"sort": "first_response", "order": "desc", "count": "true", "limit": 50},
        headers=headers,
    )
    page = response.json()
    assert page["total"] == 9
    responses = [seconds(t, "first_response_at") for t in page["items"]]
    assert responses == [300, 120, 60, 40, 30, 20, 10, 5, None]


async def test_count_and_sort_follow_visibility_and_filters(client, settings):
    ids = await seed_tickets(settings)
    headers = await login(client, "ag1")
    response = await client.get(
        "/api/v1/tickets",
        params={"sort": "opened", "order": "asc", "count": "true", "assignee": ids["ag2"]},
        headers=headers,
    )
    page = response.json()
    assert page["total"] == 2  # ag2's tickets in inbox A only: B belongs to another team
    assert [t["inbox_id"] for t in page["items"]] == [ids["inbox A"]] * 2
    opened = [t["opened_at"] for t in page["items"]]
    assert opened == sorted(opened)


async def test_contact_filter_and_the_pages_contacts(client, settings):
    await seed_tickets(settings)
    other = await add_ticket_of_new_contact(settings, '=HYPERLINK("x")')
    headers = await login(client, "admin")
    response = await client.get(
        "/api/v1/tickets",
        params={"contact": other, "count": "true", "include": "contacts"},
        headers=headers,
    )
    page = response.json()
    assert page["total"] == 1
    assert [t["contact_id"] for t in page["items"]] == [other]
    assert [c["id"] for c in page["contacts"]] == [other]


async def test_a_bad_offset_cursor_is_a_422(client, settings):
    await seed_tickets(settings)
    headers = await login(client, "admin")
    response = await client.get(
        "/api/v1/tickets", params={"sort": "opened", "cursor": "bm9wZQ"}, headers=headers
    )
    assert response.status_code == 422
    assert response.json()["code"] == "invalid"


async def test_export_streams_every_matching_ticket_as_csv(client, settings, monkeypatch):
    from convos_server.services import ticket_csv

    monkeypatch.setattr(ticket_csv, "BATCH", 2)  # several batches on a small set
    await seed_tickets(settings)
    await add_ticket_of_new_contact(settings, '=HYPERLINK("x")')
    headers = await login(client, "admin")
    response = await client.get(
        "/api/v1/tickets/export",
        params={"status": "closed", "sort": "resolution", "order": "asc"},
        headers=headers,
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    text = response.content.decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [r["resolution_s"] for r in rows] == [
        "30", "600", "3600", "3600", "86400", "86400", "90000", str(12 * 86400)
    ]  # fmt: skip
    assert rows[0]["inbox"] == "A"
    assert rows[0]["assignee"] == "ag1"
    assert rows[6]["contact"] == '\'=HYPERLINK("x")'  # never a formula in a spreadsheet
    agent = await login(client, "ag1")
    mine = await client.get("/api/v1/tickets/export", headers=agent)
    assert {r["inbox"] for r in csv.DictReader(io.StringIO(mine.content.decode("utf-8-sig")))} == {
        "A"
    }


async def test_export_needs_a_login(client):
    response = await client.get("/api/v1/tickets/export")
    assert response.status_code == 401


async def add_ticket_of_new_contact(settings, name: str) -> int:
    """A closed ticket (resolution 25 h) of a new contact in inbox A; the contact's id."""
    db = Database(settings.database_url)
    try:
        async with db.transaction() as session:
            inbox = await session.scalar(m.Inbox.__table__.select().where(m.Inbox.name == "A"))
            contact = m.Contact(name=name)
            session.add(contact)
            await session.flush()
            conversation = m.Conversation(contact_id=contact.id, inbox_id=inbox, origin="agent")
            session.add(conversation)
            await session.flush()
            opened = dt.datetime(2026, 3, 5, tzinfo=dt.UTC)
            session.add(
                m.Ticket(
                    conversation_id=conversation.id,
                    inbox_id=inbox,
                    contact_id=contact.id,
                    status="closed",
                    opened_at=opened,
                    closed_at=opened + dt.timedelta(hours=25),
                )
            )
            contact_id = contact.id
    finally:
        await db.dispose()
    return contact_id


@pytest.mark.parametrize("backend", BACKENDS)
async def test_sorting_by_name_columns(client, settings):
    ids = await seed_tickets(settings)
    headers = await login(client, "admin")

    async def order(sort: str, direction: str) -> list[Any]:
        response = await client.get(
            "/api/v1/tickets",
            params={"sort": sort, "order": direction, "limit": 50},
            headers=headers,
        )
        return response.json()["items"]

    by_agent = [t["assignee_id"] for t in await order("agent", "asc")]
    assert by_agent == [ids["ag1"]] * 4 + [ids["ag2"]] * 4 + [None]
    by_inbox = [t["inbox_id"] for t in await order("inbox", "desc")]
    assert by_inbox == [ids["inbox B"]] * 2 + [ids["inbox A"]] * 7
    by_status = [t["status"] for t in await order("status", "asc")]
    assert by_status == ["closed"] * 7 + ["open"] * 2


async def test_counts_stop_at_the_cap_and_say_so(client, settings, monkeypatch):
    from convos_server.services import tickets

    monkeypatch.setattr(tickets, "COUNT_CAP", 3)
    await seed_tickets(settings)
    headers = await login(client, "admin")
    for path in ("/api/v1/tickets", "/api/v1/conversations"):
        page = (await client.get(path, params={"count": "true"}, headers=headers)).json()
        assert (page["total"], page["total_capped"]) == (3, True), path
        small = {"q": "nobody matches this"}
        page = (await client.get(path, params={"count": "true", **small}, headers=headers)).json()
        assert (page["total"], page["total_capped"]) == (0, False), path


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("order", ["asc", "desc"])
async def test_export_in_every_order_has_every_ticket_once(client, settings, monkeypatch, order):
    from convos_server.services import ticket_csv, tickets

    monkeypatch.setattr(ticket_csv, "BATCH", 2)
    await seed_tickets(settings)
    headers = await login(client, "admin")
    for sort in tickets.TicketSort:
        response = await client.get(
            "/api/v1/tickets/export", params={"sort": sort, "order": order}, headers=headers
        )
        assert response.status_code == 200, (sort, response.text)
        rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
        assert len({row["ticket_id"] for row in rows}) == len(rows) == 9, sort
